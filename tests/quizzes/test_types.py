"""Question types: one contract every type passes, then each type's own rules."""

from __future__ import annotations

import inspect
import json
import random
import time
from dataclasses import asdict
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.datastructures import MultiDict

from lms.registry import RegistryError, registry
from quizzes.formats.gift import parse_gift, write_gift
from quizzes.formats.moodle_xml import QUESTION_TYPES, parse_moodle_xml, write_moodle_xml
from quizzes.types import (
    BUILTIN_TYPES,
    Cloze,
    ConfigError,
    Description,
    Essay,
    Grade,
    GradingError,
    Match,
    MultipleChoice,
    Numerical,
    Ordering,
    QuestionType,
    ShortAnswer,
    State,
    TrueFalse,
    register_builtin_types,
)
from quizzes.types.cloze import parse_cloze

DATA = Path(__file__).parent / "data"

METHODS = (
    "validate_config",
    "upgrade_config",
    "default_marks",
    "learner_view",
    "parse_response",
    "grade",
    "grade_manually",
    "right_answer_summary",
    "from_exchange",
    "to_exchange",
    "sample_config",
    "sample_right_response",
)
# Keys that would carry the answer key; no learner view may have them anywhere.
KEY_WORDS = {"fraction", "feedback", "feedback_true", "feedback_false", "general_feedback", "tolerance", "correct"}
KEY_WORDS |= {"rubric", "answer", "answers", "value", "grading", "pairs", "case_sensitive", "weight"}
# Config keys whose text must stay out of learner views.
SECRET_KEYS = {"feedback", "feedback_true", "feedback_false", "general_feedback", "rubric"}
# Right answers the learner types (so they must not be on the page), and cloze markup.
TYPED_ANSWERS = {
    "shortanswer": ["Barnahus", "child* house"],
    "numerical": ["24", "48.5"],
    "cloze": [
        "Barnahus",
        "24",
        "Right: the capital",
        "No: on the coast",
        "from Iceland",
        "Exactly",
        "{1:",
        "{2:",
        ":=",
    ],
}
GARBAGE_RESPONSES = [
    None,
    0,
    -1,
    1.5,
    True,
    False,
    "",
    "x" * 100_000,
    "not an id",
    [],
    [None, 1, {}, []],
    ["nope", "nope"],
    {},
    {"1": {"deep": ["x"]}, "2": 7, "3": None},
    {"s1hr": ["list"], "x": "y"},
    float("nan"),
]
GARBAGE_FORMS = [
    {},
    {"answer": "a lone string"},
    {"answer": ["unknown-id", "", "x" * 10_000]},
    {"answer": [None, 3, ["nested"]]},
    {"answer": None},
    {"answer.s1hr": ["c-unknown"], "answer.zzz": ["1"], "1-answer": [17], "2-answer": ["  "]},
    MultiDict([("answer", "true"), ("answer", "false"), ("3-answer", "1e99999")]),
    "not a form",
    None,
]


def config_of(qtype: type[QuestionType]) -> dict:
    return qtype.validate_config(qtype.sample_config())


def walk(value):
    """Every (key, value) pair in nested dicts and lists."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def without_ids(value):
    if isinstance(value, dict):
        return {k: without_ids(v) for k, v in value.items() if k != "id"}
    if isinstance(value, list):
        return [without_ids(v) for v in value]
    return value


def secrets_of(qtype: type[QuestionType], config: dict) -> list[str]:
    found = [v for k, v in walk(config) if k in SECRET_KEYS and isinstance(v, str) and v]
    return found + TYPED_ANSWERS.get(qtype.slug, [])


def contract_part(question: dict) -> dict:
    """The keys of the question-dict contract that a type's to_exchange fills."""
    return {k: question[k] for k in ("type", "general_feedback", "answers", "single", "subquestions") if k in question}


def full_question(qtype: type[QuestionType], config: dict) -> dict:
    return {"name": "Sample", "text": "Sample text?", "text_format": "moodle", "category": None} | qtype.to_exchange(
        config
    )


types = pytest.mark.parametrize("qtype", BUILTIN_TYPES, ids=lambda t: t.slug)


# --- the contract ------------------------------------------------------------------------------------------


def test_slugs_are_unique_and_moodle_names():
    slugs = [t.slug for t in BUILTIN_TYPES]
    assert len(set(slugs)) == len(slugs)
    expected = {"multichoice", "truefalse", "shortanswer", "numerical", "match", "ordering", "cloze", "essay"}
    assert set(slugs) == expected | {"description"}


