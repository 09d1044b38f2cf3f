"""Helpers the question types share: cleaning config values, reading form fields, reading stored responses.

Config helpers raise :class:`~quizzes.types.base.ConfigError` naming the field at fault (``answers.2.fraction``),
so an editor can point at it. Form and response helpers never raise: what they read comes from learners, or from
attempts stored before a question was edited.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import unicodedata
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, TypeVar

from flask_babel import gettext as _

from quizzes.types.base import ConfigError

MAX_TEXT = 20_000  # any config text: answers, feedback, rubrics, cloze markup
MAX_TYPED = 1_000  # what a learner types into a one-line field
MAX_ESSAY = 100_000
MAX_ITEMS = 100  # answers, pairs or items in one question

_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,40}")
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]{1,3})?")
_ANSWER_KEYS = ("text", "fraction", "feedback")
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-"})

T = TypeVar("T")


# --- config ------------------------------------------------------------------------------------------------


def require_dict(value: Any, field: str) -> dict:
    """``value`` if it is a dict, else a ConfigError."""
    if not isinstance(value, dict):
        raise ConfigError(_("This must be an object."), field)
    return value


def clean_text(value: Any, field: str, *, required: bool = False, max_length: int = MAX_TEXT) -> str:
    """A trimmed string ("" for None unless required)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ConfigError(_("This must be text."), field)
    value = value.strip()
    if required and not value:
        raise ConfigError(_("This cannot be empty."), field)
    if len(value) > max_length:
        raise ConfigError(_("This is longer than %(count)d characters.", count=max_length), field)
    return value


def general_feedback(config: dict) -> str:
    """The ``general_feedback`` every type's config may carry, shown to everyone at review."""
    return clean_text(config.get("general_feedback"), "general_feedback")


def clean_bool(value: Any, field: str, default: bool) -> bool:
    """A boolean, ``default`` when absent."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ConfigError(_("This must be true or false."), field)
    return value


def clean_number(value: Any, field: str) -> float:
    """A finite number, from a JSON number or a numeric string ("0.5", "0,5")."""
    if isinstance(value, str) and (parsed := parse_number(value)) is not None:
        value = float(parsed)
    number = math.nan
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value) if abs(value) < 1e300 else math.inf  # float() of a huge int would raise
    if not math.isfinite(number):
        raise ConfigError(_("This must be a number."), field)
    return number


def clean_fraction(value: Any, field: str) -> float:
    """A fraction of the marks from -1 to 1 (1.0 is 100 %)."""
    fraction = clean_number(value, field)
    if not -1.0 <= fraction <= 1.0:
        raise ConfigError(_("A fraction must lie between -100 % and 100 %."), field)
    return fraction


def clean_list(value: Any, field: str, *, least: int) -> list:
    """A list of at least ``least`` and at most MAX_ITEMS entries."""
    if not isinstance(value, list):
        raise ConfigError(_("This must be a list."), field)
    if len(value) < least:
        raise ConfigError(_("At least %(count)d are needed.", count=least), field)
    if len(value) > MAX_ITEMS:
        raise ConfigError(_("At most %(count)d are allowed.", count=MAX_ITEMS), field)
    return value


def clean_answers(value: Any, field: str, *, least: int) -> list[dict]:
    """Answers as ``[{"id", "text", "fraction", "feedback"}]``, missing ids made up (see :func:`assign_ids`)."""
    answers = []
    for index, raw in enumerate(clean_list(value, field, least=least)):
        where = f"{field}.{index}"
        raw = require_dict(raw, where)
        answers.append(
            {
                "id": raw.get("id"),
                "text": clean_text(raw.get("text"), f"{where}.text", required=True),
                "fraction": clean_fraction(raw.get("fraction", 0.0), f"{where}.fraction"),
                "feedback": clean_text(raw.get("feedback"), f"{where}.feedback"),
            }
        )
    return assign_ids(answers, field, "a")


def answers_from_exchange(question: dict) -> Any:
    """A question dict's answers with just the keys :func:`clean_answers` reads (oddities left for it)."""
    answers = question.get("answers", [])
    if not isinstance(answers, list):
        return answers
    return [{k: a.get(k) for k in _ANSWER_KEYS} if isinstance(a, dict) else a for a in answers]


def answers_to_exchange(answers: list[dict]) -> list[dict]:
    """Config answers as a question dict has them: without ids."""
    return [{k: a[k] for k in _ANSWER_KEYS} for a in answers]


