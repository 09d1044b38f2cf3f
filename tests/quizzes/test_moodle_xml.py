"""Moodle XML: read into the same dicts as GIFT, written back, refused when it carries DTDs or entities."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from quizzes.formats.gift import parse_gift, write_gift
from quizzes.formats.moodle_xml import parse_moodle_xml, write_moodle_xml

DATA = Path(__file__).parent / "data"


def rich_xml() -> bytes:
    return (DATA / "rich.xml").read_bytes()


def rich_gift() -> str:
    return (DATA / "rich.gift").read_text(encoding="utf-8")


def answer(text: str, fraction: float, feedback: str = "") -> dict:
    return {"text": text, "fraction": fraction, "feedback": feedback}


def quiz(*questions: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "\n</quiz>\n").encode()


def question_xml(qtype: str, body: str = "", name: str = "Q", text: str = "Text?", fmt: str = "html") -> str:
    return (
        f'<question type="{qtype}">\n<name><text>{name}</text></name>\n'
        f'<questiontext format="{fmt}"><text>{text}</text></questiontext>\n{body}</question>'
    )


TWO_CHOICES = (
    '<answer fraction="100"><text>yes</text><feedback><text>Good</text></feedback></answer>\n'
    '<answer fraction="0"><text>no</text></answer>\n'
)


# --- reading -----------------------------------------------------------------------------------------------


def test_rich_fixture_reads_into_the_contract():
    result = parse_moodle_xml(rich_xml())
    assert result.errors == []
    assert result.lines == [10, 46, 71, 101, 122, 141, 163, 176]
    first, second, tf, short, num, match, essay, description = result.questions
    assert first == {
        "type": "multichoice",
        "name": "Lozinke",
        "text": "<p>Koja je lozinka <strong>najjača</strong>?</p>",
        "text_format": "html",
        "category": "top/Sigurnost na internetu",
        "general_feedback": "<p>Duže je bolje.</p>",
        "answers": [
            answer("konj-baterija-spajalica", 1.0, "Tačno."),
            answer("123456", 0.0, "Prekratka."),
            answer("Ljeto2024!", 0.3333333),
        ],
        "single": True,
    }
    assert second["single"] is False
    assert second["text_format"] == "moodle"
    assert second["answers"] == [answer("Родитеље", 0.5), answer("Полицију", 0.5), answer("Никога", -1.0, "Никако!")]
    assert tf["answers"] == [answer("true", 1.0, "Da, svi."), answer("false", 0.0, "Ne: javni znači svima.")]
    assert tf["text_format"] == "plain"
    assert short == {
        "type": "shortanswer",
        "name": "Glavni grad",
        "text": "Glavni grad **Albanije** je _____.",
        "text_format": "markdown",
        "category": "top/Brojevi",
        "general_feedback": "",
        "answers": [answer("Tiranë", 1.0, "Saktë!"), answer("Tirana", 0.5)],
    }
    assert num["answers"] == [
        {"text": "13", "fraction": 1.0, "feedback": "", "tolerance": 0.0},
        {"text": "14", "fraction": 0.5, "feedback": "Skoro.", "tolerance": 1.5},
    ]
    assert match["answers"] == []
    assert match["subquestions"] == [
        {"text": "Phishing", "answer": "lažna poruka"},
        {"text": "Grooming", "answer": "vrbovanje"},
        {"text": "", "answer": "ometač"},
    ]
    assert (essay["type"], essay["text"], essay["general_feedback"]) == (
        "essay",
        "Opiši siguran naviku & zašto.",
        "Bilo što razumno.",
    )
    assert description["answers"] == [] and description["text"] == "<h2>Drugi dio</h2>"
    assert all("single" not in q for q in (tf, short, num, match, essay, description))


@pytest.mark.parametrize(
    ("xml_format", "fmt"),
    [("moodle_auto_format", "moodle"), ("html", "html"), ("plain_text", "plain"), ("markdown", "markdown")],
)
def test_formats_map_both_ways(xml_format, fmt):
    [question] = parse_moodle_xml(quiz(question_xml("essay", fmt=xml_format))).questions
    assert question["text_format"] == fmt
    root = ElementTree.fromstring(write_moodle_xml([question]))
    assert root.find("question/questiontext").get("format") == xml_format


def test_missing_format_is_html_and_missing_name_comes_from_the_text():
    data = quiz(
        '<question type="essay"><questiontext>'
        "<text>Explain &lt;b&gt;why&lt;/b&gt; briefly.</text>"
        "</questiontext></question>"
    )
    [question] = parse_moodle_xml(data).questions
    assert (question["text_format"], question["name"]) == ("html", "Explain why briefly.")


def test_single_is_derived_when_absent():
    [question] = parse_moodle_xml(quiz(question_xml("multichoice", TWO_CHOICES))).questions
    assert question["single"] is True
    assert question["answers"] == [answer("yes", 1.0, "Good"), answer("no", 0.0)]


def test_true_false_answers_are_put_in_order():
    body = '<answer fraction="100"><text>False</text></answer><answer fraction="0"><text>TRUE</text></answer>'
    [question] = parse_moodle_xml(quiz(question_xml("truefalse", body))).questions
    assert question["answers"] == [answer("true", 0.0), answer("false", 1.0)]


def test_categories_drop_the_course_context_and_keep_others():
    data = quiz(
        '<question type="category"><category><text>$course$/top/A</text></category></question>',
        question_xml("essay", name="one"),
        '<question type="category"><category><text>$system$/Shared</text></category></question>',
        question_xml("essay", name="two"),
        '<question type="category"><category><text></text></category></question>',
        question_xml("essay", name="three"),
    )
    assert [q["category"] for q in parse_moodle_xml(data).questions] == ["top/A", "$system$/Shared", None]


# --- errors ------------------------------------------------------------------------------------------------


def test_bad_questions_are_reported_with_index_and_line_and_the_rest_still_read():
    data = quiz(
        '<question type="category"><category><text>$course$/X</text></category></question>',  # line 3
        question_xml("essay", name="good one"),  # lines 4-7
        question_xml("calculated", name="unsupported"),  # 8-11
        question_xml("multichoice", '<answer fraction="abc"><text>a</text></answer>\n' + TWO_CHOICES),  # 12-18
        question_xml("numerical", '<answer fraction="100"><text>twelve</text></answer>\n'),  # 19-23
        question_xml("match", "<subquestion><text>a</text><answer><text>b</text></answer></subquestion>\n"),  # 24-28
        question_xml("multichoice", TWO_CHOICES.replace('"100"', '"0"')),  # 29-34
        question_xml("essay", name="good two"),  # 35-38
    )
    result = parse_moodle_xml(data)
    assert [q["name"] for q in result.questions] == ["good one", "good two"]
    assert result.lines == [4, 35]
    assert [(e["index"], e["line"]) for e in result.errors] == [(1, 8), (2, 15), (3, 22), (4, 24), (5, 29)]
    messages = [e["message"] for e in result.errors]
    assert "'calculated' is not supported" in messages[0]
    assert "'abc'" in messages[1]
    assert "'twelve' is not a number" in messages[2]
    assert "at least 3 pairs; this one has 1" in messages[3]
    assert "no right answer" in messages[4]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('<answer fraction="100"><text>true</text></answer>', "'true' and 'false'"),
        ('<answer fraction="150"><text>true</text></answer><answer><text>false</text></answer>', "'150'"),
    ],
)
def test_bad_true_false(body, words):
    result = parse_moodle_xml(quiz(question_xml("truefalse", body)))
    assert result.questions == []
    assert words in result.errors[0]["message"]


def test_unknown_text_format_and_empty_text_are_errors():
    result = parse_moodle_xml(quiz(question_xml("essay", fmt="wiki"), question_xml("essay", text="")))
    assert [(e["index"], e["line"]) for e in result.errors] == [(0, 5), (1, 7)]
    assert "'wiki'" in result.errors[0]["message"]
    assert "no text" in result.errors[1]["message"]


def test_a_negative_tolerance_is_an_error():
    body = '<answer fraction="100"><text>3</text><tolerance>-1</tolerance></answer>'
    result = parse_moodle_xml(quiz(question_xml("numerical", body)))
    assert "tolerance '-1'" in result.errors[0]["message"]


def test_not_well_formed_xml_is_one_error_with_its_line():
    result = parse_moodle_xml(b'<?xml version="1.0"?>\n<quiz>\n<question type="essay">\n<name>\n</quiz>\n')
    assert result.questions == []
    assert len(result.errors) == 1
    assert result.errors[0]["line"] == 5
    assert "not well-formed" in result.errors[0]["message"]


def test_the_root_must_be_quiz():
    result = parse_moodle_xml(b"<questions><question type='essay'/></questions>")
    assert result.questions == []
    assert "<quiz>" in result.errors[0]["message"]


def test_empty_input_is_an_error_not_an_exception():
    assert len(parse_moodle_xml(b"").errors) == 1


# --- safety ------------------------------------------------------------------------------------------------


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE quiz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<quiz><question type="essay"><name><text>&lol9;</text></name>
<questiontext format="html"><text>&lol9;</text></questiontext></question></quiz>
"""


