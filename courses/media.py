"""Course media: images and PDF attachments that lessons link as ``media/<filename>``.

Files are stored outside the static folder (``COURSES_MEDIA_DIR``, default ``instance/media``) under a random
storage key, so nothing is reachable except through :func:`courses.views.media`, which checks who may see the
course. The type is decided from the file's first bytes, never from its name or the browser's word, and SVG is
not accepted (it can carry script).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from courses.models import Course, Media
from lms import audit
from lms.exceptions import DomainError
from lms.extensions import db
from lms.models import User

# (magic bytes at offset 0, content type, file endings allowed for it)
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"GIF87a", "image/gif", (".gif",)),
    (b"GIF89a", "image/gif", (".gif",)),
    (b"%PDF-", "application/pdf", (".pdf",)),
)
_FILENAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$")


def media_dir() -> Path:
    folder = current_app.config.get("COURSES_MEDIA_DIR") or str(Path(current_app.instance_path) / "media")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def media_path(item: Media) -> Path:
    """Where the bytes of ``item`` are stored."""
    return media_dir() / item.storage_key


def sniff_type(data: bytes) -> tuple[str, tuple[str, ...]] | None:
    """The content type and allowed endings of ``data`` from its first bytes, or None when not accepted."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", (".webp",)
    for magic, content_type, endings in _SIGNATURES:
        if data.startswith(magic):
            return content_type, endings
    return None


def clean_filename(name: str) -> str:
    """A safe file name: the last path part, the region's letters folded to ASCII, other characters as '-'."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    folded = unicodedata.normalize("NFKD", name.replace("đ", "dj").replace("Đ", "Dj")).encode("ascii", "ignore")
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", folded.decode()).strip("-.")
    return cleaned[:150]


def check_media(filename: str, data: bytes) -> tuple[str, str]:
    """Validate a file to be stored: returns (clean file name, content type) or raises DomainError."""
    limit = current_app.config["COURSES_UPLOAD_MAX_BYTES"]
    if not data:
        raise DomainError(_("The file is empty."), field="file")
    if len(data) > limit:
        raise DomainError(
            _("The file is larger than %(mb)s MB.", mb=round(limit / 1024 / 1024, 1)),
            field="file",
        )
    sniffed = sniff_type(data)
    if sniffed is None:
        raise DomainError(_("Only PNG, JPEG, GIF or WebP images and PDF files can be uploaded."), field="file")
    content_type, endings = sniffed
    name = clean_filename(filename)
    if not _FILENAME_RE.match(name) or not name.lower().endswith(endings):
        raise DomainError(
            _("The file name must end in %(endings)s to match its content.", endings=" / ".join(endings)),
            field="file",
        )
    return name, content_type


def store_media(course: Course, filename: str, data: bytes, uploaded_by: User | None = None) -> Media:
    """Write a checked file and add its row to the session (no commit: callers own the transaction).

    A file with the same name in the course is replaced, so lessons linking it show the new one.
    """
    name, content_type = check_media(filename, data)
    key = secrets.token_hex(20)
    path = media_dir() / key
    path.write_bytes(data)
    _pending(db.session, "written").append(path)
    item = db.session.scalar(select(Media).where(Media.course_id == course.id, Media.filename == name))
    if item is None:
        item = Media(course_id=course.id, filename=name)
        db.session.add(item)
    else:
        _pending(db.session, "replaced").append(media_path(item))
    item.content_type, item.size, item.storage_key = content_type, len(data), key
    item.sha256 = hashlib.sha256(data).hexdigest()
    item.uploaded_by_id = uploaded_by.id if uploaded_by else None
    return item


def upload_media(actor: User, course: Course, filename: str, data: bytes) -> Media:
    """A trainer uploads an image or PDF to a course they may edit (audited)."""
    if not course.user_can_edit(actor):
        raise DomainError(_("No such course."))
    item = store_media(course, filename, data, actor)
    db.session.flush()
    audit.record(
        "course.media_uploaded",
        actor=actor,
        obj=item,
        academy_id=course.academy_id,
        details={"filename": item.filename, "size": item.size},
    )
    db.session.commit()
    return item


def delete_media(actor: User, item: Media) -> None:
    """Remove a file from a course (lessons that link it then show a broken link until edited)."""
    course = db.session.get(Course, item.course_id)
    if course is None or not course.user_can_edit(actor):
        raise DomainError(_("No such course."))
    _pending(db.session, "replaced").append(media_path(item))
    audit.record(
        "course.media_deleted",
        actor=actor,
        obj=item,
        academy_id=course.academy_id,
        details={"filename": item.filename},
    )
    db.session.delete(item)
    db.session.commit()


def forget_media(item: Media) -> None:
    """Delete a file's row in the caller's transaction; its bytes go once the transaction commits."""
    _pending(db.session, "replaced").append(media_path(item))
    db.session.delete(item)


def course_media(course: Course) -> list[Media]:
    return list(db.session.scalars(select(Media).where(Media.course_id == course.id).order_by(Media.filename)))


# Files follow the transaction: a replaced or deleted file goes once the change is committed, a newly written
# one goes again if the change is rolled back (an import that fails leaves no stray files).
def _pending(session, kind: str) -> list[Path]:
    return session.info.setdefault("courses.media." + kind, [])


def _unlink(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
    paths.clear()


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    _unlink(_pending(session, "replaced"))
    _pending(session, "written").clear()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction, not a savepoint
        _unlink(_pending(session, "written"))
        _pending(session, "replaced").clear()
