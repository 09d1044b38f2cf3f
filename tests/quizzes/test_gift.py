"""GIFT: every feature of Moodle's format read into the question-dict contract, written back, and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from quizzes.formats.gift import default_name, parse_gift, write_gift

DATA = Path(__file__).parent / "data"


def parse_one(text: str) -> dict:
    result = parse_gift(text)
    assert result.errors == []
    assert len(result.questions) == 1
    return result.questions[0]


def answer(text: str, fraction: float, feedback: str = "") -> dict:
    return {"text": text, "fraction": fraction, "feedback": feedback}


def numeric(text: str, tolerance: float, fraction: float = 1.0, feedback: str = "") -> dict:
    return {"text": text, "fraction": fraction, "feedback": feedback, "tolerance": tolerance}


def only_error(text: str) -> dict:
    result = parse_gift(text)
    assert result.questions == []
    assert len(result.errors) == 1
    return result.errors[0]


# --- question types ----------------------------------------------------------------------------------------


def test_multiple_choice_gives_the_exact_contract():
    assert parse_one("Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}") == {
        "type": "multichoice",
        "name": "Who's buried in Grant's tomb?",
        "text": "Who's buried in Grant's tomb?",
        "text_format": "moodle",
        "category": None,
        "general_feedback": "",
        "answers": [answer("Grant", 0.0), answer("Jefferson", 0.0), answer("no one", 1.0)],
        "single": True,
    }


def test_answers_may_be_spread_over_indented_lines():
    question = parse_one("Japanese characters originally came from what country? {\n  ~India\n  =China\n  ~Korea\n}")
    assert question["answers"] == [answer("India", 0.0), answer("China", 1.0), answer("Korea", 0.0)]


def test_missing_word_puts_a_blank_where_the_answers_were():
    question = parse_one("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert question["text"] == "Grant is _____ in Grant's tomb."
    assert question["type"] == "multichoice"
    assert question["answers"][1] == answer("entombed", 1.0)


def test_missing_word_at_the_very_start_and_multi_line():
    assert parse_one("{=Paris ~Rome} is the capital of France.")["text"] == "_____ is the capital of France."
    question = parse_one("The holiday is on the {\n ~second\n =fourth\n} Thursday of November.")
    assert question["text"] == "The holiday is on the _____ Thursday of November."


def test_whitespace_after_the_block_is_not_a_missing_word():
    assert parse_one("What colour is the sky? {=blue}   ")["text"] == "What colour is the sky?"


def test_multiple_answers_with_weights_are_not_single():
    question = parse_one(
        "What two people are entombed in Grant's tomb? "
        "{~%-100%No one ~%50%Grant ~%50%Grant's wife ~%-100%Grant's father}"
    )
    assert question["single"] is False
    assert [a["fraction"] for a in question["answers"]] == [-1.0, 0.5, 0.5, -1.0]


def test_partial_credit_beside_one_right_answer_stays_single():
    question = parse_one("Best? {=best ~%33.33333%good ~%-50%bad}")
    assert question["single"] is True
    assert [a["fraction"] for a in question["answers"]] == [1.0, 0.3333333, -0.5]


def test_two_full_marks_answers_are_not_single():
    assert parse_one("Even numbers? {=2 =4 ~3}")["single"] is False


def test_equals_answers_with_weights():
    question = parse_one("Pick {=%50%half ~none =full}")
    assert question["type"] == "multichoice"
    assert question["answers"] == [answer("half", 0.5), answer("none", 0.0), answer("full", 1.0)]


def test_feedback_per_answer_and_general_feedback():
    question = parse_one(
        "What's between orange and green? { =yellow # right; good! ~red # wrong, it's yellow "
        "~blue # wrong, it's yellow ####Think of a rainbow. }"
    )
    assert question["answers"] == [
        answer("yellow", 1.0, "right; good!"),
        answer("red", 0.0, "wrong, it's yellow"),
        answer("blue", 0.0, "wrong, it's yellow"),
    ]
    assert question["general_feedback"] == "Think of a rainbow."


@pytest.mark.parametrize(
    ("block", "value"),
    [("{T}", True), ("{TRUE}", True), ("{F}", False), ("{FALSE}", False), ("{ TRUE }", True)],
)
def test_true_false_forms(block, value):
    question = parse_one(f"Grant was a general. {block}")
    assert question["type"] == "truefalse"
    assert question["text"] == "Grant was a general."
    assert "single" not in question
    assert question["answers"] == [answer("true", 1.0 if value else 0.0), answer("false", 0.0 if value else 1.0)]


def test_true_false_feedback_goes_to_the_answer_that_shows_it():
    # {T#one#two}: "one" is for a wrong answer (the learner picks false), "two" for a right one (true).
    question = parse_one("The sun is a star. {T#No, it is a star.#Yes!}")
    assert question["answers"] == [answer("true", 1.0, "Yes!"), answer("false", 0.0, "No, it is a star.")]
    question = parse_one("The moon is a star. {FALSE#No, it is a moon.#Right, it is not.####Moons orbit planets.}")
    assert question["answers"] == [answer("true", 0.0, "No, it is a moon."), answer("false", 1.0, "Right, it is not.")]
    assert question["general_feedback"] == "Moons orbit planets."


def test_true_false_with_only_a_wrong_answer_feedback():
    question = parse_one("Fish fly. {F#Only some glide.}")
    assert question["answers"] == [answer("true", 0.0, "Only some glide."), answer("false", 1.0)]


def test_lower_case_t_is_a_short_answer_not_true_false():
    question = parse_one("First letter of tree? {t}")
    assert question["type"] == "shortanswer"
    assert question["answers"] == [answer("t", 1.0)]


def test_short_answer():
    question = parse_one("Who's buried in Grant's tomb?{=no one =nobody #Good =%50%his wife #Half}")
    assert question["type"] == "shortanswer"
    assert "single" not in question
    assert question["answers"] == [
        answer("no one", 1.0),
        answer("nobody", 1.0, "Good"),
        answer("his wife", 0.5, "Half"),
    ]


def test_short_answer_in_missing_word_form():
    question = parse_one("Two plus {=two =2} equals four.")
    assert question["type"] == "shortanswer"
    assert question["text"] == "Two plus _____ equals four."


def test_a_lone_answer_without_equals_is_a_short_answer():
    question = parse_one("Two plus two equals {four #Yes}.")
    assert question["type"] == "shortanswer"
    assert question["answers"] == [answer("four", 1.0, "Yes")]


def test_numerical_with_tolerance():
    question = parse_one("When was Ulysses S. Grant born?{#1822:5}")
    assert question == {
        "type": "numerical",
        "name": "When was Ulysses S. Grant born?",
        "text": "When was Ulysses S. Grant born?",
        "text_format": "moodle",
        "category": None,
        "general_feedback": "",
        "answers": [numeric("1822", 5.0)],
    }


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ("{#3.14:0.01}", numeric("3.14", 0.01)),
        ("{#1..5}", numeric("3", 2.0)),
        ("{#0.1..0.2}", numeric("0.15", 0.05)),
        ("{#-5..-1}", numeric("-3", 2.0)),
        ("{#42}", numeric("42", 0.0)),
        ("{#1.5e3:10 #Scientific}", numeric("1.5e3", 10.0, feedback="Scientific")),
        ("{# 7 : 0.5 }", numeric("7", 0.5)),
    ],
)
def test_numerical_forms(block, expected):
    assert parse_one(f"A number? {block}")["answers"] == [expected]


def test_numerical_with_several_weighted_answers():
    question = parse_one(
        "When was Ulysses S. Grant born? {#\n"
        "    =1822:0      # Correct! Full credit.\n"
        "    =%50%1822:2  # He was born in 1822. Half credit for being close.\n"
        "}"
    )
    assert question["answers"] == [
        numeric("1822", 0.0, feedback="Correct! Full credit."),
        numeric("1822", 2.0, fraction=0.5, feedback="He was born in 1822. Half credit for being close."),
    ]


def test_numerical_multiple_answers_inline():
    question = parse_one("Year? {# =2000:0 =%50%1990:10}")
    assert question["answers"] == [numeric("2000", 0.0), numeric("1990", 10.0, fraction=0.5)]


def test_tolerance_key_only_on_numerical_answers():
    for text in ("Q {=a ~b}", "Q {T}", "Q {=a}"):
        assert all("tolerance" not in a for a in parse_one(text)["answers"])


def test_matching():
    question = parse_one(
        "Match the capitals. {\n  =Srbija -> Beograd\n  =Hrvatska -> Zagreb\n  =Albania -> Tiranë\n  = -> Ljubljana\n}"
    )
    assert question == {
        "type": "match",
        "name": "Match the capitals.",
        "text": "Match the capitals.",
        "text_format": "moodle",
        "category": None,
        "general_feedback": "",
        "answers": [],
        "subquestions": [
            {"text": "Srbija", "answer": "Beograd"},
            {"text": "Hrvatska", "answer": "Zagreb"},
            {"text": "Albania", "answer": "Tiranë"},
            {"text": "", "answer": "Ljubljana"},
        ],
    }


def test_matching_answer_keeps_a_second_arrow():
    question = parse_one("Arrows {=a -> b -> c =d -> e =f -> g}")
    assert question["subquestions"][0] == {"text": "a", "answer": "b -> c"}


def test_an_arrow_in_some_multiple_choice_answers_is_just_text():
    question = parse_one("Which is an arrow? {=-> ~<- ~<>}")
    assert question["type"] == "multichoice"
    assert [a["text"] for a in question["answers"]] == ["->", "<-", "<>"]


def test_essay():
    question = parse_one("Write a short biography of Dag Hammarskjöld. {}")
    assert question == {
        "type": "essay",
        "name": "Write a short biography of Dag...",
        "text": "Write a short biography of Dag Hammarskjöld.",
        "text_format": "moodle",
        "category": None,
        "general_feedback": "",
        "answers": [],
    }


def test_essay_with_general_feedback():
    question = parse_one("::E:: Explain. {\n####Mention the key points.\n}")
    assert question["type"] == "essay"
    assert question["general_feedback"] == "Mention the key points."


def test_description_has_no_braces():
    question = parse_one("::Intro:: You can use your pencil and paper for these next math questions.")
    assert question == {
        "type": "description",
        "name": "Intro",
        "text": "You can use your pencil and paper for these next math questions.",
        "text_format": "moodle",
        "category": None,
        "general_feedback": "",
        "answers": [],
    }


# --- names, formats, categories, comments ------------------------------------------------------------------


def test_name_is_trimmed_and_unescaped():
    assert parse_one("::  Colon\\: name  :: Text {T}")["name"] == "Colon: name"


def test_default_name_is_the_text_cut_at_a_word_near_40_characters():
    text = "How many children use social networks before the age of thirteen?"
    assert parse_one(text + " {#40}")["name"] == "How many children use social networks..."
    assert default_name(text) == "How many children use social networks..."
    assert default_name("<p>Short <b>html</b></p>") == "Short html"
    assert default_name("a < b and c > d") == "a < b and c > d"
    assert default_name("x" * 50) == "x" * 40 + "..."


def test_an_empty_name_falls_back_to_the_text():
    assert parse_one(":::: Text here {T}")["name"] == "Text here"


@pytest.mark.parametrize("fmt", ["html", "markdown", "plain", "moodle"])
def test_format_prefix_on_the_question(fmt):
    question = parse_one(f"::N::[{fmt}]Some *text* {{=a ~b}}")
    assert question["text_format"] == fmt
    assert question["text"] == "Some *text*"


def test_format_prefix_is_case_insensitive_and_may_follow_spaces():
    question = parse_one("::N:: [HTML]<p>x</p> {T}")
    assert (question["text_format"], question["text"]) == ("html", "<p>x</p>")


def test_format_prefix_is_stripped_from_answers_and_feedback():
    question = parse_one("[html]<p>Q</p> {=[html]<b>yes</b> #[html]<i>good</i> ~[plain]no ####[markdown]**gf**}")
    assert question["answers"] == [answer("<b>yes</b>", 1.0, "<i>good</i>"), answer("no", 0.0)]
    assert question["general_feedback"] == "**gf**"


def test_brackets_that_are_not_a_word_are_text():
    assert parse_one("[1, 2, 3] is a list. {T}")["text"] == "[1, 2, 3] is a list."


def test_categories_apply_to_the_questions_that_follow():
    result = parse_gift(
        "Before {T}\n\n$CATEGORY: $course$/top/Safety\n\nOne {T}\n\nTwo {F}\n\n"
        "$CATEGORY: Sigurnost/Lozinke\nThree {T}\n\n$CATEGORY: $system$/Shared\n\nFour {T}\n\n$CATEGORY:\n\nFive {T}"
    )
    assert result.errors == []
    assert [q["category"] for q in result.questions] == [
        None,
        "top/Safety",
        "top/Safety",
        "Sigurnost/Lozinke",
        "$system$/Shared",
        None,
    ]


def test_comments_are_ignored_even_inside_a_question():
    result = parse_gift("// heading\n::Q:: Pick {\n// a comment about the answers\n=yes\n  // indented\n~no\n}\n// end")
    assert result.errors == []
    assert result.questions[0]["answers"] == [answer("yes", 1.0), answer("no", 0.0)]


def test_blank_lines_separate_questions_and_lines_are_recorded():
    text = "// comment\n\n\nFirst {T}\n\n\n\n::Second::\nWhat?\n{=this}\n\nThird {}\n"
    result = parse_gift(text)
    assert [q["name"] for q in result.questions] == ["First", "Second", "Third"]
    assert result.lines == [4, 8, 12]
    assert result.questions[1]["text"] == "What?"


def test_windows_line_endings_and_a_byte_order_mark():
    result = parse_gift("\ufeff::A:: One {T}\r\n\r\n::B:: Two {\r\n=x\r\n~y\r\n}\r\n")
    assert result.errors == []
    assert [q["name"] for q in result.questions] == ["A", "B"]
    assert result.questions[1]["answers"] == [answer("x", 1.0), answer("y", 0.0)]


def test_an_empty_file_has_no_questions_and_no_errors():
    assert parse_gift("") == parse_gift("\n// only a comment\n\n")
    assert parse_gift("").questions == [] and parse_gift("").errors == []


# --- escapes -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("\\~", "~"),
        ("\\=", "="),
        ("\\#", "#"),
        ("\\{", "{"),
        ("\\}", "}"),
        ("\\:", ":"),
        ("\\n", "\n"),
        ("\\\\", "\\"),
        ("\\a", "\\a"),
        ("C:\\Temp", "C:\\Temp"),
    ],
)
def test_escapes_are_read(written, read):
    question = parse_one(f"::N{written}n:: Text {written} end {{=x{written}x #f{written}f ~y}}")
    assert question["name"] == f"N{read}n"
    assert question["text"] == f"Text {read} end"
    assert question["answers"][0] == answer(f"x{read}x", 1.0, f"f{read}f")


def test_escaped_markup_does_not_split_answers():
    question = parse_one("1 + 1 \\= ? {=2 \\~ two #Yes\\: 1\\+1\\=2 ~3}")
    assert question["text"] == "1 + 1 = ?"
    assert question["answers"] == [answer("2 ~ two", 1.0, "Yes: 1\\+1=2"), answer("3", 0.0)]


def test_special_characters_are_escaped_when_written():
    question = {
        "type": "shortanswer",
        "name": "a:b",
        "text": "Use {x} = ~y #z\nnext \\ line",
        "text_format": "moodle",
        "category": None,
        "general_feedback": "",
        "answers": [answer("p=q", 1.0, "~#")],
    }
    written = write_gift([question])
    assert written == "::a\\:b:: Use \\{x\\} \\= \\~y \\#z\\nnext \\\\ line {=p\\=q #\\~\\#}\n"
    assert parse_gift(written).questions == [question]


# --- errors --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("Unclosed {=a ~b", 1, "never closed"),
        ("No right answer? {\n~a\n~b\n}", 1, "no right answer"),
        ("Weight? {\n=a\n~%abc%b\n}", 3, "%abc%"),
        ("Weight? {=a ~%150%b}", 1, "%150%"),
        ("Weight? {=a ~%50b}", 1, "closed by a second '%', as in %50%"),
        ("Huge? {#1e99999}", 1, "'1e99999' is not a number"),
        ("Number? {#\n=1\n=%50%abc:1\n}", 3, "'abc' is not a number"),
        ("Number? {#1:x}", 1, "'x' is not a number"),
        ("Range? {#5..1}", 1, "starts above its end"),
        ("Tolerance? {#5:-1}", 1, "negative"),
        ("Numerical? {#}", 1, "no answer"),
        ("Match {\n=a -> b\n=c d\n=e -> f\n}", 3, "no '->'"),
        ("Match {=a -> b =c -> d}", 1, "at least 3 pairs; this one has 2"),
        ("Match {=a -> b ~c -> d =e -> f}", 1, "must start with '='"),
        ("Match {=a -> b #fb =c -> d =e -> f}", 1, "no weight and no feedback"),
        ("Match {=a -> b =c -> =e -> f}", 1, "nothing after '->'"),
        ("::N::[latex]x^2 {T}", 1, "Unknown format [latex]"),
        ("Answer format? {=[foo]a ~b}", 1, "Unknown format [foo]"),
        ("Two blocks {=a} and {=b}", 1, "Only one answer block"),
        ("Stray {=a} }", 1, "no matching '{'"),
        ("Stray } before {=a}", 1, "no matching '{'"),
        ("Nested {=a {=b}}", 1, "inside an answer block"),
        ("::Name only::", 1, "no text"),
        ("{=a ~b}", 1, "no text"),
        ("::Unclosed name: text {T}", 1, "no closing '::'"),
        ("One answer {~%100%only}", 1, "at least two answers"),
        ("Empty answer {=a ~}", 1, "empty"),
        ("Text first {wrong =right}", 1, "must start with '='"),
        ("True false? {T#a#b#c}", 1, "at most two feedbacks"),
    ],
)
def test_malformed_questions_are_reported(text, line, words):
    error = only_error(text)
    assert error["index"] == 0
    assert error["line"] == line
    assert words in error["message"]
    assert "%%" not in error["message"] and "%(" not in error["message"]


def test_errors_carry_index_and_line_and_good_questions_still_parse():
    text = (DATA / "malformed.gift").read_text(encoding="utf-8")
    result = parse_gift(text)
    assert [q["name"] for q in result.questions] == ["Good one", "Good two", "Good three", "Good four"]
    assert result.lines == [3, 12, 19, 29]
    assert [(e["index"], e["line"]) for e in result.errors] == [(1, 5), (2, 9), (4, 16), (6, 24), (7, 27)]
    assert result.questions[3]["category"] == "Other"
    messages = [e["message"] for e in result.errors]
    assert "never closed" in messages[0]
    assert "no right answer" in messages[1]
    assert "%many%" in messages[2]
    assert "'twelve' is not a number" in messages[3]
    assert "no text" in messages[4]


def test_a_blank_line_inside_a_block_splits_it_as_in_moodle():
    result = parse_gift("Broken {\n=a\n\n~b\n}\n\nFine {T}")
    assert [(e["index"], e["line"]) for e in result.errors] == [(0, 1), (1, 5)]
    assert [q["name"] for q in result.questions] == ["Fine"]


def test_parse_never_raises_on_garbage():
    for text in ("{", "}", "::", "{#", "{#..}", "%%%", "\\", "{=%", "a{~%-%}", "{T#", "::a::{", "\x00{=\x00}"):
        result = parse_gift(text)
        assert isinstance(result.errors, list)


# --- writing and round trips --------------------------------------------------------------------------------


def test_rich_fixture_parses_without_errors_and_round_trips():
    result = parse_gift((DATA / "rich.gift").read_text(encoding="utf-8"))
    assert result.errors == []
    assert {q["type"] for q in result.questions} == {
        "multichoice",
        "truefalse",
        "shortanswer",
        "numerical",
        "match",
        "essay",
        "description",
    }
    assert len(result.questions) == 18
    again = parse_gift(write_gift(result.questions))
    assert again.errors == []
    assert again.questions == result.questions


def test_rich_fixture_unicode_survives():
    questions = parse_gift((DATA / "rich.gift").read_text(encoding="utf-8")).questions
    by_name = {q["name"]: q for q in questions}
    assert by_name["Шта је тачно?"]["text"] == "<p>Кога треба <b>обавијестити</b>?</p>"
    assert by_name["Шта је тачно?"]["answers"][2] == answer("Никога", -1.0, "Никако!")
    assert by_name["TF false with feedback"]["general_feedback"] == "Đ, č, ć, š, ž."
    assert by_name["Capitals"]["subquestions"][2] == {"text": "Shqipëria", "answer": "Tiranë"}
    assert by_name["Describe çështje e sigurisë."]["type"] == "essay"
    assert by_name["Grant's tomb"]["category"] == "Zaštita djece/Osnove"


def test_writer_output_for_each_type():
    base = {"name": "N", "text": "T", "text_format": "moodle", "category": None, "general_feedback": ""}
    cases = [
        (
            {**base, "type": "truefalse", "answers": [answer("true", 0.0, "w"), answer("false", 1.0, "r")]},
            "{FALSE#w#r}",
        ),
        ({**base, "type": "numerical", "answers": [numeric("3.14", 0.01)]}, "{#3.14:0.01}"),
        ({**base, "type": "essay", "answers": []}, "{}"),
        ({**base, "type": "shortanswer", "answers": [answer("a", 1.0), answer("b", 0.25, "f")]}, "{\n=a\n=%25%b #f\n}"),
        (
            {**base, "type": "multichoice", "single": False, "answers": [answer("a", 0.5), answer("b", -1.0)]},
            "{\n~%50%a\n~%-100%b\n}",
        ),
        (
            {**base, "type": "match", "answers": [], "subquestions": [{"text": "a", "answer": "b"}] * 3},
            "{\n=a -> b\n=a -> b\n=a -> b\n}",
        ),
    ]
    for question, block in cases:
        assert write_gift([question]) == f"::N:: T {block}\n"
        assert parse_gift(write_gift([question])).questions == [question]


def test_writer_adds_format_prefix_general_feedback_and_missing_word_position():
    question = {
        "type": "multichoice",
        "name": "Blank",
        "text": "Grant is _____ in Grant's tomb.",
        "text_format": "html",
        "category": None,
        "general_feedback": "Look it up.",
        "answers": [answer("buried", 0.0), answer("entombed", 1.0, "Yes")],
        "single": True,
    }
    written = write_gift([question])
    assert written == "::Blank:: [html]Grant is {\n~buried\n=entombed #Yes\n####Look it up.\n} in Grant's tomb.\n"
    assert parse_gift(written).questions == [question]


def test_writer_writes_a_category_line_only_when_the_category_changes():
    def question(name: str, category: str | None) -> dict:
        return {
            "type": "essay",
            "name": name,
            "text": name,
            "text_format": "moodle",
            "category": category,
            "general_feedback": "",
            "answers": [],
        }

    questions = [question("A", "X/Y"), question("B", "X/Y"), question("C", None), question("D", "$system$/Z")]
    written = write_gift(questions)
    assert written == (
        "$CATEGORY: $course$/X/Y\n\n::A:: A {}\n\n::B:: B {}\n\n$CATEGORY:\n\n::C:: C {}\n\n"
        "$CATEGORY: $system$/Z\n\n::D:: D {}\n"
    )
    assert parse_gift(written).questions == questions


def test_writer_protects_text_that_looks_like_markup():
    question = {
        "type": "multichoice",
        "name": "[tricky] name",
        "text": "[note] starts with a bracket",
        "text_format": "moodle",
        "category": None,
        "general_feedback": "[x] general",
        "answers": [answer("%50% off", 1.0, "[y] fb"), answer("[z] other", 0.0), answer("_____", 0.0)],
        "single": True,
    }
    written = write_gift([question])
    assert "[moodle][note]" in written and "=%100%%50% off" in written
    assert parse_gift(written).questions == [question]


def test_a_blank_at_the_end_of_the_text_stays_in_the_text():
    question = parse_one("Fill in: _____ {=x}")
    assert question["text"] == "Fill in: _____"
    assert parse_gift(write_gift([question])).questions == [question]


def test_fractions_survive_writing_exactly():
    fractions = [1.0, 0.0, 0.5, -1.0, 0.3333333, 1 / 3, 0.1, 0.83333, -0.142857]
    question = {
        "type": "multichoice",
        "name": "F",
        "text": "F",
        "text_format": "moodle",
        "category": None,
        "general_feedback": "",
        "answers": [answer(f"a{i}", f) for i, f in enumerate(fractions)],
        "single": True,
    }
    assert parse_gift(write_gift([question])).questions == [question]


def test_write_nothing():
    assert write_gift([]) == ""


# --- size --------------------------------------------------------------------------------------------------


def _many_questions(count: int) -> str:
    shapes = [
        "::Q{i}:: Which is {i}? {{=right{i} #yes ~wrong ~%50%half ####general}}",
        "Is {i} even? {{T#no#yes}}",
        "::N{i}:: {i} plus one? {{#{i}:0.5}}",
        "Name {{=x{i} =y}} here.",
        "::M{i}:: Match {{=a{i} -> b =c -> d =e -> f}}",
        "Write about {i}. {{}}",
        "// a comment\n::D{i}:: A description with an escaped \\{{brace\\}} number {i}",
    ]
    return "\n\n".join(shapes[i % len(shapes)].format(i=i) for i in range(count))


def test_ten_thousand_questions():
    result = parse_gift(_many_questions(10_000))
    assert result.errors == []
    assert len(result.questions) == 10_000
    assert result.questions[-1]["text"] == "Name _____ here."  # 9999 % 7 == 3