def test_billion_laughs_is_refused_not_expanded():
    result = parse_moodle_xml(BILLION_LAUGHS)
    assert result.questions == []
    assert len(result.errors) == 1
    assert "refused" in result.errors[0]["message"]
    assert result.errors[0]["line"] == 2


def test_external_entities_are_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    data = (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>\n'
        '<quiz><question type="essay"><name><text>x</text></name>'
        '<questiontext format="html"><text>&xxe;</text></questiontext></question></quiz>\n'
    ).encode()
    result = parse_moodle_xml(data)
    assert result.questions == []
    assert "refused" in result.errors[0]["message"]
    assert "TOP-SECRET-VALUE" not in repr(result)


def test_an_external_dtd_is_refused():
    data = b'<?xml version="1.0"?>\n<!DOCTYPE quiz SYSTEM "http://example.invalid/quiz.dtd">\n<quiz></quiz>'
    result = parse_moodle_xml(data)
    assert result.questions == [] and "refused" in result.errors[0]["message"]


def test_an_undeclared_entity_is_an_error():
    result = parse_moodle_xml(
        b"<quiz><question type='essay'><questiontext><text>&nope;</text></questiontext></question></quiz>"
    )
    assert result.questions == []
    assert "undefined entity" in result.errors[0]["message"]


