"""Authoring use cases: courses, modules, lessons, order, publishing versions. Trainers of the owning academy
(and administrators) only; each function commits one transaction and records an audit event."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from courses import languages
from courses.models import (
    CompletionMode,
    Course,
    CourseStatus,
    CourseVersion,
    Lesson,
    Module,
    VersionLesson,
    VersionModule,
)
from lms import audit
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models import PROFESSIONS, Academy, User
from lms.sanitize import render_markdown

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,98}$")
VIDEO_HOSTS = (
    "https://www.youtube-nocookie.com/",
    "https://www.youtube.com/",
    "https://youtu.be/",
    "https://player.vimeo.com/",
    "https://vimeo.com/",
)


def slugify(text: str) -> str:
    """A slug from a title (ASCII; the region's letters folded: č→c, đ→dj, ë→e)."""
    table = str.maketrans(
        {
            "č": "c",
            "ć": "c",
            "đ": "dj",
            "š": "s",
            "ž": "z",
            "ë": "e",
            "ç": "c",
            "Č": "c",
            "Ć": "c",
            "Đ": "dj",
            "Š": "s",
            "Ž": "z",
            "Ë": "e",
            "Ç": "c",
        }
    )
    import unicodedata

    text = unicodedata.normalize("NFKD", text.translate(table)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:90] or "item"


def _require_editor(actor: User | None, course: Course) -> None:
    if actor is not None and not course.user_can_edit(actor):
        raise NotFoundError(_("No such course."))


def get_editable_course(actor: User, course_id: int) -> Course:
    """The course if ``actor`` may edit it, else NotFoundError (404: another academy's course is invisible)."""
    course = db.session.get(Course, course_id)
    if course is None or not course.user_can_edit(actor):
        raise NotFoundError(_("No such course."))
    return course


@dataclass
class CourseFields:
    title: str
    slug: str
    summary: str = ""
    language: str = "en"
    professions: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    estimated_hours: Decimal = Decimal("1")
    self_enrolment: bool = False
    restricted: bool = False
    enrolment_opens_at: Any = None
    enrolment_closes_at: Any = None
    completion_rule: dict = field(default_factory=lambda: {"required_lessons": "all"})
    prerequisite_ids: list[int] = field(default_factory=list)


def _check_fields(fields: CourseFields, course: Course | None) -> None:
    if not SLUG_RE.match(fields.slug or ""):
        raise DomainError(_("Use lowercase letters, digits and hyphens."), field="slug")
    clash = db.session.scalar(select(Course.id).where(Course.slug == fields.slug))
    if clash is not None and (course is None or clash != course.id):
        raise DomainError(_("Another course already uses this short name."), field="slug")
    unknown = [p for p in fields.professions if p not in PROFESSIONS]
    if unknown:
        raise DomainError(_("Unknown profession: %(value)s", value=", ".join(unknown)), field="professions")
    if fields.estimated_hours is None or fields.estimated_hours <= 0:
        raise DomainError(_("Give the estimated hours as a positive number."), field="estimated_hours")
    if (
        fields.enrolment_opens_at
        and fields.enrolment_closes_at
        and (fields.enrolment_closes_at <= fields.enrolment_opens_at)
    ):
        raise DomainError(_("Enrolment must close after it opens."), field="enrolment_closes_at")


def _apply_fields(course: Course, fields: CourseFields) -> None:
    for name in (
        "title",
        "slug",
        "summary",
        "language",
        "professions",
        "topics",
        "estimated_hours",
        "self_enrolment",
        "restricted",
        "enrolment_opens_at",
        "enrolment_closes_at",
        "completion_rule",
    ):
        setattr(course, name, getattr(fields, name))
    if course.id is not None and course.id in fields.prerequisite_ids:
        raise DomainError(_("A course cannot require itself."), field="prerequisites")
    course.prerequisites = list(
        db.session.scalars(select(Course).where(Course.id.in_(fields.prerequisite_ids or [-1])))
    )


def create_course(actor: User | None, academy: Academy, fields: CourseFields) -> Course:
    """Create a draft course owned by ``academy`` (``actor`` None: the command line)."""
    if actor is not None and not (actor.is_admin or "trainer" in actor.roles_in(academy.id)):
        raise DomainError(_("You cannot create courses for %(academy)s.", academy=academy.name), field="academy")
    _check_fields(fields, None)
    course = Course(academy=academy, created_by_id=actor.id if actor else None)
    _apply_fields(course, fields)
    db.session.add(course)
    db.session.flush()
    audit.record("course.created", actor=actor, obj=course, academy_id=academy.id, details={"slug": course.slug})
    db.session.commit()
    return course


def update_course(actor: User | None, course: Course, fields: CourseFields) -> None:
    _require_editor(actor, course)
    _check_fields(fields, course)
    _apply_fields(course, fields)
    audit.record("course.changed", actor=actor, obj=course, academy_id=course.academy_id)
    db.session.commit()


def _next_position(model, parent_column, parent_id: int) -> int:
    current = db.session.scalar(select(func.max(model.position)).where(parent_column == parent_id))
    return (current or 0) + 1


def _unique_slug(model, parent_column, parent_id: int, wanted: str, exclude_id: int | None = None) -> str:
    taken = set(
        db.session.scalars(select(model.slug).where(parent_column == parent_id, model.id != (exclude_id or -1)))
    )
    slug, n = wanted, 1
    while slug in taken:
        n += 1
        slug = f"{wanted}-{n}"
    return slug


def add_module(
    actor: User | None,
    course: Course,
    title: str,
    summary: str = "",
    slug: str | None = None,
    requires: list[int] | None = None,
) -> Module:
    _require_editor(actor, course)
    if not title.strip():
        raise DomainError(_("Give the module a title."), field="title")
    required = _valid_module_requirements(course, requires or [], None)
    module = Module(
        course_id=course.id,
        title=title.strip(),
        summary=summary,
        requires=required,
        slug=_unique_slug(Module, Module.course_id, course.id, slug or slugify(title)),
        position=_next_position(Module, Module.course_id, course.id),
    )
    db.session.add(module)
    db.session.flush()
    audit.record("course.module_added", actor=actor, obj=module, academy_id=course.academy_id)
    db.session.commit()
    db.session.refresh(course)
    return module


def _valid_module_requirements(course: Course, requires: list[int], module: Module | None) -> list[int]:
    ids = {m.id for m in course.modules}
    cleaned = [int(r) for r in requires if int(r) in ids and (module is None or int(r) != module.id)]
    return sorted(set(cleaned))


def update_module(actor: User | None, module: Module, title: str, summary: str, requires: list[int]) -> None:
    _require_editor(actor, module.course)
    if not title.strip():
        raise DomainError(_("Give the module a title."), field="title")
    module.title, module.summary = title.strip(), summary
    module.requires = _valid_module_requirements(module.course, requires, module)
    audit.record("course.module_changed", actor=actor, obj=module, academy_id=module.course.academy_id)
    db.session.commit()


def delete_module(actor: User | None, module: Module) -> None:
    course = module.course
    _require_editor(actor, course)
    for other in course.modules:
        if module.id in (other.requires or []):
            other.requires = [r for r in other.requires if r != module.id]
    audit.record(
        "course.module_deleted", actor=actor, obj=module, academy_id=course.academy_id, details={"title": module.title}
    )
    db.session.delete(module)
    db.session.commit()


@dataclass
class LessonFields:
    title: str
    body_markdown: str = ""
    required: bool = True
    completion_mode: CompletionMode = CompletionMode.MARK
    content_notice: str | None = None
    restricted: bool = False
    video_url: str | None = None
    slug: str | None = None


def _check_lesson(fields: LessonFields) -> None:
    if not fields.title.strip():
        raise DomainError(_("Give the lesson a title."), field="title")
    if fields.video_url and not fields.video_url.startswith(VIDEO_HOSTS):
        raise DomainError(_("Link a video on YouTube or Vimeo (https)."), field="video_url")


def add_lesson(actor: User | None, module: Module, fields: LessonFields) -> Lesson:
    _require_editor(actor, module.course)
    _check_lesson(fields)
    lesson = Lesson(
        module_id=module.id,
        position=_next_position(Lesson, Lesson.module_id, module.id),
        slug=_unique_slug(Lesson, Lesson.module_id, module.id, fields.slug or slugify(fields.title)),
    )
    _apply_lesson(lesson, fields)
    db.session.add(lesson)
    db.session.flush()
    audit.record("course.lesson_added", actor=actor, obj=lesson, academy_id=module.course.academy_id)
    db.session.commit()
    db.session.refresh(module)
    return lesson


def _apply_lesson(lesson: Lesson, fields: LessonFields) -> None:
    lesson.title = fields.title.strip()
    lesson.body_markdown = fields.body_markdown or ""
    lesson.required = fields.required
    lesson.completion_mode = fields.completion_mode
    lesson.content_notice = (fields.content_notice or "").strip() or None
    lesson.restricted = fields.restricted
    lesson.video_url = fields.video_url or None


def update_lesson(actor: User | None, lesson: Lesson, fields: LessonFields) -> None:
    _require_editor(actor, lesson.module.course)
    _check_lesson(fields)
    _apply_lesson(lesson, fields)
    audit.record("course.lesson_changed", actor=actor, obj=lesson, academy_id=lesson.module.course.academy_id)
    db.session.commit()


def delete_lesson(actor: User | None, lesson: Lesson) -> None:
    course = lesson.module.course
    _require_editor(actor, course)
    audit.record(
        "course.lesson_deleted", actor=actor, obj=lesson, academy_id=course.academy_id, details={"title": lesson.title}
    )
    db.session.delete(lesson)
    db.session.commit()


def move(actor: User | None, item: Module | Lesson, direction: int) -> None:
    """Move a module or lesson one place up (-1) or down (+1) among its siblings."""
    course = item.course if isinstance(item, Module) else item.module.course
    _require_editor(actor, course)
    # A plain copy: rearranging the relationship list itself would orphan (and so delete) the moved item.
    siblings = list(course.modules if isinstance(item, Module) else item.module.lessons)
    index = siblings.index(item)
    target = index + direction
    if 0 <= target < len(siblings):
        siblings[index], siblings[target] = siblings[target], siblings[index]
        for position, sibling in enumerate(siblings, start=1):
            sibling.position = position
        audit.record("course.reordered", actor=actor, obj=item, academy_id=course.academy_id)
    db.session.commit()


def lesson_count(course: Course) -> int:
    return sum(len(m.lessons) for m in course.modules)


def publish(actor: User | None, course: Course, note: str = "") -> CourseVersion:
    """Freeze the draft as a new version: learners who enrol from now on read it; learners already enrolled
    stay on their version until a trainer moves them (:func:`courses.enrolment.migrate_learners`)."""
    version = freeze_version(actor, course, note)
    db.session.commit()
    return version


def freeze_version(actor: User | None, course: Course, note: str = "") -> CourseVersion:
    """The work of :func:`publish` inside the caller's transaction (no commit)."""
    _require_editor(actor, course)
    if not course.modules or not lesson_count(course):
        raise DomainError(_("Add at least one module with a lesson before publishing."))
    number = (
        db.session.scalar(select(func.max(CourseVersion.number)).where(CourseVersion.course_id == course.id)) or 0
    ) + 1
    version = CourseVersion(
        course_id=course.id,
        number=number,
        published_by_id=actor.id if actor else None,
        completion_rule=dict(course.completion_rule or {}),
        note=note[:500],
    )
    db.session.add(version)
    db.session.flush()
    for m_pos, module in enumerate(course.modules, start=1):
        db.session.add(
            VersionModule(
                version_id=version.id,
                module_id=module.id,
                position=m_pos,
                title=module.title,
                summary=module.summary,
                requires=list(module.requires or []),
                translations=_frozen_translations("module", module, ("title", "summary")),
            )
        )
        for l_pos, lesson in enumerate(module.lessons, start=1):
            db.session.add(
                VersionLesson(
                    version_id=version.id,
                    module_id=module.id,
                    lesson_id=lesson.id,
                    position=l_pos,
                    title=lesson.title,
                    body_html=render_markdown(lesson.body_markdown),
                    required=lesson.required,
                    completion_mode=lesson.completion_mode,
                    content_notice=lesson.content_notice,
                    restricted=lesson.restricted,
                    video_url=lesson.video_url,
                    translations=_frozen_translations("lesson", lesson, ("title", "content_notice")),
                    translated_bodies={
                        lang: render_markdown(values["body_markdown"])
                        for lang, values in sorted((lesson.translations or {}).items())
                        if values.get("body_markdown")
                    },
                )
            )
    course.current_version_id = version.id
    course.status = CourseStatus.PUBLISHED
    audit.record("course.published", actor=actor, obj=course, academy_id=course.academy_id, details={"version": number})
    return version


def _frozen_translations(kind: str, obj, names: tuple[str, ...]) -> dict:
    """A draft's translations as a published version keeps them: the texts, and whether each was outdated."""
    current = languages.object_hash(kind, obj)
    return {
        lang: {name: values[name] for name in names if values.get(name)}
        | {"outdated": languages.is_outdated(values, current)}
        for lang, values in sorted((obj.translations or {}).items())
    }


def set_status(actor: User | None, course: Course, status: CourseStatus) -> None:
    """Archive a course (hidden from the catalog; enrolled learners keep access) or bring it back."""
    _require_editor(actor, course)
    if status == CourseStatus.PUBLISHED and course.current_version_id is None:
        raise DomainError(_("Publish the course first."))
    course.status = status
    audit.record(
        "course.status_changed", actor=actor, obj=course, academy_id=course.academy_id, details={"status": status.value}
    )
    db.session.commit()
