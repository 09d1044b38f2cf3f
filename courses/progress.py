"""Sequencing and progress: what a learner may open, resuming, completing lessons, and completing the course
(``course_completed`` is sent exactly once, even when two requests complete the last lesson at the same time)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

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


@dataclass(frozen=True)
class ModuleInfo:
    """A module of a published version (plain data: versions never change, so it may be cached)."""

    module_id: int
    position: int
    title: str
    summary: str
    requires: tuple[int, ...]
    translations: dict = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class LessonInfo:
    """A lesson of a published version, without its body."""

    lesson_id: int
    module_id: int
    position: int
    title: str
    required: bool
    completion_mode: str
    content_notice: str | None
    restricted: bool
    video_url: str | None
    translations: dict = field(default_factory=dict, compare=False, hash=False)


@lru_cache(maxsize=512)
def version_outline(version_id: int, published_at: str) -> tuple[tuple[ModuleInfo, ...], tuple[LessonInfo, ...]]:
    """The outline of a published version, read once per worker. ``published_at`` is part of the key so a
    reused id (e.g. after a rolled-back transaction) never meets a stale entry."""
    modules = db.session.execute(
        select(
            VersionModule.module_id,
            VersionModule.position,
            VersionModule.title,
            VersionModule.summary,
            VersionModule.requires,
            VersionModule.translations,
        )
        .where(VersionModule.version_id == version_id)
        .order_by(VersionModule.position)
    ).all()
    lessons = db.session.execute(
        select(
            VersionLesson.lesson_id,
            VersionLesson.module_id,
            VersionLesson.position,
            VersionLesson.title,
            VersionLesson.required,
            VersionLesson.completion_mode,
            VersionLesson.content_notice,
            VersionLesson.restricted,
            VersionLesson.video_url,
            VersionLesson.translations,
        )
        .where(VersionLesson.version_id == version_id)
        .order_by(VersionLesson.position)
    ).all()
    return (
        tuple(
            ModuleInfo(m.module_id, m.position, m.title, m.summary, tuple(m.requires or ()), m.translations or {})
            for m in modules
        ),
        tuple(
            LessonInfo(
                r.lesson_id,
                r.module_id,
                r.position,
                r.title,
                r.required,
                str(r.completion_mode),
                r.content_notice,
                r.restricted,
                r.video_url,
                r.translations or {},
            )
            for r in lessons
        ),
    )


@lru_cache(maxsize=2048)
def lesson_body(version_id: int, published_at: str, lesson_id: int, lang: str = "") -> str | None:
    """The sanitized HTML of a lesson in a published version, in the source (``lang`` "") or in a translation
    ("" when it has none in ``lang``); immutable, so cached per worker."""
    column = VersionLesson.body_html if not lang else VersionLesson.translated_bodies
    value = db.session.scalar(
        select(column).where(VersionLesson.version_id == version_id, VersionLesson.lesson_id == lesson_id)
    )
    if lang and value is not None:
        return (value or {}).get(lang, "")
    return value


@lru_cache(maxsize=1024)
def outline_titles(version_id: int, published_at: str, reading) -> dict[tuple[str, int], Markup]:
    """The escaped titles of a published version's modules (``("m", id)``) and lessons (``("l", id)``) in
    ``reading`` (a courses.languages.Reading), made once per worker: the lesson page's outline shows them all."""
    modules, lessons = version_outline(version_id, published_at)
    titles: dict[tuple[str, int], Markup] = {}
    for kind, items, key in (("m", modules, "module_id"), ("l", lessons, "lesson_id")):
        for item in items:
            titles[(kind, getattr(item, key))] = escape(reading.text(item.title, item.translations, "title").text)
    return titles


@lru_cache(maxsize=2048)
def lesson_body_in_script(version_id: int, published_at: str, lesson_id: int, lang: str, script: str) -> str | None:
    """A Serbian lesson body transliterated into ``script`` (cached: transliteration is not free)."""
    from lms.translit import to_script

    body = lesson_body(version_id, published_at, lesson_id, lang)
    return to_script(body, script, markup=True) if body else body


