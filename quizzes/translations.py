"""Questions in the language of an attempt: the translated texts laid over the source config, by position.

A question version stores its source texts (``text`` and the type's ``config``) and, per language, a translation
``{"text": ..., "config": {...the same config with its texts translated...}}`` (see quizzes.package). A learner
reads a quiz in the language they read its course in (courses.languages), fixed on the attempt when it starts
(``Attempt.language``). What the learner sees and what grades them is :func:`localize`'s config:

- The source config is copied and only its texts are replaced, position by position, from the translation:
  the keys in :data:`TEXT_KEYS`, at the top level and in the lists of :data:`LIST_KEYS`. Ids, fractions,
  values, tolerances, flags stay the source's, so a translation can never change what is right or the marks.
- A text the translation lacks (or leaves empty) is the source's, and the question is marked ``fallback`` when
  that text is one the learner sees while answering, so the page can say so as the course pages do. A text the
  source leaves empty stays empty (a translation cannot turn a matching distractor into a stem).
- Short answer accepts the source answers, the translated ones, and for Serbian both scripts of each, every
  extra answer with the fraction and translated feedback of the answer it comes from.
- Matching keeps the translated answers only when they pair up with the source answers one to one (the
  choices are made from the answer texts); otherwise the source answers are shown.
- Cloze takes the translated markup whole (its answers are embedded in it) only when it has the same gaps:
  as many, of the same kinds and weights, with the same fractions in the same order (and the same numbers for
  numerical gaps); otherwise the source markup.
- Serbian is one language in two scripts: texts in the other script than the reader's are transliterated
  (lms.translit), as courses.languages does for lessons.

Responses are stored as the learner answered the localized question. Matching and cloze make choice ids from
texts, so :func:`to_source_response` maps a response back to the source's ids for what trainers read (the staff
review and item analysis show the source texts and count responses per source answer).

Outdated translations (as courses.languages keeps them for lessons): a question's translation records
``source_hash``, :func:`question_hash` of the source texts it was made from, the texts a translation replaces
(:func:`source_texts`: the question text and the config's texts, never ids, fractions or values). Editing those
texts makes the translation outdated; learners still read it, with a notice.

Everything above the last section is pure (no database, no request); the last section applies it to an
attempt's items.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from courses.languages import SERBIAN_SCRIPTS, Reading, choose, is_outdated, source_hash
from lms.translit import to_script
from quizzes.types import ConfigError
from quizzes.types.cloze import Gap, gaps
from quizzes.types.match import Match

# Texts a translation may replace, at the top level of a config and in the items of its lists.
TEXT_KEYS = ("text", "feedback", "general_feedback", "feedback_true", "feedback_false", "answer", "rubric", "template")
LIST_KEYS = ("answers", "items", "pairs")
# Of those, the texts a learner sees while answering (the others appear in review, or never: the rubric).
VISIBLE_KEYS = frozenset({"text", "answer", "template"})
# Types whose answers are hidden while answering (typed answers), so their texts are not "visible".
HIDDEN_ANSWERS = frozenset({"shortanswer", "numerical"})
_OTHER_SCRIPT = {"Latn": "Cyrl", "Cyrl": "Latn"}
# A cloze gap's header, as quizzes.types.cloze reads it; numerical gaps' bodies are numbers, never transliterated.
_GAP_HEADER = re.compile(r"\{([0-9]*):([A-Za-z_]+):")
_NUMERICAL_GAPS = frozenset({"NUMERICAL", "NM"})


@dataclass(frozen=True)
class Localized:
    """A question version as read in one language: its text and the config to show and grade with.

    ``lang`` is the language the question is (mostly) shown in; ``fallback`` says that some text the learner
    sees while answering is the source's, in place of a missing translation; ``outdated`` that the translation
    was made from older source texts."""

    text: str
    text_format: str
    config: dict
    lang: str
    fallback: bool = False
    outdated: bool = False


def text_pairs(text: str, config: dict, translation: dict | None) -> list[tuple[str, str]]:
    """Each text of a question that a translation replaces, with the translation's text in its place ("" when
    it has none), in a fixed order: the question text, then the config's :data:`TEXT_KEYS` at the top level
    and in the items of its :data:`LIST_KEYS`, by position (as :func:`localize` lays them over). Ids,
    fractions, values, tolerances and flags are no texts."""
    translation = translation if isinstance(translation, dict) else {}
    translated = translation.get("config") if isinstance(translation.get("config"), dict) else {}
    pairs = [(text or "", _text(translation.get("text")))]
    pairs += [(str(config[key]), _text(translated.get(key))) for key in TEXT_KEYS if key in config]
    for list_key in LIST_KEYS:
        items = config.get(list_key) if isinstance(config.get(list_key), list) else []
        others = translated.get(list_key) if isinstance(translated.get(list_key), list) else []
        for index, item in enumerate(items):
            other = others[index] if index < len(others) and isinstance(others[index], dict) else {}
            if isinstance(item, dict):
                pairs += [(str(item[key]), _text(other.get(key))) for key in TEXT_KEYS if key in item]
    return pairs


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def source_texts(text: str, config: dict) -> list[str]:
    """The texts of a question that a translation replaces (see :func:`text_pairs`)."""
    return [source for source, _translated in text_pairs(text, config, None)]


def question_hash(text: str, config: dict) -> str:
    """The hash a question's translations are stamped with (courses.languages.source_hash of its texts)."""
    return source_hash(*source_texts(text, config))


