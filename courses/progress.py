"""Sequencing and progress: what a learner may open, resuming, completing lessons, and completing the course
(``course_completed`` is sent exactly once, even when two requests complete the last lesson at the same time)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import defer

from courses.models import (
    Enrolment,
    EnrolmentStatus,
    LessonProgress,
    VersionLesson,
    VersionModule,
)
from lms import signals
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models.base import utcnow
from lms.registry import registry


@dataclass
class LessonState:
    lesson: VersionLesson
    completed: bool
    viewed: bool


@dataclass
class ModuleState:
    module: VersionModule
    lessons: list[LessonState]
    open: bool
    completed: bool
    missing: list[str] = field(default_factory=list)  # titles of modules that must be completed first


@dataclass
class Outline:
    enrolment: Enrolment
    modules: list[ModuleState]
    progress: dict[int, LessonProgress]

    @property
    def lessons(self) -> list[LessonState]:
        return [ls for m in self.modules for ls in m.lessons]

    @property
    def percent(self) -> int:
        required = [ls for ls in self.lessons if ls.lesson.required] or self.lessons
        return round(100 * sum(ls.completed for ls in required) / len(required)) if required else 0

    def state_of(self, lesson_id: int) -> tuple[ModuleState, LessonState] | None:
        for module in self.modules:
            for state in module.lessons:
                if state.lesson.lesson_id == lesson_id:
                    return module, state
        return None

    def neighbours(self, lesson_id: int) -> tuple[LessonState | None, LessonState | None]:
        flat = [ls for m in self.modules if m.open for ls in m.lessons]
        ids = [ls.lesson.lesson_id for ls in flat]
        if lesson_id not in ids:
            return None, None
        i = ids.index(lesson_id)
        return (flat[i - 1] if i > 0 else None), (flat[i + 1] if i + 1 < len(flat) else None)


def lesson_visible(lesson: VersionLesson, enrolment: Enrolment) -> bool:
    """A restricted lesson shows only to learners of the course's professions or approved ones."""
    if not lesson.restricted:
        return True
    return enrolment.approved_restricted or enrolment.user.profession in (enrolment.course.professions or [])


def build_outline(enrolment: Enrolment) -> Outline:
    """The learner's view of their version: modules, visible lessons, completion and which modules are open.

    Three queries whatever the size of the course (modules, lessons without bodies, progress).
    """
    modules = db.session.scalars(
        select(VersionModule).where(VersionModule.version_id == enrolment.version_id).order_by(VersionModule.position)
    ).all()
    lessons = db.session.scalars(
        select(VersionLesson).options(defer(VersionLesson.body_html))
        .where(VersionLesson.version_id == enrolment.version_id).order_by(VersionLesson.position)
    ).all()
    progress = {p.lesson_id: p for p in db.session.scalars(
        select(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id))}
    by_module: dict[int, list[LessonState]] = {m.module_id: [] for m in modules}
    for lesson in lessons:
        if lesson_visible(lesson, enrolment) and lesson.module_id in by_module:
            p = progress.get(lesson.lesson_id)
            by_module[lesson.module_id].append(LessonState(lesson, bool(p and p.completed_at), p is not None))
    states: dict[int, ModuleState] = {}
    for module in modules:
        items = by_module[module.module_id]
        required = [s for s in items if s.lesson.required]
        done = all(s.completed for s in required)
        missing = [states[r].module.title for r in module.requires or [] if r in states and not states[r].completed]
        states[module.module_id] = ModuleState(module, items, open=not missing, completed=done, missing=missing)
    return Outline(enrolment, list(states.values()), progress)


def resume_lesson_id(outline: Outline) -> int | None:
    """Where the learner stopped, or the first open lesson not yet completed, or the first lesson."""
    last = outline.enrolment.last_lesson_id
    found = outline.state_of(last) if last else None
    if found and found[0].open:
        return last
    for module in outline.modules:
        if module.open:
            for state in module.lessons:
                if not state.completed:
                    return state.lesson.lesson_id
    open_lessons = [s for m in outline.modules if m.open for s in m.lessons]
    return open_lessons[0].lesson.lesson_id if open_lessons else None


def _accessible(outline: Outline, lesson_id: int) -> tuple[ModuleState, LessonState]:
    found = outline.state_of(lesson_id)
    if found is None:
        raise NotFoundError(_("No such lesson."))
    module, state = found
    if not module.open:
        raise DomainError(_("Complete these modules first: %(titles)s", titles=", ".join(module.missing)))
    return module, state


def load_lesson(enrolment: Enrolment, lesson_id: int) -> VersionLesson:
    lesson = db.session.scalar(select(VersionLesson).where(
        VersionLesson.version_id == enrolment.version_id, VersionLesson.lesson_id == lesson_id))
    if lesson is None:
        raise NotFoundError(_("No such lesson."))
    return lesson


