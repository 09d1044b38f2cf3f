"""The language a learner reads a course in, and the translated texts shown to them.

A course is written in its source language (``Course.language``); its course, modules, lessons, quizzes and
questions may hold translations (``translations[lang]``). Choosing what to show:

- The wanted language is the one the learner picked for this course (``?read=LANG``, kept in the session), else
  the interface language.
- Wanted == source: the source. Wanted among the translations: that translation, text by text (a text missing
  from the translation falls back to the source, marked so the page can say so).
- Serbian is one language in two scripts: a reader of ``sr_Cyrl`` gets the ``sr_Latn`` version (source or
  translation) transliterated, and the other way round (lms.translit).
- Otherwise the source, with a visible notice (``Reading.fallback``).

Outdated translations: a translation records ``source_hash``, the hash of the source texts it was made from
(set when it is saved or imported). When the source changes the hashes differ and the translation is outdated:
learners still read it, with a notice; trainers see it in the translation-status table. A translation without
a hash (made before hashes were kept) counts as current; an imported one marked ``outdated: true`` stores "".

Progress, attempts and certificates do not depend on the language read: lessons and questions keep their ids.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from flask import g, has_request_context, request, session
from flask_babel import get_locale

from lms.translit import to_script

SERBIAN_SCRIPTS = {"sr_Latn": "Latn", "sr_Cyrl": "Cyrl"}
OTHER_SCRIPT = {"sr_Latn": "sr_Cyrl", "sr_Cyrl": "sr_Latn"}
SESSION_KEY = "read"

# The source texts of each kind of object whose hash a translation keeps.
SOURCE_FIELDS = {
    "course": ("title", "summary"),
    "module": ("title", "summary"),
    "lesson": ("title", "body_markdown", "content_notice"),
    "quiz": ("title", "intro"),
}
# What a translation of each kind may hold.
TRANSLATED_FIELDS = {
    "course": ("title", "summary"),
    "module": ("title", "summary"),
    "lesson": ("title", "body_markdown", "content_notice"),
    "quiz": ("title", "intro"),
}


def source_hash(*texts: Any) -> str:
    """A short hash of the source texts a translation was made from."""
    joined = "\x1f".join("" if t is None else str(t) for t in texts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def object_hash(kind: str, obj: Any) -> str:
    return source_hash(*(getattr(obj, name, "") for name in SOURCE_FIELDS[kind]))


def is_outdated(translation: dict | None, current_hash: str) -> bool:
    """Whether a stored translation was made from other source texts than the current ones."""
    if not translation or "source_hash" not in translation:
        return False
    return translation["source_hash"] != current_hash


def stamp(translations: dict | None, current_hash: str) -> dict:
    """``translations`` with each language's ``source_hash`` set to ``current_hash``: current as of now, except
    those marked ``outdated: true`` (as a package marks them), which get an empty hash and stay outdated."""
    return {
        lang: {k: v for k, v in values.items() if k not in ("source_hash", "outdated")}
        | {"source_hash": "" if values.get("outdated") is True else current_hash}
        for lang, values in (translations or {}).items()
    }


def pinned(translations: dict | None, current_hash: str) -> dict:
    """``translations`` to keep across an edit of their source: each without a ``source_hash`` (made before
    hashes were kept) gets ``current_hash``, the hash before the edit, so that the edit makes it outdated."""
    return {lang: {"source_hash": current_hash} | values for lang, values in (translations or {}).items()}


def for_export(translations: dict | None, current_hash: str) -> dict:
    """Translations as a package writes them: no hash, ``outdated: true`` where the source has changed."""
    result = {}
    for lang, values in sorted((translations or {}).items()):
        item = {k: v for k, v in values.items() if k not in ("source_hash", "outdated")}
        if is_outdated(values, current_hash):
            item["outdated"] = True
        result[lang] = item
    return result


def course_languages(course: Any) -> list[str]:
    """The languages a course is written in: its source, then its translations."""
    return [course.language] + sorted(lang for lang in (course.translations or {}) if lang != course.language)


def offered_languages(course: Any) -> list[str]:
    """What a learner may choose to read a course in: its languages, plus the other script of Serbian."""
    langs = course_languages(course)
    extra = [OTHER_SCRIPT[lang] for lang in langs if lang in OTHER_SCRIPT and OTHER_SCRIPT[lang] not in langs]
    return langs + extra


@dataclass(frozen=True)
class Shown:
    """A text as shown: its value, the language it is in, and whether it is the source shown in place of a
    missing translation."""

    text: str
    lang: str
    fallback: bool = False
    outdated: bool = False

    def __str__(self) -> str:
        return self.text

    def __html__(self) -> str:
        from markupsafe import escape

        return str(escape(self.text))


@dataclass(frozen=True)
class Reading:
    """How one course is read: ``key`` is the translation to look up ("" = the source), ``script`` the Serbian
    script to transliterate Serbian texts into (None: none)."""

    wanted: str
    source: str
    key: str
    script: str | None
    offered: tuple[str, ...] = field(default=())

    @property
    def fallback(self) -> bool:
        """The course has no version in the wanted language: the source is shown."""
        return self.key == "" and not _same_language(self.wanted, self.source)

    @property
    def lang(self) -> str:
        """The language the page is (mostly) shown in, for ``lang`` attributes."""
        return self.source if self.fallback else self.wanted

    def _convert(self, text: str, lang: str, markup: bool) -> tuple[str, str]:
        if self.script and lang in SERBIAN_SCRIPTS and SERBIAN_SCRIPTS[lang] != self.script and text:
            return to_script(text, self.script, markup=markup), self.wanted
        return text, lang

    def text(self, source_value: str | None, translations: dict | None, name: str, *, markup: bool = False) -> Shown:
        """One text of an object in this reading."""
        source_value = source_value or ""
        if self.key:
            translation = (translations or {}).get(self.key) or {}
            value = translation.get(name)
            if value:
                text, lang = self._convert(value, self.key, markup)
                return Shown(text, lang, False, bool(translation.get("outdated")))
            if not source_value:
                return Shown("", self.source)
            text, lang = self._convert(source_value, self.source, markup)
            return Shown(text, lang, True)
        text, lang = self._convert(source_value, self.source, markup)
        return Shown(text, lang, False)


def _same_language(a: str, b: str) -> bool:
    return a == b or (a in SERBIAN_SCRIPTS and b in SERBIAN_SCRIPTS)


def normalized(lang: str) -> str:
    """``lang`` as the locales are spelled: ``sr-Latn`` is ``sr_Latn``, and plain ``sr`` is Cyrillic, Serbia's
    official script (as lms.i18n maps Accept-Language)."""
    lang = (lang or "").replace("-", "_")
    return "sr_Cyrl" if lang == "sr" else lang


def choose(course: Any, wanted: str) -> Reading:
    """The reading of ``course`` for a learner who wants ``wanted`` (see the module's docstring)."""
    wanted = normalized(wanted)
    source = course.language
    translations = course.translations or {}
    offered = tuple(offered_languages(course))
    script = SERBIAN_SCRIPTS.get(wanted)
    if wanted == source:
        return Reading(wanted, source, "", None, offered)
    if wanted in translations:
        return Reading(wanted, source, wanted, script, offered)
    other = OTHER_SCRIPT.get(wanted)
    if other and other == source:
        return Reading(wanted, source, "", script, offered)
    if other and other in translations:
        return Reading(wanted, source, other, script, offered)
    return Reading(wanted, source, "", None, offered)


def wanted_language(course: Any) -> str:
    """The language this request's learner wants for ``course``: their pick for it, else the interface's."""
    if has_request_context():
        picked = (session.get(SESSION_KEY) or {}).get(str(course.id))
        if picked in offered_languages(course):
            return picked
    return str(get_locale() or "en")


def remember_pick(course: Any) -> None:
    """Keep ``?read=LANG`` (one of the course's offered languages) as this learner's pick for ``course``; ``?read=``
    with an empty value forgets it."""
    if "read" not in request.args:
        return
    picked = request.args.get("read", "")
    picks = dict(session.get(SESSION_KEY) or {})
    if picked in offered_languages(course):
        picks[str(course.id)] = picked
    else:
        picks.pop(str(course.id), None)
    session[SESSION_KEY] = picks


def reading(course: Any) -> Reading:
    """The reading of ``course`` for this request (computed once per request and course)."""
    if not has_request_context():
        return choose(course, course.language)
    cache = g.setdefault("course_readings", {})
    if course.id not in cache:
        cache[course.id] = choose(course, wanted_language(course))
    return cache[course.id]


def tr(obj: Any, name: str, course: Any | None = None, *, markup: bool = False) -> Shown:
    """Jinja's ``tr(obj, 'title', course)``: one text of a course, module, lesson or quiz (a draft row, a
    published version's row or its cached info) in the reading of ``course`` (``obj`` itself when a course)."""
    course = course if course is not None else obj
    return reading(course).text(getattr(obj, name, ""), getattr(obj, "translations", None), name, markup=markup)
