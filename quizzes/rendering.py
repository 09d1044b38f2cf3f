"""What the learner's pages show of a question: built from the type's ``learner_view`` only, so no answer key,
fraction or feedback can reach the browser before review allows it.

Each item becomes plain data for the template: the question text as sanitized HTML, the widget, and the values
to pre-select (from the saved response, or from a submission that could not be saved, so nothing typed is
lost). The choice order comes from a Random seeded by the attempt and the question: a reload shows the same.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup, escape

from lms.i18n import LANGUAGE_NAMES
from lms.sanitize import clean_html, render_markdown
from quizzes.bank import question_type
from quizzes.models import Attempt, AttemptQuestion
from quizzes.translations import Localized, attempt_reading, localized_item


@dataclass
class RenderedQuestion:
    position: int
    prefix: str
    text: Markup
    widget: str
    view: dict
    values: dict[str, list[str]] = field(default_factory=dict)  # field name -> selected values
    marks: str = ""
    answered: bool = False
    lang: str = ""  # the language the question is shown in ("" : the page's)
    # Why it is shown in another language than the attempt's (a missing translation), or that its translation
    # is outdated (the original question has changed since).
    notice: str = ""

    def selected(self, name: str) -> list[str]:
        return self.values.get(name, [])

    def value(self, name: str, default: str = "") -> str:
        found = self.values.get(name)
        return found[0] if found else default


def render_text(text: str, text_format: str) -> Markup:
    """The question text as safe HTML, whatever format it was written in."""
    if text_format == "markdown":
        return Markup(render_markdown(text))  # noqa: S704 - sanitized by render_markdown
    if text_format == "plain":
        return Markup("<p>") + escape(text).replace("\n", Markup("<br>")) + Markup("</p>")
    html = text if text_format == "html" or "<" in text else "<p>" + text.replace("\n\n", "</p><p>") + "</p>"
    return Markup(clean_html(html))  # noqa: S704 - sanitized by clean_html


def rng_for(attempt: Attempt, item: AttemptQuestion) -> random.Random:
    return random.Random(f"{attempt.seed}:{item.question_id}")


def rendered(attempt: Attempt, item: AttemptQuestion, form: Any = None) -> RenderedQuestion:
    """The learner's view of ``item`` in the attempt's language; ``form`` (a submission that was not saved) wins
    over the saved response."""
    shown = localized_item(item, attempt_reading(attempt)) if attempt.language else _source(item)
    qtype = question_type(item.version.qtype)
    view = qtype.learner_view(shown.config, rng_for(attempt, item), attempt.quiz.shuffle_answers)
    prefix = f"q{item.position}-"
    widget = view.get("widget", "none")
    text = Markup("") if widget == "cloze" else render_text(shown.text, shown.text_format)
    if widget == "cloze":
        view = dict(view, parts=[_cloze_part(p) for p in view.get("parts", [])])
    values = _form_values(form, prefix) if form is not None else _response_values(widget, view, item.response, prefix)
    return RenderedQuestion(
        position=item.position,
        prefix=prefix,
        text=text,
        widget=widget,
        view=view,
        values=values,
        marks=f"{item.max_mark.normalize():f}",
        answered=item.response not in (None, "", [], {}),
        lang=shown.lang if attempt.language else "",
        notice=_fallback_notice(attempt) if shown.fallback else _outdated_notice() if shown.outdated else "",
    )


def _source(item: AttemptQuestion) -> Localized:
    version = item.version
    return Localized(version.text, version.text_format, version.config, "")


def _fallback_notice(attempt: Attempt) -> str:
    """The course pages' notice for a text not translated yet, for one question."""
    reading = attempt_reading(attempt)
    return _(
        "This question has not been translated into %(wanted)s yet. It is shown in the original language, "
        "%(source)s.",  # fmt: skip
        wanted=LANGUAGE_NAMES.get(reading.wanted, reading.wanted),
        source=LANGUAGE_NAMES.get(reading.source, reading.source),
    )


def _outdated_notice() -> str:
    """The lesson page's notice for an outdated translation, for one question."""
    return _(
        "The original of this question has changed since it was translated; the translation may not show the "
        "latest changes."  # fmt: skip
    )


def _cloze_part(part: dict) -> dict:
    if "text" in part and "gap" not in part:
        return {"html": Markup(clean_html(part["text"]))}  # noqa: S704 - sanitized
    return part


def _form_values(form: Any, prefix: str) -> dict[str, list[str]]:
    return {key: form.getlist(key) for key in form if key.startswith(prefix)}


def _response_values(widget: str, view: dict, response: Any, prefix: str) -> dict[str, list[str]]:
    name = prefix + "answer"
    if response is None:
        if widget == "order":
            return {name: [i["id"] for i in view.get("items", [])]}
        return {}
    if widget in ("checkbox", "radio"):
        if isinstance(response, bool):
            return {name: ["true" if response else "false"]}
        return {name: [str(r) for r in (response if isinstance(response, list) else [response])]}
    if widget == "order":
        return {name: [str(r) for r in response]} if isinstance(response, list) else {}
    if widget == "match":
        return {f"{name}.{stem}": [str(choice)] for stem, choice in (response or {}).items()}
    if widget == "cloze":
        values = {}
        for gap, value in (response or {}).items():
            values[f"{prefix}{gap}-answer"] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        return values
    return {name: [str(response)]}


def page_of(attempt: Attempt, page: int) -> list[AttemptQuestion]:
    return [i for i in attempt.items if i.page == page]


def page_count(attempt: Attempt) -> int:
    return max((i.page for i in attempt.items), default=1)