@types
def test_type_is_documented_and_labelled(qtype):
    assert issubclass(qtype, QuestionType)
    assert qtype.slug.isidentifier() and qtype.slug.islower()
    assert isinstance(qtype.config_version, int) and qtype.config_version >= 1
    assert str(qtype.label)
    assert "Config::" in (qtype.__doc__ or "")
    for name in METHODS:
        assert inspect.getdoc(getattr(qtype, name)), f"{qtype.slug}.{name} has no docstring"


@types
def test_sample_config_validates_and_stays_put(qtype):
    config = config_of(qtype)
    assert qtype.validate_config(config) == config
    assert qtype.upgrade_config(config, qtype.config_version) == config
    assert json.loads(json.dumps(config)) == config


@types
def test_config_must_be_an_object_of_a_known_version(qtype):
    with pytest.raises(ConfigError):
        qtype.validate_config(["not", "a", "dict"])
    with pytest.raises(ConfigError) as caught:
        qtype.upgrade_config(config_of(qtype), qtype.config_version + 1)
    assert caught.value.field == "config_version"


@types
@pytest.mark.parametrize("seed", range(5))
def test_learner_view_holds_none_of_the_answer_key(qtype, seed):
    config = config_of(qtype)
    view = qtype.learner_view(config, random.Random(seed), True)
    assert isinstance(view["widget"], str)
    keys = {k for k, _ in walk(view)}
    assert not keys & KEY_WORDS
    text = json.dumps(without_ids(view), ensure_ascii=False)
    for secret in secrets_of(qtype, config):
        assert secret not in text, f"{qtype.slug}: {secret!r} reaches the learner"


@types
def test_learner_view_is_reproducible_from_the_seed(qtype):
    config = config_of(qtype)
    for shuffle in (True, False):
        first = qtype.learner_view(config, random.Random("attempt-7:question-3"), shuffle)
        again = qtype.learner_view(config, random.Random("attempt-7:question-3"), shuffle)
        assert first == again


@types
def test_empty_response_is_not_answered(qtype):
    config = config_of(qtype)
    for response in (qtype.parse_response(config, {}), None):
        grade = qtype.grade(config, response)
        assert grade.state == State.NOT_ANSWERED
        assert grade.earned == 0.0


@types
def test_right_response_earns_full_marks(qtype):
    config = config_of(qtype)
    grade = qtype.grade(config, qtype.sample_right_response())
    if not qtype.gradable:
        assert grade.state == State.NOT_ANSWERED
        assert qtype.default_marks(config) == 0
    elif qtype.manual:
        assert (grade.earned, grade.state) == (None, State.NEEDS_GRADING)
        graded = qtype.grade_manually(config, qtype.sample_right_response(), 1.0, "Meets the rubric.")
        assert (graded.earned, graded.state, graded.comment) == (1.0, State.CORRECT, "Meets the rubric.")
    else:
        assert (grade.earned, grade.state) == (1.0, State.CORRECT)
        assert qtype.right_answer_summary(config)


@types
def test_grade_is_json_able(qtype):
    config = config_of(qtype)
    grade = qtype.grade(config, qtype.sample_right_response())
    assert json.loads(json.dumps(asdict(grade)))["state"] == grade.state.value


@types
@pytest.mark.parametrize("response", GARBAGE_RESPONSES, ids=lambda r: type(r).__name__)
def test_garbage_responses_never_raise(qtype, response):
    grade = qtype.grade(config_of(qtype), response)
    assert isinstance(grade, Grade)
    assert grade.earned is None or 0.0 <= grade.earned <= 1.0


@types
@pytest.mark.parametrize("form", GARBAGE_FORMS, ids=lambda f: type(f).__name__)
def test_garbage_forms_never_raise(qtype, form):
    config = config_of(qtype)
    response = qtype.parse_response(config, form, "")
    assert json.loads(json.dumps(response)) == response
    assert isinstance(qtype.grade(config, response), Grade)


@types
def test_config_round_trips_through_the_exchange_dict(qtype):
    config = config_of(qtype)
    exchanged = qtype.to_exchange(config)
    assert exchanged["type"] == qtype.slug
    back = qtype.from_exchange(exchanged)
    assert without_ids(back) == without_ids(config)
    assert qtype.to_exchange(back) == exchanged