def version_key(enrolment: Enrolment) -> tuple[int, str]:
    return enrolment.version_id, enrolment.version.published_at.isoformat()


@dataclass
class LessonState:
    lesson: LessonInfo
    completed: bool
    viewed: bool


@dataclass
class ModuleState:
    module: ModuleInfo
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


def lesson_visible(lesson: LessonInfo, enrolment: Enrolment) -> bool:
    """A restricted lesson shows only to learners of the course's professions or approved ones."""
    if not lesson.restricted:
        return True
    return enrolment.approved_restricted or enrolment.user.profession in (enrolment.course.professions or [])


@lru_cache(maxsize=1)
def _progress_statement():
    # Built once (the lesson page runs it on every view): see lms._user_statement.
    return select(LessonProgress).where(LessonProgress.enrolment_id == bindparam("enrolment_id"))


def build_outline(enrolment: Enrolment) -> Outline:
    """The learner's view of their version: modules, visible lessons, completion and which modules are open.

    One query (the learner's progress) besides the version's outline, which is read once per worker.
    """
    modules, lessons = version_outline(*version_key(enrolment))
    progress = {p.lesson_id: p for p in db.session.scalars(_progress_statement(), {"enrolment_id": enrolment.id})}
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
        missing = [states[r].module.title for r in module.requires if r in states and not states[r].completed]
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


def _progress_row(outline: Outline, lesson_id: int) -> LessonProgress:
    """The learner's progress row for a lesson, created if missing. Two requests creating it at once (two tabs,
    a double click) both end up with the one row: the loser's insert fails in its savepoint and it reads the
    winner's row."""
    row = outline.progress.get(lesson_id)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            row = LessonProgress(enrolment_id=outline.enrolment.id, lesson_id=lesson_id)
            db.session.add(row)
    except IntegrityError:
        row = db.session.scalar(
            select(LessonProgress).where(
                LessonProgress.enrolment_id == outline.enrolment.id, LessonProgress.lesson_id == lesson_id
            )
        )
    outline.progress[lesson_id] = row
    return row


def _accessible(outline: Outline, lesson_id: int) -> tuple[ModuleState, LessonState]:
    found = outline.state_of(lesson_id)
    if found is None:
        raise NotFoundError(_("No such lesson."))
    module, state = found
    if not module.open:
        raise DomainError(_("Complete these modules first: %(titles)s", titles=", ".join(module.missing)))
    return module, state


def load_lesson_body(enrolment: Enrolment, lesson_id: int, reading=None) -> tuple[str, str, bool]:
    """The lesson's sanitized HTML in ``reading`` (courses.languages; None: the source) with the language it is
    in and whether it is the source shown for want of a translation."""
    from courses.languages import SERBIAN_SCRIPTS

    key = version_key(enrolment)
    source = lesson_body(*key, lesson_id)
    if source is None:
        raise NotFoundError(_("No such lesson."))
    if reading is None:
        return source, enrolment.course.language, False
    lang, body, fallback = reading.source, source, False
    if reading.key:
        translated = lesson_body(*key, lesson_id, reading.key)
        if translated:
            lang, body = reading.key, translated
        else:
            fallback = bool(source)
    if reading.script and lang in SERBIAN_SCRIPTS and SERBIAN_SCRIPTS[lang] != reading.script:
        body = lesson_body_in_script(*key, lesson_id, "" if lang == reading.source else lang, reading.script)
        lang = reading.wanted
    return body, lang, fallback


ACTIVITY_RESOLUTION = timedelta(minutes=5)


def open_lesson(outline: Outline, lesson_id: int) -> bool:
    """Record that the learner opened a lesson they may open (and complete it if it completes on view).

    Writes only when something changes: a first view, another lesson than last time, a completion, or last
    activity older than ACTIVITY_RESOLUTION. Returns whether it wrote (and so committed).
    """
    enrolment = outline.enrolment
    _module, state = _accessible(outline, lesson_id)
    now = utcnow()
    progress = outline.progress.get(lesson_id)
    noticed = not state.lesson.content_notice or (progress is not None and progress.notice_acknowledged_at)
    completes = state.lesson.completion_mode == "view" and noticed and not (progress and progress.completed_at)
    stale = enrolment.last_activity_at is None or now - enrolment.last_activity_at > ACTIVITY_RESOLUTION
    if progress is not None and enrolment.last_lesson_id == lesson_id and not completes and not stale:
        return False
    progress = _progress_row(outline, lesson_id)
    if completes:
        progress.completed_at = now
    enrolment.last_lesson_id = lesson_id
    enrolment.last_activity_at = now
    db.session.commit()
    if completes:
        check_completion(enrolment)
    return True


