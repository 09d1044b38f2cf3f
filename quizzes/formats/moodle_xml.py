"""Moodle XML: :func:`parse_moodle_xml` reads it, :func:`write_moodle_xml` writes it.

Questions are the same dicts as :mod:`quizzes.formats.gift` produces, so one importer takes both formats.

* Safety: the file is parsed by defusedxml with DTDs refused outright, so entity expansion (billion laughs)
  and external entities (XXE) never happen; such a file is one error and no questions.
* Text formats map moodle <-> moodle_auto_format, html <-> html, plain <-> plain_text, markdown <-> markdown; a
  ``<questiontext>`` without a format attribute is html, as in Moodle's importer.
* Fractions are percentages in XML (``fraction="50"``) and fractions in the dicts (0.5).
* Categories are written as ``$course$/path`` questions, and ``$course$/`` is dropped again when read.
* Text is trimmed; characters that XML 1.0 cannot hold (most control characters) are left out when writing.
* The checks are GIFT's: supported types, known formats, weights from -100 to 100, numbers in numerical
  answers, a right answer, both true and false, at least three matching pairs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, ParseError, SubElement, TreeBuilder, indent, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser
from flask_babel import gettext as _

from quizzes.formats.gift import (
    MIN_MATCH_PAIRS,
    category_from_path,
    category_to_path,
    default_name,
    fraction_to_percent,
    is_number,
    percent_to_fraction,
)

FORMAT_TO_XML = {"moodle": "moodle_auto_format", "html": "html", "plain": "plain_text", "markdown": "markdown"}
FORMAT_FROM_XML = {xml: fmt for fmt, xml in FORMAT_TO_XML.items()}
QUESTION_TYPES = ("multichoice", "truefalse", "shortanswer", "numerical", "match", "essay", "description")

_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass
class MoodleXmlResult:
    """What :func:`parse_moodle_xml` found. ``lines[i]`` is the line of ``questions[i]``'s element."""

    questions: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


# --- parsing -----------------------------------------------------------------------------------------------