@pytest.mark.parametrize("qtype", [t for t in BUILTIN_TYPES if t.slug in QUESTION_TYPES], ids=lambda t: t.slug)
def test_exchange_keeps_the_contract_through_moodle_xml_and_gift(qtype):
    # Ordering and cloze have no place in GIFT or the Moodle XML contract yet, so they are not listed.
    question = full_question(qtype, config_of(qtype))
    from_xml = parse_moodle_xml(write_moodle_xml([question])).questions[0]
    assert contract_part(qtype.to_exchange(qtype.from_exchange(from_xml))) == contract_part(question)
    from_gift = parse_gift(write_gift([question])).questions[0]
    if qtype is not Description:  # GIFT has no room for a description's general feedback
        assert contract_part(qtype.to_exchange(qtype.from_exchange(from_gift))) == contract_part(question)


@pytest.mark.parametrize("name", ["rich.gift", "rich.xml"])
def test_every_imported_question_becomes_a_valid_config(name):
    data = (DATA / name).read_bytes()
    result = parse_gift(data.decode()) if name.endswith(".gift") else parse_moodle_xml(data)
    by_slug = {t.slug: t for t in BUILTIN_TYPES}
    assert result.questions
    for question in result.questions:
        qtype = by_slug[question["type"]]
        config = qtype.from_exchange(question)
        assert qtype.validate_config(config) == config


def test_builtin_types_register_by_slug():
    app = Flask(__name__)
    register_builtin_types(app)
    types_registry = registry("question_types", app)
    assert {slug: types_registry[slug] for slug in types_registry} == {t.slug: t for t in BUILTIN_TYPES}
    with pytest.raises(RegistryError):
        register_builtin_types(app)


# --- grades ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fraction", "earned", "state"),
    [
        (-0.5, 0.0, State.INCORRECT),
        (0.0, 0.0, State.INCORRECT),
        (0.25, 0.25, State.PARTIAL),
        (0.9999999, 1.0, State.CORRECT),
        (1.7, 1.0, State.CORRECT),
    ],
)
def test_grade_clamps_the_fraction(fraction, earned, state):
    grade = Grade.of(fraction)
    assert (grade.earned, grade.state) == (earned, state)


def test_config_error_names_the_field():
    with pytest.raises(ConfigError) as caught:
        MultipleChoice.validate_config({"answers": [{"text": "a", "fraction": 1}, {"text": "b", "fraction": 2}]})
    assert isinstance(caught.value, ValueError)
    assert caught.value.field == "answers.1.fraction"
    assert "100 %" in caught.value.message


# --- multiple choice ---------------------------------------------------------------------------------------


def choice_config(*fractions: float, single: bool = False, shuffle: bool = True) -> dict:
    answers = [{"id": f"a{i}", "text": f"Answer {i}", "fraction": f} for i, f in enumerate(fractions)]
    return MultipleChoice.validate_config({"single": single, "shuffle": shuffle, "answers": answers})


@pytest.mark.parametrize(
    ("chosen", "earned"),
    [(["a0"], 0.5), (["a0", "a1"], 1.0), (["a0", "a2"], 0.0), (["a2"], 0.0), (["a0", "a1", "a2"], 0.0)],
)
def test_multiple_answers_sum_their_fractions_and_clamp_at_zero(chosen, earned):
    config = choice_config(0.5, 0.5, -1.0)
    assert MultipleChoice.grade(config, chosen).earned == earned


def test_negative_fractions_never_make_a_grade_negative():
    config = choice_config(1.0, -0.5, -0.5)
    assert MultipleChoice.grade(config, ["a1", "a2"]) == Grade(0.0, State.INCORRECT)


def test_single_answer_earns_the_chosen_fraction_clamped_at_zero():
    config = choice_config(1.0, 0.5, -0.5, single=True)
    assert MultipleChoice.grade(config, ["a1"]).earned == 0.5
    assert MultipleChoice.grade(config, ["a2"]).state == State.INCORRECT
    assert MultipleChoice.grade(config, ["a2"]).earned == 0.0
    # Only the first known id counts when a form sends several.
    assert MultipleChoice.parse_response(config, {"answer": ["zz", "a1", "a0"]}) == ["a1"]


def test_chosen_answers_feedback_comes_with_the_grade():
    config = config_of(MultipleChoice)
    grade = MultipleChoice.grade(config, ["m1q4"])
    assert grade.feedback == {"m1q4": "No: courts sit elsewhere."}
    assert grade.general_feedback == "A Barnahus brings services under one roof."


