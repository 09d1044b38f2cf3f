"""Course media: images and PDF attachments that lessons link as ``media/<filename>``.

Files are stored under a random storage key outside the static folder, so nothing is reachable except through
:func:`courses.views.media`, which checks who may see the course. The type is decided from the file's first
bytes, never from its name or the browser's word, and SVG is not accepted (it can carry script).

Where the bytes live is a :class:`MediaStore` chosen by ``COURSES_MEDIA_STORAGE``: ``folder`` (the default,
``COURSES_MEDIA_DIR`` or ``instance/media``; shared by several app machines only as a network folder) or ``s3``,
an S3-compatible bucket (``COURSES_MEDIA_S3_*``; needs ``pip install .[s3]``). Rows and files follow one
transaction: a new file is removed again when the change rolls back, a replaced one once it commits.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import logging
import os
import re
import secrets
import unicodedata
from pathlib import Path
from typing import BinaryIO, Protocol

from flask import Flask, current_app
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
_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{1,100}$")  # storage keys are ours (hex): never a path
STORAGES = ("folder", "s3")

log = logging.getLogger(__name__)


class MediaStore(Protocol):
    """Where media bytes live, by storage key. Every app machine must see the same store."""

    def save(self, key: str, data: bytes, content_type: str) -> None:
        """Store ``data`` under ``key`` (a new key each time: files are never rewritten in place)."""

    def open(self, key: str) -> BinaryIO:
        """A binary file object positioned at the start; FileNotFoundError when there is no such file."""

    def delete(self, key: str) -> None:
        """Remove the file; a missing one is not an error (deletes are retried after crashes)."""


def _checked(key: str) -> str:
    if not _KEY_RE.match(key):
        raise ValueError(f"not a media storage key: {key!r}")
    return key


class FolderStore:
    """Files in one folder, named by their key (the default store)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key: str) -> Path:
        return self.folder / _checked(key)

    def save(self, key: str, data: bytes, content_type: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed: a reader on another machine never sees half a file.
        partial = self.folder / f".{_checked(key)}.partial"
        partial.write_bytes(data)
        os.replace(partial, self.path(key))

    def open(self, key: str) -> BinaryIO:
        return self.path(key).open("rb")

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)


class S3Store:
    """Objects in an S3-compatible bucket (AWS S3, MinIO, Ceph, ...), named ``prefix + key``.

    ``client`` is a boto3 S3 client or anything with its ``put_object``/``get_object``/``delete_object``.
    """

    def __init__(self, client, bucket: str, prefix: str = "") -> None:
        self.client, self.bucket, self.prefix = client, bucket, prefix

    def _name(self, key: str) -> str:
        return self.prefix + _checked(key)

    def save(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data, ContentType=content_type)

    def open(self, key: str) -> BinaryIO:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._name(key))
        except Exception as exc:
            if _s3_error_code(exc) in {"NoSuchKey", "404", "NotFound"}:
                raise FileNotFoundError(key) from exc
            raise
        # Read whole (uploads are at most COURSES_UPLOAD_MAX_BYTES): the view then knows the size and can answer
        # range requests, which a network stream cannot.
        return io.BytesIO(response["Body"].read())

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))


def _s3_error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code")) if isinstance(response, dict) else None


def check_storage_config(app: Flask) -> None:
    """Stop start-up with a clear message when the media store is misconfigured (not at the first upload)."""
    storage = app.config.get("COURSES_MEDIA_STORAGE") or "folder"
    if storage not in STORAGES:
        raise ValueError(f"COURSES_MEDIA_STORAGE: {storage!r} is not one of {', '.join(STORAGES)}")
    if storage == "s3":
        if not app.config.get("COURSES_MEDIA_S3_BUCKET"):
            raise ValueError("COURSES_MEDIA_STORAGE is s3 but COURSES_MEDIA_S3_BUCKET is not set")
        if not _boto3_installed():
            raise ValueError("COURSES_MEDIA_STORAGE is s3 but boto3 is not installed: pip install '.[s3]'")


def _boto3_installed() -> bool:
    return importlib.util.find_spec("boto3") is not None


def media_storage(app: Flask | None = None) -> MediaStore:
    """The app's media store, built once per app from its configuration."""
    app = app or current_app._get_current_object()
    store = app.extensions.get("courses.media_store")
    if store is None:
        store = app.extensions["courses.media_store"] = _build_store(app)
    return store


def _build_store(app: Flask) -> MediaStore:
    config = app.config
    if (config.get("COURSES_MEDIA_STORAGE") or "folder") == "s3":
        return S3Store(
            _s3_client(config), config["COURSES_MEDIA_S3_BUCKET"], config.get("COURSES_MEDIA_S3_PREFIX") or ""
        )
    return FolderStore(Path(config.get("COURSES_MEDIA_DIR") or Path(app.instance_path) / "media"))


def _s3_client(config):
    import boto3  # optional (pip install '.[s3]'): only an app that stores media in S3 needs it

    return boto3.client(
        "s3",
        endpoint_url=config.get("COURSES_MEDIA_S3_ENDPOINT") or None,
        region_name=config.get("COURSES_MEDIA_S3_REGION") or None,
        aws_access_key_id=config.get("COURSES_MEDIA_S3_ACCESS_KEY") or None,
        aws_secret_access_key=config.get("COURSES_MEDIA_S3_SECRET_KEY") or None,
    )


def media_dir() -> Path:
    """The folder of the folder store (created when missing)."""
    folder = current_app.config.get("COURSES_MEDIA_DIR") or str(Path(current_app.instance_path) / "media")
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    return path


def media_path(item: Media) -> Path:
    """Where the folder store keeps the bytes of ``item`` (the folder store only; others: :func:`open_media`)."""
    return media_dir() / item.storage_key


def open_media(item: Media) -> BinaryIO:
    """The bytes of ``item`` as a binary file object (FileNotFoundError when the store has lost them)."""
    return media_storage().open(item.storage_key)


def read_media(item: Media) -> bytes:
    with open_media(item) as handle:
        return handle.read()


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
    store = media_storage()
    store.save(key, data, content_type)
    _pending(db.session, "written").append((store, key))
    item = db.session.scalar(select(Media).where(Media.course_id == course.id, Media.filename == name))
    if item is None:
        item = Media(course_id=course.id, filename=name)
        db.session.add(item)
    else:
        _pending(db.session, "replaced").append((store, item.storage_key))
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
    _pending(db.session, "replaced").append((media_storage(), item.storage_key))
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
    _pending(db.session, "replaced").append((media_storage(), item.storage_key))
    db.session.delete(item)


def course_media(course: Course) -> list[Media]:
    return list(db.session.scalars(select(Media).where(Media.course_id == course.id).order_by(Media.filename)))


# Files follow the transaction: a replaced or deleted file goes once the change is committed, a newly written
# one goes again if the change is rolled back (an import that fails leaves no stray files). Each entry keeps its
# store, because the session events run where no app may be current.
def _pending(session, kind: str) -> list[tuple[MediaStore, str]]:
    return session.info.setdefault("courses.media." + kind, [])


def _unlink(entries: list[tuple[MediaStore, str]]) -> None:
    for store, key in entries:
        try:
            store.delete(key)
        except Exception:  # the change is committed already; a file left behind only costs space
            log.warning("media file %s could not be deleted", key, exc_info=True)
    entries.clear()


@event.listens_for(Session, "after_commit")
def _after_commit(session) -> None:
    _unlink(_pending(session, "replaced"))
    _pending(session, "written").clear()


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction, not a savepoint
        _unlink(_pending(session, "written"))
        _pending(session, "replaced").clear()
