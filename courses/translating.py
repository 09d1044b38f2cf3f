"""Translating a course: how far each text of the course is translated (the trainer's status table), and saving
one translation of the course, a module or a lesson.

What a translation holds and when it is outdated is courses.languages' business: a saved translation records the
hash of the source texts it was made from (:func:`courses.languages.stamp`), so it reads as current until the
source changes. Translations are part of the draft: learners read a module's or lesson's translation once the
course is published again; the course's own title and summary are read from the draft at once. Translated
lesson bodies are Markdown, rendered and sanitized as the source body is (lms.sanitize.render_markdown, when
published and in previews).

Other plugins add their texts through ``registry("translation_parts")`` (:class:`TranslationPart`): rows of
the status table (the quizzes plugin: each quiz, and a summary row of its questions) and kinds the translation
form edits (a quiz's title and introduction, read by learners at once, as the course's own texts are).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from courses import languages
from courses.authoring import _require_editor
from courses.models import Course, Lesson, Module
from lms import audit
from lms.exceptions import DomainError
from lms.extensions import db
from lms.models import User
from lms.registry import registry

TRANSLATED = "translated"
OUTDATED = "outdated"
INCOMPLETE = "incomplete"
MISSING = "missing"
STATUSES = (TRANSLATED, OUTDATED, INCOMPLETE, MISSING)
STATUS_LABELS = {
    TRANSLATED: _l("translated"),
    OUTDATED: _l("outdated"),
    INCOMPLETE: _l("incomplete"),
    MISSING: _l("missing"),
}
KINDS = ("course", "module", "lesson")


def target_languages(course: Course) -> list[str]:
    """The languages ``course`` may be translated into: the installation's languages but its own."""
    return [lang for lang in current_app.config["LMS_LANGUAGES"] if lang != course.language]


def status_of(kind: str, obj: Any, lang: str) -> str:
    """One text's translation into ``lang``: missing (no translated text), outdated (made from other source
    texts than the current ones), incomplete (some text the source has is not translated) or translated."""
    values = (obj.translations or {}).get(lang) or {}
    names = languages.TRANSLATED_FIELDS[kind]
    if not any(values.get(name) for name in names):
        return MISSING
    if languages.is_outdated(values, languages.object_hash(kind, obj)):
        return OUTDATED
    if any(getattr(obj, name, None) and not values.get(name) for name in names):
        return INCOMPLETE
    return TRANSLATED


@dataclass(frozen=True)
class StatusRow:
    """The course, a module, a lesson or a quiz, with the status of its translation into each language.

    A row may stand for several texts (a quiz's questions): ``tally`` then says, per language, how many of
    its ``size`` texts are in each status (``statuses`` holds the worst), and ``detail`` names the page that
    lists them one by one, as ``(endpoint, arguments)``. ``languages`` are those its texts are translated
    into (the table's columns are the union)."""

    kind: str
    item: Any
    statuses: dict[str, str]
    tally: dict[str, dict[str, int]] | None = None
    size: int = 1
    detail: tuple[str, dict[str, Any]] | None = None
    languages: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TranslationPart:
    """A plugin's share of a course's translations, registered in ``registry("translation_parts")``.

    ``rows(course, langs)`` returns its rows of the status table, with statuses for each of ``langs``;
    ``items`` maps each kind the translation form edits (one of :data:`courses.languages.TRANSLATED_FIELDS`)
    to a loader ``(course, item id) -> the object, or None when the course has no such item``."""

    name: str
    rows: Callable[[Course, list[str]], list[StatusRow]]
    items: dict[str, Callable[[Course, int], Any]] = field(default_factory=dict)


def translation_parts() -> list[TranslationPart]:
    """The parts other plugins registered, in registration order."""
    return list(registry("translation_parts").values())


def item_loader(kind: str) -> Callable[[Course, int], Any] | None:
    """The loader of a kind another plugin's part lets the translation form edit (None: no such kind)."""
    return next((part.items[kind] for part in translation_parts() if kind in part.items), None)


def tally(statuses: list[str]) -> dict[str, int]:
    """How many of ``statuses`` are each status."""
    return {status: statuses.count(status) for status in STATUSES}