def test_multiple_choice_reads_checkboxes_from_a_multidict():
    config = config_of(MultipleChoice)
    form = MultiDict([("q4-answer", "p3x9"), ("q4-answer", "ghost"), ("q4-answer", "k7f2"), ("q4-answer", "p3x9")])
    assert MultipleChoice.parse_response(config, form, "q4-") == ["p3x9", "k7f2"]


def test_choices_keep_their_order_unless_shuffled():
    order = ["a0", "a1", "a2", "a3"]
    config = choice_config(1.0, 0, 0, 0, shuffle=False)
    assert [c["id"] for c in MultipleChoice.learner_view(config, random.Random(1), True)["choices"]] == order
    config = choice_config(1.0, 0, 0, 0)
    assert [c["id"] for c in MultipleChoice.learner_view(config, random.Random(1), False)["choices"]] == order
    views = {tuple(c["id"] for c in MultipleChoice.learner_view(config, random.Random(s))["choices"]) for s in range(9)}
    assert len(views) > 1


def test_ids_made_up_for_answers_do_not_follow_their_order():
    config = MultipleChoice.validate_config({"answers": [{"text": "Right", "fraction": 1}, {"text": "Wrong"}]})
    ids = [a["id"] for a in config["answers"]]
    assert len(set(ids)) == 2
    assert all(i.startswith("a") and len(i) == 9 for i in ids)
    assert ids == [a["id"] for a in MultipleChoice.from_exchange(MultipleChoice.to_exchange(config))["answers"]]


@pytest.mark.parametrize(
    ("config", "field"),
    [
        ({"single": True, "answers": [{"text": "a", "fraction": 0.5}, {"text": "b", "fraction": 0.5}]}, "answers"),
        ({"single": False, "answers": [{"text": "a", "fraction": 0.5}, {"text": "b"}]}, "answers"),
        ({"answers": [{"text": "only", "fraction": 1}]}, "answers"),
        ({"answers": [{"text": "a", "fraction": 1}, {"text": " "}]}, "answers.1.text"),
        ({"answers": [{"text": "a", "fraction": 1}, {"text": "b", "fraction": "lots"}]}, "answers.1.fraction"),
        ({"answers": [{"id": "x", "text": "a", "fraction": 1}, {"id": "x", "text": "b"}]}, "answers.1.id"),
        ({"answers": [{"id": "<b>", "text": "a", "fraction": 1}, {"text": "b"}]}, "answers.0.id"),
        ({"single": "yes", "answers": [{"text": "a", "fraction": 1}, {"text": "b"}]}, "single"),
    ],
)
def test_multiple_choice_refuses_bad_configs(config, field):
    with pytest.raises(ConfigError) as caught:
        MultipleChoice.validate_config(config)
    assert caught.value.field == field


def test_multiple_choice_from_gift():
    question = parse_gift("Who? {=Grant ~%-50%Jefferson#No ~%50%Lincoln}").questions[0]
    config = MultipleChoice.from_exchange(question)
    assert config["single"] is True
    assert [(a["text"], a["fraction"], a["feedback"]) for a in config["answers"]] == [
        ("Grant", 1.0, ""),
        ("Jefferson", -0.5, "No"),
        ("Lincoln", 0.5, ""),
    ]
    assert MultipleChoice.right_answer_summary(config) == "Grant"


# --- true/false --------------------------------------------------------------------------------------------


def test_true_false_grades_and_gives_the_chosen_feedback():
    config = config_of(TrueFalse)
    assert TrueFalse.parse_response(config, {"answer": ["false"]}) is False
    wrong = TrueFalse.grade(config, False)
    assert (wrong.earned, wrong.state, wrong.feedback) == (0.0, State.INCORRECT, {"false": config["feedback_false"]})
    assert TrueFalse.grade(config, "true").state == State.NOT_ANSWERED  # only a real boolean counts
    assert TrueFalse.right_answer_summary(config) == "True"


def test_true_false_from_gift_keeps_feedback_on_the_answer_that_shows_it():
    config = TrueFalse.from_exchange(parse_gift("The sun is cold.{F#Think again#Right}").questions[0])
    assert config == {
        "correct": False,
        "feedback_true": "Think again",
        "feedback_false": "Right",
        "general_feedback": "",
    }


# --- short answer ------------------------------------------------------------------------------------------