def version_hash(version: Any) -> str:
    """:func:`question_hash` of a question version."""
    return question_hash(version.text, version.config or {})


def translation_outdated(translation: dict | None, text: str, config: dict) -> bool:
    """Whether a question's translation was made from other source texts than ``text`` and ``config``'s (or
    was frozen as outdated)."""
    if not isinstance(translation, dict):
        return False
    return translation.get("outdated") is True or is_outdated(translation, question_hash(text, config))


class _Overlay:
    """Picks each text from the translation or the source and converts its Serbian script; remembers whether a
    visible text fell back to the source."""

    def __init__(self, reading: Reading, translated: bool) -> None:
        self.reading = reading
        self.translated = translated
        self.fallback = False

    def converts(self, lang: str) -> bool:
        """Whether texts in ``lang`` are shown in the reader's other Serbian script."""
        script = self.reading.script
        return bool(script) and lang in SERBIAN_SCRIPTS and SERBIAN_SCRIPTS[lang] != script

    def convert(self, value: str, lang: str, markup: bool = True) -> str:
        return to_script(value, self.reading.script, markup=markup) if value and self.converts(lang) else value

    def pick(self, source: Any, translation: Any, visible: bool) -> Any:
        if not isinstance(source, str) or not source:
            return source
        if self.reading.key and isinstance(translation, str) and translation.strip():
            return self.convert(translation, self.reading.key)
        if self.reading.key and visible:
            self.fallback = True
        return self.convert(source, self.reading.source)


def localize(
    qtype: str, text: str, text_format: str, config: dict, translations: dict | None, reading: Reading
) -> Localized:
    """The question (source ``text`` and ``config`` with their ``translations``) as ``reading`` shows it."""
    translation = (translations or {}).get(reading.key) if reading.key else None
    translation = translation if isinstance(translation, dict) else {}
    overlay = _Overlay(reading, bool(translation))
    translated_config = translation.get("config") if isinstance(translation.get("config"), dict) else {}
    shown_text = overlay.pick(text, translation.get("text"), visible=qtype != "cloze")
    if qtype == "cloze":
        localized = _cloze(config, translated_config, overlay)
    else:
        localized = _overlay_config(qtype, config, translated_config, overlay)
    if qtype == "match":
        localized = _match_answers(config, localized, overlay)
    if qtype == "shortanswer":
        localized = _accepted_answers(config, translated_config, localized, overlay)
    from_translation = bool(reading.key) and isinstance(translation.get("text"), str) and translation["text"].strip()
    lang = reading.wanted if from_translation or overlay.converts(reading.source) else reading.source
    outdated = bool(reading.key) and translation_outdated(translation, text, config)
    return Localized(shown_text, text_format, localized, lang, overlay.fallback, outdated)