def assign_ids(items: list[dict], field: str, prefix: str, text_key: str = "text") -> list[dict]:
    """Check the ids ``items`` have and give the others one made from their text.

    Learners see ids, so an id must not give the key away: one made from the text says nothing about its
    position or its fraction, and stays the same when the question is imported again.
    """
    taken: set[str] = set()
    for index, item in enumerate(items):
        if item["id"] is None:
            continue
        if not isinstance(item["id"], str) or not _ID_RE.fullmatch(item["id"]):
            raise ConfigError(_("An id is 1-40 letters, digits, '-' or '_'."), f"{field}.{index}.id")
        if item["id"] in taken:
            raise ConfigError(_("This id is used twice."), f"{field}.{index}.id")
        taken.add(item["id"])
    for item in items:
        if item["id"] is None:
            item["id"] = opaque_id(prefix, item[text_key], taken)
            taken.add(item["id"])
    return items


def opaque_id(prefix: str, text: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """An id made from ``text`` (not from its position), unique among ``taken``."""
    digest = hashlib.sha256(unicodedata.normalize("NFC", text).encode()).hexdigest()[:8]
    candidate, count = prefix + digest, 1
    while candidate in taken:
        count += 1
        candidate = f"{prefix}{digest}-{count}"
    return candidate


# --- text and numbers ----------------------------------------------------------------------------------------


def normalise_text(text: str, case_sensitive: bool) -> str:
    """Text as compared: Unicode NFC, whitespace trimmed and collapsed, and casefolded unless case matters.

    Casefolding is Unicode-aware, so "Đ" matches "đ" and "STRASSE" matches "straße".
    """
    text = " ".join(unicodedata.normalize("NFC", text).split())
    return text if case_sensitive else unicodedata.normalize("NFC", text.casefold())


def parse_number(text: str) -> Decimal | None:
    """A decimal number as people type it here: "3.5", "3,5", "-2", "1e3", "−4" (a Unicode minus); else None."""
    text = text.strip().translate(_MINUS_SIGNS)
    if not _NUMBER_RE.fullmatch(text):
        return None
    return Decimal(text.replace(",", "."))


def plain_number(number: Decimal) -> str:
    """``Decimal("3.50")`` -> "3.5", without exponent or float noise."""
    text = format(number.normalize(), "f")
    return "0" if text == "-0" else text


# --- forms and responses -----------------------------------------------------------------------------------


def field_name(prefix: str, key: str | None = None) -> str:
    """The form field a type reads: ``{prefix}answer``, or ``{prefix}answer.{key}`` for one part of it."""
    return f"{prefix}answer" if key is None else f"{prefix}answer.{key}"


def form_values(form: Any, name: str, *, max_length: int = MAX_TYPED) -> list[str]:
    """Every string submitted under ``name``, each cut to ``max_length``.

    ``form`` may be a werkzeug MultiDict, a ``dict[str, list[str]]`` or a ``dict[str, str]``; anything else
    reads as empty.
    """
    if hasattr(form, "getlist"):
        values = form.getlist(name)
    elif isinstance(form, Mapping):
        values = form.get(name)
    else:
        values = None
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list | tuple):
        return []
    return [value[:max_length] for value in values[:MAX_ITEMS] if isinstance(value, str)]


def form_value(form: Any, name: str, *, max_length: int = MAX_TYPED) -> str:
    """The first string submitted under ``name`` ("" when none)."""
    values = form_values(form, name, max_length=max_length)
    return values[0] if values else ""


def as_text(response: Any, max_length: int = MAX_TYPED) -> str:
    """A stored response read as text ("" unless it is a string)."""
    return response[:max_length] if isinstance(response, str) else ""


def as_ids(response: Any, known: set[str] | dict) -> list[str]:
    """A stored response read as a list of known ids, in order, without repeats (a lone string is a list)."""
    if isinstance(response, str):
        response = [response]
    if not isinstance(response, list):
        return []
    seen: list[str] = []
    for value in response[:MAX_ITEMS]:
        if isinstance(value, str) and value in known and value not in seen:
            seen.append(value)
    return seen


def as_mapping(response: Any) -> dict[str, Any]:
    """A stored response read as a dict with string keys ({} unless it is one)."""
    if not isinstance(response, dict):
        return {}
    return {key: value for key, value in response.items() if isinstance(key, str)}


def shuffled(items: list[T], rng: random.Random) -> list[T]:
    """A shuffled copy of ``items``; the same ``rng`` state gives the same order."""
    copy = list(items)
    rng.shuffle(copy)
    return copy