def short_config(*answers: tuple[str, float], case_sensitive: bool = False) -> dict:
    raw = [{"text": text, "fraction": fraction, "feedback": f"on {text}"} for text, fraction in answers]
    return ShortAnswer.validate_config({"case_sensitive": case_sensitive, "answers": raw})


@pytest.mark.parametrize("typed", ["đakovo", "ĐAKOVO", "Đakovo", "  đakovo  ", "đaKOVO"])
def test_case_insensitive_match_is_unicode_aware(typed):
    assert ShortAnswer.grade(short_config(("Đakovo", 1.0)), typed).state == State.CORRECT


def test_case_sensitive_answers_need_the_same_letters():
    config = short_config(("Đakovo", 1.0), case_sensitive=True)
    assert ShortAnswer.grade(config, "Đakovo").state == State.CORRECT
    assert ShortAnswer.grade(config, "đakovo").state == State.INCORRECT


def test_short_answers_compare_after_nfc_and_collapsed_whitespace():
    config = short_config(("Café Sigurnost", 1.0))
    assert ShortAnswer.grade(config, "cafe\u0301   sigurnost").earned == 1.0  # "é" typed as e + combining accent
    assert ShortAnswer.grade(short_config(("Straße", 1.0)), "STRASSE").earned == 1.0


def test_short_answer_wildcards_and_the_best_fraction():
    config = short_config(("Barnahus", 1.0), ("child* house", 0.5), ("*", 0.1), ("5\\*", 0.3))
    assert ShortAnswer.grade(config, "Children's House").earned == 0.5
    assert ShortAnswer.grade(config, "barnahus").earned == 1.0
    assert ShortAnswer.grade(config, "anything").earned == 0.1
    assert ShortAnswer.grade(config, "5*").earned == 0.3
    assert ShortAnswer.grade(config, "55").earned == 0.1
    grade = ShortAnswer.grade(config, "child house")
    assert (grade.earned, grade.feedback) == (0.5, {config["answers"][1]["id"]: "on child* house"})


def test_many_wildcards_match_in_linear_time():
    config = short_config(("a" + "*a" * 40 + "*b", 1.0))
    started = time.perf_counter()
    assert ShortAnswer.grade(config, "a" * 1000).earned == 0.0
    assert ShortAnswer.grade(config, "a" * 999 + "b").earned == 1.0
    assert time.perf_counter() - started < 1.0


def test_short_answer_reads_and_trims_the_typed_text():
    config = config_of(ShortAnswer)
    assert ShortAnswer.parse_response(config, {"q1-answer": ["  Barnahus \n"]}, "q1-") == "Barnahus"
    assert ShortAnswer.grade(config, "Police").state == State.INCORRECT


def test_short_answer_needs_a_full_marks_answer():
    with pytest.raises(ConfigError):
        short_config(("almost", 0.9))


# --- numerical ---------------------------------------------------------------------------------------------


def numeric_config(*answers: dict) -> dict:
    return Numerical.validate_config({"answers": list(answers)})


@pytest.mark.parametrize(
    ("typed", "earned"),
    [("3.5", 1.0), ("3,5", 1.0), ("3,6", 1.0), ("3.4", 1.0), ("3.61", 0.0), ("3.39", 0.0), (" 35e-1 ", 1.0)],
)
def test_numerical_tolerance_and_decimal_comma(typed, earned):
    config = numeric_config({"value": "3.5", "tolerance": 0.1, "fraction": 1})
    assert Numerical.grade(config, typed).earned == earned


@pytest.mark.parametrize(("typed", "earned"), [("1", 1.0), ("5", 1.0), ("3,3", 1.0), ("5.01", 0.0), ("0.99", 0.0)])
def test_numerical_ranges(typed, earned):
    config = numeric_config({"min": 1, "max": "5", "fraction": 1})
    assert config["answers"][0] | {"id": None} == {
        "id": None,
        "value": "3",
        "tolerance": 2.0,
        "fraction": 1.0,
        "feedback": "",
    }
    assert Numerical.grade(config, typed).earned == earned