def _overlay_config(qtype: str, config: dict, translated: dict, overlay: _Overlay) -> dict:
    result = copy.deepcopy(config)
    for key in TEXT_KEYS:
        if key in result:
            result[key] = overlay.pick(config[key], translated.get(key), key in VISIBLE_KEYS)
    for list_key in LIST_KEYS:
        source_items = config.get(list_key)
        if not isinstance(source_items, list):
            continue
        translated_items = translated.get(list_key) if isinstance(translated.get(list_key), list) else []
        visible = not (list_key == "answers" and qtype in HIDDEN_ANSWERS)
        for index, item in enumerate(result[list_key]):
            if not isinstance(item, dict):
                continue
            other = translated_items[index] if index < len(translated_items) else {}
            other = other if isinstance(other, dict) else {}
            for key in TEXT_KEYS:
                if key in item:
                    item[key] = overlay.pick(
                        config[list_key][index][key], other.get(key), visible and key in VISIBLE_KEYS
                    )
    return result


def _match_answers(source: dict, localized: dict, overlay: _Overlay) -> dict:
    """Keep the translated answers only if they pair one to one with the source's (choices are made from the
    answer texts, so otherwise two choices could merge or split and change what is right)."""
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for before, after in zip(source.get("pairs", []), localized.get("pairs", []), strict=False):
        if forward.setdefault(before["answer"], after["answer"]) != after["answer"]:
            break
        if backward.setdefault(after["answer"], before["answer"]) != before["answer"]:
            break
    else:
        return localized
    if overlay.reading.key:
        overlay.fallback = True
    for before, after in zip(source.get("pairs", []), localized.get("pairs", []), strict=False):
        after["answer"] = before["answer"]
    return localized


def _accepted_answers(source: dict, translated: dict, localized: dict, overlay: _Overlay) -> dict:
    """Short answer: the answers as shown, then the translation's as written, the source's, and the other
    Serbian script of each; each extra with its answer's id (suffixed), fraction and shown feedback."""
    shown = localized["answers"]
    translated_answers = translated.get("answers") if isinstance(translated.get("answers"), list) else []
    reading = overlay.reading
    candidates: list[tuple[int, str, str]] = []  # (index, suffix, text)
    for index, answer in enumerate(source["answers"]):
        other = translated_answers[index] if index < len(translated_answers) else {}
        raw = other.get("text") if isinstance(other, dict) else None
        if reading.key and isinstance(raw, str) and raw.strip():
            candidates.append((index, "tr", raw))
            candidates += _other_scripts(index, "tr", raw, reading.key)
        candidates.append((index, "src", answer["text"]))
        candidates += _other_scripts(index, "src", answer["text"], reading.source)
    seen = {a["text"] for a in shown}
    extra = []
    for index, suffix, text in candidates:
        if text in seen:
            continue
        seen.add(text)
        base = shown[index]
        extra.append({**base, "id": f"{base['id']}-{suffix}{len(extra) + 1}", "text": text})
    return {**localized, "answers": shown + extra}


def _other_scripts(index: int, suffix: str, text: str, lang: str) -> list[tuple[int, str, str]]:
    if lang not in SERBIAN_SCRIPTS:
        return []
    return [(index, f"{suffix}-{script.lower()}", to_script(text, script)) for script in _OTHER_SCRIPT]


# --- cloze -------------------------------------------------------------------------------------------------


def _cloze(config: dict, translated: dict, overlay: _Overlay) -> dict:
    """The translated markup when its gaps match the source's, else the source markup; in the reader's
    Serbian script either way."""
    reading = overlay.reading
    result = dict(config)
    feedback = translated.get("general_feedback")
    result["general_feedback"] = overlay.pick(config.get("general_feedback", ""), feedback, visible=False)
    candidate = translated.get("text") if reading.key else None
    if isinstance(candidate, str) and candidate.strip() and same_gaps(config["text"], candidate):
        result["text"] = _cloze_script(candidate, reading.key, overlay, config["text"])
        return result
    if reading.key:
        overlay.fallback = True
    result["text"] = _cloze_script(config["text"], reading.source, overlay, config["text"])
    return result


def _parsed_gaps(text: str) -> list[Gap] | None:
    try:
        return gaps(text)
    except ConfigError:
        return None


def _gap_signature(gap: Gap) -> tuple:
    answers = gap.config.get("answers", [])
    if gap.qtype.slug == "numerical":
        values = tuple((a["value"], a["tolerance"], round(a["fraction"], 7)) for a in answers)
    else:
        values = tuple(round(a["fraction"], 7) for a in answers)
    return gap.weight, gap.qtype.slug, gap.layout, gap.config.get("single"), values