def open_lesson(outline: Outline, lesson_id: int) -> LessonProgress:
    """Record that the learner opened a lesson they may open (and complete it if it completes on view)."""
    enrolment = outline.enrolment
    _module, state = _accessible(outline, lesson_id)
    progress = outline.progress.get(lesson_id)
    if progress is None:
        progress = LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson_id)
        db.session.add(progress)
    enrolment.last_lesson_id = lesson_id
    enrolment.last_activity_at = utcnow()
    noticed = not state.lesson.content_notice or progress.notice_acknowledged_at is not None
    completes = state.lesson.completion_mode == "view" and noticed
    if completes and progress.completed_at is None:
        progress.completed_at = utcnow()
    db.session.commit()
    if completes:
        check_completion(enrolment)
    return progress


def acknowledge_notice(outline: Outline, lesson_id: int) -> None:
    """The learner has read the content notice of a lesson (asked once per learner and lesson)."""
    _accessible(outline, lesson_id)
    progress = outline.progress.get(lesson_id) or LessonProgress(enrolment_id=outline.enrolment.id,
                                                                  lesson_id=lesson_id)
    progress.notice_acknowledged_at = progress.notice_acknowledged_at or utcnow()
    db.session.add(progress)
    db.session.commit()


def complete_lesson(outline: Outline, lesson_id: int) -> None:
    """Mark a lesson complete ("Mark as complete"), then check the course's completion rule."""
    _accessible(outline, lesson_id)
    enrolment = outline.enrolment
    progress = outline.progress.get(lesson_id) or LessonProgress(enrolment_id=enrolment.id, lesson_id=lesson_id)
    if progress.completed_at is None:
        progress.completed_at = utcnow()
    db.session.add(progress)
    enrolment.last_lesson_id = lesson_id
    enrolment.last_activity_at = utcnow()
    db.session.commit()
    signals.lesson_completed.send(current_app._get_current_object(), user=enrolment.user, lesson_id=lesson_id,
                                  enrolment=enrolment)
    check_completion(enrolment)


def completion_checks() -> list[Callable[[Enrolment], bool]]:
    """Extra conditions of the completion rule that plugins add (e.g. quizzes: "all quizzes passed")."""
    return registry("completion_checks").values()


def rule_met(enrolment: Enrolment, outline: Outline | None = None) -> bool:
    outline = outline or build_outline(enrolment)
    lessons = [s for s in outline.lessons if s.lesson.required]
    if not all(s.completed for s in lessons):
        return False
    return all(check(enrolment) for check in completion_checks())


def check_completion(enrolment: Enrolment) -> bool:
    """Complete the enrolment when its rule is met; ``course_completed`` is sent once, by the request that wins."""
    if enrolment.completed_at is not None or enrolment.status == EnrolmentStatus.UNENROLLED:
        return False
    if not rule_met(enrolment):
        return False
    now = utcnow()
    won = db.session.execute(
        update(Enrolment).where(Enrolment.id == enrolment.id, Enrolment.completed_at.is_(None))
        .values(completed_at=now, status=EnrolmentStatus.COMPLETED)
    ).rowcount
    db.session.commit()
    db.session.refresh(enrolment)
    if won == 1:
        signals.course_completed.send(current_app._get_current_object(), user=enrolment.user,
                                      course=enrolment.course, enrolment=enrolment)
    return won == 1


@dataclass
class EnrolmentSummary:
    enrolment: Enrolment
    completed: int
    required: int

    @property
    def percent(self) -> int:
        return round(100 * min(self.completed, self.required) / self.required) if self.required else 0


def summaries(enrolments: list[Enrolment]) -> list[EnrolmentSummary]:
    """Completed and required lesson counts for many enrolments in two grouped queries (no query per row)."""
    from sqlalchemy import func

    if not enrolments:
        return []
    version_ids = {e.version_id for e in enrolments}
    required = dict(db.session.execute(
        select(VersionLesson.version_id, func.count(VersionLesson.id))
        .where(VersionLesson.version_id.in_(version_ids), VersionLesson.required.is_(True))
        .group_by(VersionLesson.version_id)).all())
    done = dict(db.session.execute(
        select(LessonProgress.enrolment_id, func.count(LessonProgress.id))
        .join(Enrolment, Enrolment.id == LessonProgress.enrolment_id)
        .join(VersionLesson, (VersionLesson.version_id == Enrolment.version_id)
              & (VersionLesson.lesson_id == LessonProgress.lesson_id))
        .where(LessonProgress.enrolment_id.in_([e.id for e in enrolments]),
               LessonProgress.completed_at.is_not(None), VersionLesson.required.is_(True))
        .group_by(LessonProgress.enrolment_id)).all())
    return [EnrolmentSummary(e, done.get(e.id, 0), required.get(e.version_id, 0)) for e in enrolments]