def test_numerical_best_fraction_catch_all_and_non_numbers():
    catch_all = {"value": "*", "fraction": 0.0, "feedback": "See the protocol."}
    config = Numerical.validate_config(
        Numerical.sample_config() | {"answers": [*Numerical.sample_config()["answers"], catch_all]}
    )
    assert Numerical.grade(config, "24").earned == 1.0
    assert Numerical.grade(config, "48").earned == 0.5
    anything = Numerical.grade(config, "−3")  # a Unicode minus still reads as a number
    assert (anything.earned, list(anything.feedback.values())) == (0.0, ["See the protocol."])
    not_a_number = Numerical.grade(config, "twenty-four")
    assert (not_a_number.earned, not_a_number.state, not_a_number.feedback) == (0.0, State.INCORRECT, {})
    assert Numerical.grade(config, "1e99999").state == State.INCORRECT


def test_numerical_summary_shows_the_tolerance():
    assert Numerical.right_answer_summary(numeric_config({"value": 3.5, "tolerance": 0.1, "fraction": 1})) == (
        "3.5 ± 0.1"
    )
    assert Numerical.right_answer_summary(config_of(Numerical)) == "24"


@pytest.mark.parametrize(
    ("answer", "field"),
    [
        ({"value": "3.5", "tolerance": -1, "fraction": 1}, "answers.0.tolerance"),
        ({"value": "three", "fraction": 1}, "answers.0.value"),
        ({"min": 5, "max": 1, "fraction": 1}, "answers.0.min"),
        ({"value": "3", "fraction": 0.5}, "answers"),
    ],
)
def test_numerical_refuses_bad_answers(answer, field):
    with pytest.raises(ConfigError) as caught:
        numeric_config(answer)
    assert caught.value.field == field


def test_numerical_from_gift_range():
    config = Numerical.from_exchange(parse_gift("Between? {#1..5}").questions[0])
    assert [(a["value"], a["tolerance"]) for a in config["answers"]] == [("3", 2.0)]


# --- matching ----------------------------------------------------------------------------------------------


def test_matching_earns_the_share_of_right_pairs():
    config = config_of(Match)
    right = Match.sample_right_response()
    partial = dict(right, s3me=right["s1hr"])
    grade = Match.grade(config, partial)
    assert (round(grade.earned, 4), grade.state) == (0.6667, State.PARTIAL)
    assert Match.grade(config, {"s1hr": right["s1hr"]}).earned == pytest.approx(1 / 3)


def test_matching_choices_include_distractors_and_say_nothing_about_stems():
    config = config_of(Match)
    view = Match.learner_view(config, random.Random(3))
    assert {c["text"] for c in view["choices"]} == {"Zagreb", "Belgrade", "Podgorica", "Ljubljana"}
    assert {s["text"] for s in view["stems"]} == {"Croatia", "Serbia", "Montenegro"}
    stem_ids = {s["id"] for s in view["stems"]}
    assert not any(c["id"][1:] in {s[1:] for s in stem_ids} for c in view["choices"])


def test_matching_reads_one_field_per_stem():
    config = config_of(Match)
    right = Match.sample_right_response()
    form = {f"q2-answer.{stem}": [choice] for stem, choice in right.items()} | {"q2-answer.s4xx": ["c-none"]}
    assert Match.parse_response(config, form, "q2-") == right


def test_matching_stems_sharing_an_answer_share_a_choice():
    pairs = [
        {"text": "Cat", "answer": "Mammal"},
        {"text": "Dog", "answer": "Mammal"},
        {"text": "Eel", "answer": "Fish"},
    ]
    config = Match.validate_config({"pairs": pairs})
    assert sorted(Match.choices(config).values()) == ["Fish", "Mammal"]


def test_matching_needs_two_stems():
    with pytest.raises(ConfigError):
        Match.validate_config({"pairs": [{"text": "Cat", "answer": "Mammal"}, {"text": "", "answer": "Fish"}]})


# --- ordering ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 3, 5])
def test_ordering_never_starts_in_the_right_order(count):
    config = Ordering.validate_config({"items": [{"text": f"Step {n}"} for n in range(count)]})
    right = [item["id"] for item in config["items"]]
    for seed in range(40):
        for shuffle in (True, False):
            view = Ordering.learner_view(config, random.Random(seed), shuffle)
            assert [item["id"] for item in view["items"]] != right


def test_ordering_earns_the_share_of_items_in_place_or_all_or_nothing():
    config = config_of(Ordering)
    swapped = ["i5ha", "i2pk", "i7mr", "i9wd"]
    assert Ordering.grade(config, swapped).earned == 0.5
    assert Ordering.grade(config | {"grading": "all_or_nothing"}, swapped).earned == 0.0
    assert Ordering.grade(config | {"grading": "all_or_nothing"}, Ordering.sample_right_response()).earned == 1.0
    assert Ordering.grade(config, ["i2pk", "i5ha", "i7mr", "i9wd"]).state == State.INCORRECT