def worst(statuses: list[str]) -> str:
    """The status a group of texts shows: missing if any text is, else outdated, incomplete, translated."""
    for status in (MISSING, OUTDATED, INCOMPLETE):
        if status in statuses:
            return status
    return TRANSLATED


@dataclass
class StatusTable:
    """Every text of a course x the languages it is (or is being) translated into."""

    course: Course
    languages: list[str]
    rows: list[StatusRow]
    counts: dict[str, dict[str, int]] = field(default_factory=dict)

    def offered(self, lang: str) -> bool:
        """Whether learners can choose ``lang``: the course's own title has been translated into it."""
        return lang in (self.course.translations or {})


def translation_status(actor: User | None, course: Course, extra: tuple[str, ...] = ()) -> StatusTable:
    """The translation-status table of ``course`` for a trainer: its languages are those any of its texts is
    translated into, plus ``extra`` (a language the trainer is starting), in the installation's order."""
    _require_editor(actor, course)
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id == course.id)
        .order_by(Module.position)
        .options(selectinload(Module.lessons))
    ).all()
    items: list[tuple[str, Any]] = [("course", course)]
    for module in modules:
        items.append(("module", module))
        items.extend(("lesson", lesson) for lesson in module.lessons)
    possible = target_languages(course)
    rows = [
        StatusRow(
            kind,
            obj,
            {lang: status_of(kind, obj, lang) for lang in possible},
            languages=frozenset(obj.translations or {}),
        )
        for kind, obj in items
    ]
    for part in translation_parts():
        rows += part.rows(course, possible)
    used = {lang for row in rows for lang in row.languages} | set(extra)
    langs = [lang for lang in possible if lang in used]
    counts = {lang: _counts(rows, lang) for lang in langs}
    return StatusTable(course, langs, rows, counts)


def _counts(rows: list[StatusRow], lang: str) -> dict[str, int]:
    """How many texts of the table are in each status in ``lang`` (a row of several counts each of them)."""
    counts = dict.fromkeys(STATUSES, 0)
    for row in rows:
        for status, number in (row.tally[lang] if row.tally else {row.statuses[lang]: 1}).items():
            counts[status] += number
    return counts


def course_of(kind: str, obj: Any) -> Course:
    """The course a course, module, lesson or quiz belongs to."""
    if kind == "course":
        return obj
    return obj.module.course if kind == "lesson" else obj.course


def save_translation(actor: User | None, kind: str, obj: Course | Module | Lesson, lang: str, texts: dict) -> str:
    """Save the translation into ``lang`` of a course, module, lesson or quiz: its texts (``texts`` holds the kind's
    :data:`courses.languages.TRANSLATED_FIELDS`; empty ones fall back to the source for learners), stamped with
    the current source hash so that it is no longer outdated. Saving no text at all removes the translation.
    Returns the translation's status after saving."""
    course = course_of(kind, obj)
    _require_editor(actor, course)
    if lang not in target_languages(course):
        raise DomainError(_("Choose another language than the course's own."), field="lang")
    values = {name: _cleaned(name, texts.get(name)) for name in languages.TRANSLATED_FIELDS[kind]}
    values = {name: value for name, value in values.items() if value}
    translations = dict(obj.translations or {})
    if values:
        # A new dict, so that the JSON column sees the change.
        translations[lang] = languages.stamp({lang: values}, languages.object_hash(kind, obj))[lang]
    else:
        translations.pop(lang, None)
    obj.translations = translations
    audit.record(
        "course.translation_saved" if values else "course.translation_removed",
        actor=actor,
        obj=obj,
        academy_id=course.academy_id,
        details={"kind": kind, "language": lang, "fields": sorted(values)},
    )
    db.session.commit()
    return status_of(kind, obj, lang)


def _cleaned(name: str, value: Any) -> str:
    text = "" if value is None else str(value).replace("\r\n", "\n")
    # A body keeps its leading spaces (Markdown indentation); one-line texts lose stray spaces around them.
    return text.rstrip() if name == "body_markdown" else text.strip()