# --- writing and round trips --------------------------------------------------------------------------------


def test_written_xml_has_moodle_structure():
    questions = parse_gift(rich_gift()).questions
    root = ElementTree.fromstring(write_moodle_xml(questions))
    assert root.tag == "quiz"
    categories = [q.findtext("category/text") for q in root.iter("question") if q.get("type") == "category"]
    assert categories == ["$course$/Zaštita djece/Osnove", "$course$/Numbers", ""]
    first = root.find("question[@type='multichoice']")
    assert first.findtext("name/text") == "Grant's tomb"
    assert first.find("questiontext").get("format") == "moodle_auto_format"
    assert first.findtext("generalfeedback/text") == "The tomb is a mausoleum."
    assert first.findtext("single") == "true"
    assert [a.get("fraction") for a in first.iterfind("answer")] == ["100", "0", "0"]
    assert first.find("answer").findtext("feedback/text") == "Right: he lies above ground."
    weighted = root.findall("question[@type='multichoice']")[3]
    assert [a.get("fraction") for a in weighted.iterfind("answer")] == ["100", "33.33333", "-50"]
    numerical = root.find("question[@type='numerical']")
    assert numerical.find("answer").findtext("tolerance") == "0.005"
    match = root.find("question[@type='match']")
    assert [s.findtext("answer/text") for s in match.iterfind("subquestion")] == [
        "Beograd",
        "Zagreb",
        "Tiranë",
        "Ljubljana",
    ]


def test_writer_starts_with_a_declaration_and_is_utf8():
    data = write_moodle_xml(parse_gift("::Ж:: Шта? {=да ~не}").questions)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<quiz>')
    assert "Шта?".encode() in data


def test_xml_round_trip():
    questions = parse_moodle_xml(rich_xml()).questions
    again = parse_moodle_xml(write_moodle_xml(questions))
    assert again.errors == []
    assert again.questions == questions


def test_gift_to_xml_to_gift_keeps_every_question():
    questions = parse_gift(rich_gift()).questions
    through_xml = parse_moodle_xml(write_moodle_xml(questions))
    assert through_xml.errors == []
    assert through_xml.questions == questions
    back = parse_gift(write_gift(through_xml.questions))
    assert back.errors == []
    assert back.questions == questions


def test_xml_to_gift_to_xml_keeps_every_question():
    questions = parse_moodle_xml(rich_xml()).questions
    through_gift = parse_gift(write_gift(questions))
    assert through_gift.errors == []
    assert through_gift.questions == questions


def test_markup_and_special_characters_survive_xml():
    question = {
        "type": "shortanswer",
        "name": "<b>&amp;</b> ]]> \"quotes\" 'single'",
        "text": "a < b && c > d ]]> {=x} \\ \n second line",
        "text_format": "plain",
        "category": "A & B/<C>",
        "general_feedback": "<![CDATA[not really]]>",
        "answers": [answer("č ć đ š ž ë ç", 1.0, "Ђ Ћ Џ")],
    }
    assert parse_moodle_xml(write_moodle_xml([question])).questions == [question]


def test_characters_xml_cannot_hold_are_left_out():
    question = {
        "type": "essay",
        "name": "bell\x07",
        "text": "form\x0cfeed",
        "text_format": "html",
        "category": None,
        "general_feedback": "",
        "answers": [],
    }
    [read] = parse_moodle_xml(write_moodle_xml([question])).questions
    assert (read["name"], read["text"]) == ("bell", "formfeed")


def test_write_nothing():
    assert parse_moodle_xml(write_moodle_xml([])) == parse_moodle_xml(b"<quiz/>")
    assert parse_moodle_xml(b"<quiz/>").questions == []