def test_ordering_reads_the_submitted_order():
    form = MultiDict([("answer", "i2pk"), ("answer", "i5ha"), ("answer", "i2pk"), ("answer", "bogus")])
    assert Ordering.parse_response(config_of(Ordering), form) == ["i2pk", "i5ha"]


def test_ordering_refuses_an_unknown_grading():
    with pytest.raises(ConfigError) as caught:
        Ordering.validate_config(Ordering.sample_config() | {"grading": "relative"})
    assert caught.value.field == "grading"


# --- cloze -------------------------------------------------------------------------------------------------


def only_gap(text: str):
    (gap,) = [part for part in parse_cloze(text) if not isinstance(part, str)]
    return gap


def test_cloze_parses_a_multichoice_gap():
    gap = only_gap("{1:MULTICHOICE:=Zagreb#Right~Split#Wrong}")
    assert (gap.key, gap.weight, gap.qtype, gap.layout) == ("1", 1, MultipleChoice, "dropdown")
    assert gap.config["single"] is True and gap.config["shuffle"] is False
    assert [(a["text"], a["fraction"], a["feedback"]) for a in gap.config["answers"]] == [
        ("Zagreb", 1.0, "Right"),
        ("Split", 0.0, "Wrong"),
    ]


def test_cloze_parses_a_shortanswer_gap():
    gap = only_gap("{2:SHORTANSWER:=Barnahus}")
    assert (gap.weight, gap.qtype, gap.config["case_sensitive"]) == (2, ShortAnswer, False)
    assert [(a["text"], a["fraction"], a["feedback"]) for a in gap.config["answers"]] == [("Barnahus", 1.0, "")]


def test_cloze_parses_a_numerical_gap():
    gap = only_gap("{1:NUMERICAL:=24:0}")
    assert gap.qtype is Numerical
    assert [(a["value"], a["tolerance"], a["fraction"]) for a in gap.config["answers"]] == [("24", 0.0, 1.0)]
    assert only_gap("{:NM:=3,5:0,1~%50%4}").config["answers"][1] | {"id": ""} == {
        "id": "",
        "value": "4",
        "tolerance": 0.0,
        "fraction": 0.5,
        "feedback": "",
    }


def test_cloze_splits_text_and_gaps_in_order():
    parts = parse_cloze("A {1:SA:=x} b {2:MCV:=y~z} c {not a gap}")
    assert [p if isinstance(p, str) else p.key for p in parts] == ["A ", "1", " b ", "2", " c {not a gap}"]
    assert parts[3].layout == "vertical"


@pytest.mark.parametrize(
    ("markup", "layout", "single", "shuffle", "case_sensitive"),
    [
        ("{1:MCH:=a~b}", "horizontal", True, False, None),
        ("{1:MULTICHOICE_S:=a~b}", "dropdown", True, True, None),
        ("{1:MCVS:=a~b}", "vertical", True, True, None),
        ("{1:MRHS:=a~b}", "horizontal", False, True, None),
        ("{1:MULTIRESPONSE:=a~b}", "vertical", False, False, None),
        ("{1:SAC:=a}", "", None, None, True),
        ("{1:MW:=a}", "", None, None, False),
    ],
)
def test_cloze_knows_moodles_gap_types(markup, layout, single, shuffle, case_sensitive):
    gap = only_gap(markup)
    assert gap.layout == layout
    assert gap.config.get("single") == single
    assert gap.config.get("shuffle") == shuffle
    assert gap.config.get("case_sensitive") == case_sensitive


def test_cloze_escapes_and_html_entities():
    gap = only_gap(r"{1:SA:=a\}b\#c\~d#it&#39;s \} fine~%50%x}")
    first, second = gap.config["answers"]
    assert (first["text"], first["feedback"]) == ("a}b#c~d", "it&#39;s } fine")
    assert (second["text"], second["fraction"]) == ("x", 0.5)


def test_cloze_multiresponse_scales_fractions_as_moodle_does():
    plain = only_gap("{1:MR:=a~=b~c~d}").config["answers"]
    assert [a["fraction"] for a in plain] == [0.5, 0.5, -0.5, -0.5]
    weighted = only_gap("{1:MR:%100%a~%100%b~%0%c}").config["answers"]
    assert [a["fraction"] for a in weighted] == [0.5, 0.5, 0.0]


