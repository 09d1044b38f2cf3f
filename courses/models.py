"""Courses: the draft structure trainers edit (Course, Module, Lesson) and the published versions learners read.

Publishing copies the draft into an immutable :class:`CourseVersion` (with :class:`VersionModule` and
:class:`VersionLesson` rows). An enrolment points at the version the learner started; progress is kept per
lesson id, which stays the same across versions, so a trainer can move learners to a newer version without
losing what they completed, and an edit never changes what a completed learner's record says.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.models import Academy, User
from lms.models.base import UTCDateTime, string_enum, utcnow


class CourseStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    ARCHIVED = "archived"


STATUS_LABELS = {
    CourseStatus.DRAFT: _l("Draft"),
    CourseStatus.PUBLISHED: _l("Published"),
    CourseStatus.ARCHIVED: _l("Archived"),
}


class Course(db.Model):
    __tablename__ = "courses_course"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    language: Mapped[str] = mapped_column(String(16), default="en")
    professions: Mapped[list[str]] = mapped_column(JSON, default=list)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Other languages of the title and summary: {"sq": {"title": ..., "summary": ...}}.
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    academy_id: Mapped[int] = mapped_column(ForeignKey("lms_academy.id", ondelete="RESTRICT"), index=True)
    estimated_hours: Mapped[Decimal] = mapped_column(Numeric(6, 1), default=Decimal("1.0"))
    status: Mapped[CourseStatus] = mapped_column(string_enum(CourseStatus), default=CourseStatus.DRAFT, index=True)
    self_enrolment: Mapped[bool] = mapped_column(Boolean, default=False)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    enrolment_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    enrolment_closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Completion rule: {"required_lessons": "all", "quizzes_passed": bool}; plugins may add keys.
    completion_rule: Mapped[dict[str, Any]] = mapped_column(JSON, default=lambda: {"required_lessons": "all"})
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("courses_version.id", use_alter=True, ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    academy: Mapped[Academy] = relationship(lazy="joined")
    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", cascade="all, delete-orphan"
    )
    current_version: Mapped[CourseVersion | None] = relationship(foreign_keys=[current_version_id])
    prerequisites: Mapped[list[Course]] = relationship(
        secondary="courses_prerequisite",
        primaryjoin="Course.id == CoursePrerequisite.course_id",
        secondaryjoin="Course.id == CoursePrerequisite.required_course_id",
        order_by="Course.title",
    )

    def user_can_edit(self, user: User) -> bool:
        """Trainers of the owning academy (and administrators) edit a course."""
        return user.is_authenticated and (user.is_admin or "trainer" in user.roles_in(self.academy_id))

    def user_can_manage_enrolments(self, user: User) -> bool:
        """Registrars and trainers of the owning academy enrol learners and read reports."""
        return user.is_authenticated and (
            user.is_admin or bool({"registrar", "trainer"} & user.roles_in(self.academy_id))
        )


class CoursePrerequisite(db.Model):
    __tablename__ = "courses_prerequisite"
    __table_args__ = (UniqueConstraint("course_id", "required_course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses_course.id", ondelete="CASCADE"), index=True)
    required_course_id: Mapped[int] = mapped_column(ForeignKey("courses_course.id", ondelete="CASCADE"))


class Module(db.Model):
    __tablename__ = "courses_module"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses_course.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    # Ids of modules of the same course that must be completed before this one opens.
    requires: Mapped[list[int]] = mapped_column(JSON, default=list)
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)

    course: Mapped[Course] = relationship(back_populates="modules")
    lessons: Mapped[list[Lesson]] = relationship(
        back_populates="module", order_by="Lesson.position", cascade="all, delete-orphan"
    )


class CompletionMode(enum.StrEnum):
    VIEW = "view"  # complete when opened
    MARK = "mark"  # complete when the learner says so


class Lesson(db.Model):
    __tablename__ = "courses_lesson"
    __table_args__ = (UniqueConstraint("module_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("courses_module.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(300))
    body_markdown: Mapped[str] = mapped_column(Text, default="")
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    completion_mode: Mapped[CompletionMode] = mapped_column(string_enum(CompletionMode), default=CompletionMode.MARK)
    content_notice: Mapped[str | None] = mapped_column(Text)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    video_url: Mapped[str | None] = mapped_column(String(500))
    # Other languages: {"sq": {"title": ..., "body_markdown": ...}}.
    translations: Mapped[dict[str, dict[str, str]]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    module: Mapped[Module] = relationship(back_populates="lessons")


class CourseVersion(db.Model):
    """A published, frozen copy of a course's outline and lessons."""

    __tablename__ = "courses_version"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses_course.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"))
    completion_rule: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(String(500), default="")

    modules: Mapped[list[VersionModule]] = relationship(
        order_by="VersionModule.position", cascade="all, delete-orphan", back_populates="version"
    )


class VersionModule(db.Model):
    __tablename__ = "courses_version_module"
    __table_args__ = (UniqueConstraint("version_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("courses_version.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(Integer)  # the draft module's id (stable across versions)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text, default="")
    requires: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Frozen at publishing: {"sq": {"title", "summary", "outdated": bool}} (see courses.languages).
    translations: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, default=dict)

    version: Mapped[CourseVersion] = relationship(back_populates="modules")


class VersionLesson(db.Model):
    __tablename__ = "courses_version_lesson"
    __table_args__ = (UniqueConstraint("version_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("courses_version.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(Integer)
    lesson_id: Mapped[int] = mapped_column(Integer)  # the draft lesson's id (stable across versions)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body_html: Mapped[str] = mapped_column(Text, default="")  # sanitized when published
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    completion_mode: Mapped[CompletionMode] = mapped_column(string_enum(CompletionMode), default=CompletionMode.MARK)
    content_notice: Mapped[str | None] = mapped_column(Text)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    video_url: Mapped[str | None] = mapped_column(String(500))
    # Frozen at publishing: {"sq": {"title", "content_notice", "outdated": bool}}, and the sanitized bodies of
    # the translations, {"sq": html}, kept apart so that outlines never load them.
    translations: Mapped[dict[str, dict[str, Any]]] = mapped_column(JSON, default=dict)
    translated_bodies: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)


class Media(db.Model):
    """An image or PDF uploaded to a course; stored outside the static folder under a random name."""

    __tablename__ = "courses_media"
    __table_args__ = (UniqueConstraint("course_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses_course.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EnrolmentStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    UNENROLLED = "unenrolled"


class Enrolment(db.Model):
    __tablename__ = "courses_enrolment"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id"),
        Index("ix_courses_enrolment_course_status", "course_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("lms_user.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses_course.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("courses_version.id", ondelete="RESTRICT"))
    status: Mapped[EnrolmentStatus] = mapped_column(string_enum(EnrolmentStatus), default=EnrolmentStatus.ACTIVE)
    source: Mapped[str] = mapped_column(String(16), default="self")  # self | registrar | cohort | import | api
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("lms_user.id", ondelete="SET NULL"))
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    approved_restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set once the course's prerequisites are met (completions are never revoked, so it stays true).
    prerequisites_met: Mapped[bool] = mapped_column(Boolean, default=False)
    last_lesson_id: Mapped[int | None] = mapped_column(Integer)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    unenrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined")
    course: Mapped[Course] = relationship(lazy="joined")
    version: Mapped[CourseVersion] = relationship(lazy="joined")


class LessonProgress(db.Model):
    __tablename__ = "courses_lesson_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("courses_enrolment.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(Integer)
    first_viewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    notice_acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