def same_gaps(source_text: str, translated_text: str) -> bool:
    """Whether translated cloze markup has the source's gaps: as many, each of the same kind and weight with the
    same fractions in the same order (and the same numbers, for numerical gaps)."""
    source, translated = _parsed_gaps(source_text), _parsed_gaps(translated_text)
    if source is None or translated is None or len(source) != len(translated):
        return False
    return all(_gap_signature(a) == _gap_signature(b) for a, b in zip(source, translated, strict=True))


def _closing_brace(text: str, start: int) -> int:
    i = start
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == "}":
            return i
        else:
            i += 1
    return -1


def _cloze_script(text: str, lang: str, overlay: _Overlay, source_text: str) -> str:
    """Cloze markup in the reader's script: literal text and alternatives converted, gap headers and numerical
    gaps kept as written (a type name in Cyrillic would break the gap). Unchanged if the result would not keep
    the gaps."""
    if not overlay.converts(lang):
        return text
    out, pos = [], 0
    while match := _GAP_HEADER.search(text, pos):
        end = _closing_brace(text, match.end())
        if end < 0:
            break
        out.append(overlay.convert(text[pos : match.start()], lang))
        body = text[match.end() : end]
        numerical = match.group(2) in _NUMERICAL_GAPS
        out.append(match.group(0) + (body if numerical else overlay.convert(body, lang, markup=False)) + "}")
        pos = end + 1
    out.append(overlay.convert(text[pos:], lang))
    converted = "".join(out)
    return converted if same_gaps(source_text, converted) else text


# --- responses back to the source ----------------------------------------------------------------------------


def to_source_response(qtype: str, source: dict, localized: dict, response: Any) -> Any:
    """``response`` (given to the ``localized`` config) in the ``source`` config's ids: matching choices and
    cloze multiple-choice alternatives are made from texts; every other response is the same in both."""
    if localized == source or response is None:
        return response
    if qtype == "match" and isinstance(response, dict):
        return _match_to_source(source, localized, response)
    if qtype == "cloze" and isinstance(response, dict):
        return _cloze_to_source(source, localized, response)
    return response


def _match_to_source(source: dict, localized: dict, response: dict) -> dict:
    text_map = {
        after["answer"]: before["answer"]
        for before, after in zip(source.get("pairs", []), localized.get("pairs", []), strict=False)
    }
    source_ids = {text: choice_id for choice_id, text in Match.choices(source).items()}
    localized_choices = Match.choices(localized)
    mapped = {}
    for stem, choice in response.items():
        text = localized_choices.get(choice) if isinstance(choice, str) else None
        mapped[stem] = source_ids.get(text_map.get(text, ""), choice)
    return mapped


def _cloze_to_source(source: dict, localized: dict, response: dict) -> dict:
    source_gaps, localized_gaps = _parsed_gaps(source["text"]), _parsed_gaps(localized["text"])
    if not source_gaps or not localized_gaps or len(source_gaps) != len(localized_gaps):
        return response
    mapped = dict(response)
    for before, after in zip(source_gaps, localized_gaps, strict=True):
        value = response.get(after.key)
        if before.qtype.slug != "multichoice" or not isinstance(value, list):
            continue
        ids = {a["id"]: b["id"] for a, b in zip(after.config["answers"], before.config["answers"], strict=False)}
        mapped[before.key] = [ids.get(v, v) for v in value]
    return mapped


# --- an attempt's items ----------------------------------------------------------------------------------------


def attempt_reading(attempt: Any) -> Reading:
    """How the attempt's questions are read: the course read in the attempt's language (None: the source)."""
    course = attempt.quiz.course
    return choose(course, attempt.language or course.language)


def localized_item(item: Any, reading: Reading | None = None) -> Localized:
    """An attempt's question in the attempt's language (``reading``, when the caller has it already)."""
    version = item.version
    reading = reading if reading is not None else attempt_reading(item.attempt)
    return localize(version.qtype, version.text, version.text_format, version.config, version.translations, reading)


def item_config(item: Any) -> dict:
    """The config an attempt's question is shown and graded with: the source's for attempts in the source
    language (no work), else the localized one."""
    if not item.attempt.language:
        return item.version.config
    return localized_item(item).config


def source_response(item: Any) -> Any:
    """An attempt's saved response in its question's source ids (for trainers' pages and item analysis)."""
    if not item.attempt.language or item.version.qtype not in ("match", "cloze"):
        return item.response
    return to_source_response(item.version.qtype, item.version.config, item_config(item), item.response)