def test_cloze_grades_the_weighted_average_of_its_gaps():
    config = config_of(Cloze)
    right = Cloze.sample_right_response()
    assert Cloze.default_marks(config) == 4.0
    grade = Cloze.grade(config, right | {"2": "Police station"})
    assert (grade.earned, grade.state) == (0.5, State.PARTIAL)
    assert grade.feedback == {"1": "Right: the capital", "3": "Exactly"}
    assert Cloze.grade(config, {"3": "24,0"}).earned == 0.25
    gaps = Cloze.grade_gaps(config, {"3": "24"})
    assert [g.state for g in gaps.values()] == [State.NOT_ANSWERED, State.NOT_ANSWERED, State.CORRECT]
    assert Cloze.right_answer_summary(config) == "1: Zagreb; 2: Barnahus; 3: 24"


def test_cloze_reads_each_gap_under_its_prefix():
    config = config_of(Cloze)
    zagreb = Cloze.sample_right_response()["1"][0]
    form = {"q9-1-answer": [zagreb], "q9-2-answer": [" barnahus "], "q9-3-answer": ["24"], "q9-answer": ["x"]}
    response = Cloze.parse_response(config, form, "q9-")
    assert response == {"1": [zagreb], "2": "barnahus", "3": "24"}
    assert Cloze.grade(config, response).earned == 1.0


def test_cloze_learner_view_has_text_parts_and_gap_widgets():
    view = Cloze.learner_view(config_of(Cloze), random.Random(0))
    assert view["parts"][0] == {"text": "The capital of Croatia is "}
    widgets = [(p["gap"], p["prefix"], p["widget"]) for p in view["parts"] if "gap" in p]
    assert widgets == [("1", "1-", "select"), ("2", "2-", "text"), ("3", "3-", "number")]
    assert [c["text"] for c in view["parts"][1]["choices"]] == ["Zagreb", "Split"]  # MULTICHOICE does not shuffle


@pytest.mark.parametrize(
    ("markup", "words"),
    [
        ("No gaps at all.", "no gap"),
        ("{1:MULTICHOISE:=a~b}", "unknown type"),
        ("Open {1:SA:=a", "never closed"),
        ("{1:MC:=only}", "Gap 1"),
        ("{1:SA:=a} {2:NM:=three}", "Gap 2"),
        ("{0:SA:=a}", "weight"),
        ("{1:SA:%50%half}", "100 %"),
        ("{1:shortanswer:=x}", "unknown type"),
        ("{" + "9" * 5000 + ":SA:=x}", "weighs more"),
    ],
)
def test_cloze_refuses_malformed_markup(markup, words):
    with pytest.raises(ConfigError) as caught:
        Cloze.validate_config({"text": markup})
    assert words.lower() in caught.value.message.lower()
    assert caught.value.field == "text"


# --- essay and description ---------------------------------------------------------------------------------


def test_essay_waits_for_a_trainer_unless_empty():
    config = Essay.validate_config({"template": "My answer:", "rubric": "Name the convention."})
    assert Essay.grade(config, "  \n ").state == State.NOT_ANSWERED
    assert Essay.grade(config, "My answer:").state == State.NOT_ANSWERED
    assert Essay.grade(config, "My answer: Lanzarote.") == Grade.pending()
    assert Essay.parse_response(config, {"answer": ["Line one\r\nLine two  "]}) == "Line one\nLine two"


def test_trainers_grade_essays_with_a_comment():
    config = config_of(Essay)
    graded = Essay.grade_manually(config, "text", 0.5, "  Names the convention, not the interests.  ")
    assert (graded.earned, graded.state) == (0.5, State.PARTIAL)
    assert graded.comment == "Names the convention, not the interests."
    assert graded.general_feedback == config["general_feedback"]
    for bad in (1.5, -0.1, "1", float("nan"), True):
        with pytest.raises(GradingError):
            Essay.grade_manually(config, "text", bad)


def test_essay_refuses_a_silly_height():
    with pytest.raises(ConfigError) as caught:
        Essay.validate_config({"lines": 0})
    assert caught.value.field == "lines"


def test_description_has_no_answer_and_no_marks():
    config = config_of(Description)
    assert not Description.gradable and Description.default_marks(config) == 0.0
    assert Description.parse_response(config, {"answer": ["x"]}) is None
    assert Description.right_answer_summary(config) == ""