class _QuestionError(Exception):
    """A question cannot be read; ``element`` (when known) is the element to blame."""

    def __init__(self, message: str, element: Element | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.element = element


class _LineBuilder(TreeBuilder):
    """A tree builder that notes the source line of every element (ElementTree keeps none)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[Element, int] = {}
        self.questions = 0
        self.expat = None

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        element = super().start(tag, attrs)
        self.lines[element] = self.expat.CurrentLineNumber
        self.questions += tag == "question" and attrs.get("type") != "category"
        return element


def parse_moodle_xml(data: bytes) -> MoodleXmlResult:
    """Read Moodle XML into question dicts. Never raises: bad questions become errors and are skipped.

    A file that is not well-formed, or that carries a DTD, gives one error and no questions.
    """
    result = MoodleXmlResult()
    builder = _LineBuilder()
    try:
        root = _parse_tree(data, builder)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        result.errors.append(_document_error(exc, builder))
        return result
    if root.tag != "quiz":
        result.errors.append({"index": 0, "line": 1, "message": _("The file's root element must be <quiz>.")})
        return result
    _read_questions(root, builder.lines, result)
    return result


def _parse_tree(data: bytes, builder: _LineBuilder) -> Element:
    parser = DefusedXMLParser(target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    builder.expat = parser.parser
    parser.feed(data)
    return parser.close()


def _document_error(exc: Exception, builder: _LineBuilder) -> dict:
    # The question being read when the file broke, as GIFT would count it.
    index = max(builder.questions - 1, 0)
    if isinstance(exc, ParseError):
        line, message = exc.position[0], _("The file is not well-formed XML: %(why)s.", why=exc)
    elif isinstance(exc, DefusedXmlException):
        line = builder.expat.CurrentLineNumber
        message = _("The file declares a DTD or entities, which are refused for safety.")
    else:
        line, message = builder.expat.CurrentLineNumber, _("The file cannot be read: %(why)s.", why=exc)
    return {"index": index, "line": line, "message": message}


def _read_questions(root: Element, lines: dict[Element, int], result: MoodleXmlResult) -> None:
    category: str | None = None
    index = 0
    for element in root.iterfind("question"):
        qtype = element.get("type", "")
        if qtype == "category":
            category = category_from_path(_text(element, "category"))
            continue
        try:
            result.questions.append(_read_question(element, qtype, category))
            result.lines.append(lines[element])
        except _QuestionError as problem:
            line = lines.get(problem.element, lines[element])
            result.errors.append({"index": index, "line": line, "message": problem.message})
        index += 1


def _text(element: Element, path: str) -> str:
    """The trimmed ``<path><text>`` of ``element`` ("" when absent)."""
    found = element.find(f"{path}/text")
    return (found.text or "").strip() if found is not None else ""


def _read_question(element: Element, qtype: str, category: str | None) -> dict:
    if qtype not in _READERS:
        raise _QuestionError(_("The question type '%(type)s' is not supported.", type=qtype), element)
    text = _text(element, "questiontext")
    if not text:
        raise _QuestionError(_("The question has no text."), element)
    question = {
        "type": qtype,
        "name": _text(element, "name") or default_name(text),
        "text": text,
        "text_format": _format(element),
        "category": category,
        "general_feedback": _text(element, "generalfeedback"),
        "answers": [],
    }
    _READERS[qtype](element, question)
    return question


def _format(element: Element) -> str:
    questiontext = element.find("questiontext")
    name = questiontext.get("format", "html") if questiontext is not None else "html"
    if name not in FORMAT_FROM_XML:
        raise _QuestionError(_("Unknown text format '%(name)s'.", name=name), questiontext)
    return FORMAT_FROM_XML[name]


def _answers(element: Element) -> list[dict]:
    return [_answer(answer) for answer in element.iterfind("answer")]


def _answer(element: Element) -> dict:
    raw = element.get("fraction", "0")
    fraction = percent_to_fraction(raw)
    if fraction is None:
        raise _QuestionError(_("The fraction '%(value)s' is not a number from -100 to 100.", value=raw), element)
    return {"text": _text(element, "."), "fraction": fraction, "feedback": _text(element, "feedback")}


def _need_right_answer(element: Element, answers: list[dict]) -> None:
    if not any(a["fraction"] > 0 for a in answers):
        raise _QuestionError(_("There is no right answer (one with a positive fraction)."), element)
    for answer in answers:
        if not answer["text"]:
            raise _QuestionError(_("An answer is empty."), element)


def _read_multichoice(element: Element, question: dict) -> None:
    answers = _answers(element)
    if len(answers) < 2:
        raise _QuestionError(_("A multiple-choice question needs at least two answers."), element)
    _need_right_answer(element, answers)
    single = (element.findtext("single") or "").strip().lower()
    question["answers"] = answers
    if single in ("true", "1", "false", "0"):
        question["single"] = single in ("true", "1")
    else:
        question["single"] = sum(1 for a in answers if a["fraction"] == 1.0) == 1


def _read_shortanswer(element: Element, question: dict) -> None:
    question["answers"] = _answers(element)
    _need_right_answer(element, question["answers"])


def _read_truefalse(element: Element, question: dict) -> None:
    by_text = {answer["text"].lower(): answer for answer in _answers(element)}
    if set(by_text) != {"true", "false"}:
        raise _QuestionError(_("A true/false question needs exactly the answers 'true' and 'false'."), element)
    question["answers"] = [{**by_text["true"], "text": "true"}, {**by_text["false"], "text": "false"}]


def _read_numerical(element: Element, question: dict) -> None:
    answers = [_numeric_answer(answer) for answer in element.iterfind("answer")]
    _need_right_answer(element, answers)
    question["answers"] = answers


def _numeric_answer(element: Element) -> dict:
    answer = _answer(element)
    if not is_number(answer["text"]):
        raise _QuestionError(_("'%(value)s' is not a number.", value=answer["text"]), element)
    tolerance = (element.findtext("tolerance") or "0").strip()
    if not is_number(tolerance) or float(tolerance) < 0:
        raise _QuestionError(_("The tolerance '%(value)s' is not a number of 0 or more.", value=tolerance), element)
    return {**answer, "tolerance": float(tolerance)}


def _read_match(element: Element, question: dict) -> None:
    pairs = [{"text": _text(sub, "."), "answer": _text(sub, "answer")} for sub in element.iterfind("subquestion")]
    if len(pairs) < MIN_MATCH_PAIRS:
        message = _(
            "A matching question needs at least %(least)d pairs; this one has %(count)d.",
            least=MIN_MATCH_PAIRS,
            count=len(pairs),
        )
        raise _QuestionError(message, element)
    if not all(pair["answer"] for pair in pairs):
        raise _QuestionError(_("A matching pair has no answer."), element)
    question["subquestions"] = pairs


def _read_nothing(element: Element, question: dict) -> None:
    """Essays and descriptions have no answers to read."""


_READERS: dict[str, Callable[[Element, dict], None]] = {
    "multichoice": _read_multichoice,
    "truefalse": _read_truefalse,
    "shortanswer": _read_shortanswer,
    "numerical": _read_numerical,
    "match": _read_match,
    "essay": _read_nothing,
    "description": _read_nothing,
}


# --- writing -----------------------------------------------------------------------------------------------


def write_moodle_xml(questions: list[dict]) -> bytes:
    """Write question dicts as Moodle XML (UTF-8), so that ``parse_moodle_xml(write_moodle_xml(qs))`` gives qs.

    A category question is written whenever the category changes.
    """
    quiz = Element("quiz")
    category: str | None = None
    for question in questions:
        if question.get("category") != category:
            category = question.get("category")
            _category_element(quiz, category)
        _question_element(quiz, question)
    indent(quiz)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(quiz, encoding="utf-8", xml_declaration=False) + b"\n"


def _category_element(quiz: Element, category: str | None) -> None:
    element = SubElement(quiz, "question", type="category")
    _add_text(element, "category", category_to_path(category))


def _add_text(parent: Element, tag: str, text: str, fmt: str | None = None, **attrs: str) -> Element:
    """Add ``<tag [attrs] [format=...]><text>text</text></tag>``."""
    element = SubElement(parent, tag, attrs | ({"format": fmt} if fmt else {}))
    SubElement(element, "text").text = _NOT_XML_RE.sub("", text)
    return element


def _question_element(quiz: Element, question: dict) -> None:
    qtype = question["type"]
    fmt = FORMAT_TO_XML[question.get("text_format") or "moodle"]
    element = SubElement(quiz, "question", type=qtype)
    _add_text(element, "name", question["name"])
    _add_text(element, "questiontext", question["text"], fmt)
    _add_text(element, "generalfeedback", question.get("general_feedback", ""), fmt)
    SubElement(element, "defaultgrade").text = "0" if qtype == "description" else "1"
    SubElement(element, "penalty").text = "0.3333333"
    SubElement(element, "hidden").text = "0"
    _TYPE_WRITERS[qtype](element, question, fmt)


def _write_answers(element: Element, question: dict, fmt: str) -> None:
    for answer in question["answers"]:
        child = _add_text(element, "answer", answer["text"], fmt, fraction=fraction_to_percent(answer["fraction"]))
        _add_text(child, "feedback", answer.get("feedback", ""), fmt)
        if "tolerance" in answer:
            SubElement(child, "tolerance").text = repr(float(answer["tolerance"]))


def _write_multichoice(element: Element, question: dict, fmt: str) -> None:
    SubElement(element, "single").text = "true" if question.get("single") else "false"
    SubElement(element, "shuffleanswers").text = "true"
    SubElement(element, "answernumbering").text = "abc"
    _write_answers(element, question, fmt)


def _write_shortanswer(element: Element, question: dict, fmt: str) -> None:
    SubElement(element, "usecase").text = "0"
    _write_answers(element, question, fmt)


def _write_match(element: Element, question: dict, fmt: str) -> None:
    SubElement(element, "shuffleanswers").text = "true"
    for pair in question["subquestions"]:
        sub = _add_text(element, "subquestion", pair["text"], fmt)
        _add_text(sub, "answer", pair["answer"])


def _write_essay(element: Element, question: dict, fmt: str) -> None:
    # Moodle's own defaults for a new essay: an editor of 15 lines, no attachments.
    for tag, value in (("responseformat", "editor"), ("responserequired", "1"), ("responsefieldlines", "15")):
        SubElement(element, tag).text = value
    SubElement(element, "attachments").text = "0"


def _write_nothing(element: Element, question: dict, fmt: str) -> None:
    """A description has nothing beyond the common elements."""


_TYPE_WRITERS: dict[str, Callable[[Element, dict, str], None]] = {
    "multichoice": _write_multichoice,
    "truefalse": _write_answers,
    "shortanswer": _write_shortanswer,
    "numerical": _write_answers,
    "match": _write_match,
    "essay": _write_essay,
    "description": _write_nothing,
}