def acknowledge_notice(outline: Outline, lesson_id: int) -> None:
    """The learner has read the content notice of a lesson (asked once per learner and lesson)."""
    _accessible(outline, lesson_id)
    progress = _progress_row(outline, lesson_id)
    progress.notice_acknowledged_at = progress.notice_acknowledged_at or utcnow()
    db.session.commit()


def complete_lesson(outline: Outline, lesson_id: int) -> None:
    """Mark a lesson complete ("Mark as complete"), then check the course's completion rule."""
    _accessible(outline, lesson_id)
    enrolment = outline.enrolment
    progress = _progress_row(outline, lesson_id)
    if progress.completed_at is None:
        progress.completed_at = utcnow()
    enrolment.last_lesson_id = lesson_id
    enrolment.last_activity_at = utcnow()
    db.session.commit()
    signals.lesson_completed.send(
        current_app._get_current_object(), user=enrolment.user, lesson_id=lesson_id, enrolment=enrolment
    )
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
        update(Enrolment)
        .where(Enrolment.id == enrolment.id, Enrolment.completed_at.is_(None))
        .values(completed_at=now, status=EnrolmentStatus.COMPLETED)
    ).rowcount
    db.session.commit()
    db.session.refresh(enrolment)
    if won == 1:
        signals.course_completed.send(
            current_app._get_current_object(), user=enrolment.user, course=enrolment.course, enrolment=enrolment
        )
    return won == 1


@dataclass
class EnrolmentSummary:
    enrolment: Enrolment
    completed: int
    required: int

    @property
    def percent(self) -> int:
        return percent_done(self.completed, self.required)


def percent_done(completed: int, required: int) -> int:
    """Progress in whole percent from completed and required lesson counts (the same everywhere it is shown:
    pages, the progress report, the API and the records exports)."""
    return round(100 * min(completed, required) / required) if required else 0


SUMMARY_SLICE = 10_000


def summaries(enrolments: list[Enrolment]) -> list[EnrolmentSummary]:
    """Completed and required lesson counts for many enrolments in grouped queries (two, plus one per further
    SUMMARY_SLICE enrolments; never one per row)."""
    from sqlalchemy import func

    if not enrolments:
        return []
    version_ids = {e.version_id for e in enrolments}
    required = dict(
        db.session.execute(
            select(VersionLesson.version_id, func.count(VersionLesson.id))
            .where(VersionLesson.version_id.in_(version_ids), VersionLesson.required.is_(True))
            .group_by(VersionLesson.version_id)
        ).all()
    )
    done: dict[int, int] = {}
    ids = [e.id for e in enrolments]
    # In slices: PostgreSQL takes at most 65,535 parameters a statement, and a national course has more learners.
    for start in range(0, len(ids), SUMMARY_SLICE):
        done.update(
            db.session.execute(
                select(LessonProgress.enrolment_id, func.count(LessonProgress.id))
                .join(Enrolment, Enrolment.id == LessonProgress.enrolment_id)
                .join(
                    VersionLesson,
                    (VersionLesson.version_id == Enrolment.version_id)
                    & (VersionLesson.lesson_id == LessonProgress.lesson_id),
                )
                .where(
                    LessonProgress.enrolment_id.in_(ids[start : start + SUMMARY_SLICE]),
                    LessonProgress.completed_at.is_not(None),
                    VersionLesson.required.is_(True),
                )
                .group_by(LessonProgress.enrolment_id)
            ).all()
        )
    return [EnrolmentSummary(e, done.get(e.id, 0), required.get(e.version_id, 0)) for e in enrolments]
