"""quizzes.translations, the pure part: translated texts laid over the source config by position, ids and
fractions kept, fallbacks marked, short answers accepted in every form, cloze only with the same gaps, Serbian
in the reader's script, responses mapped back to the source."""

from __future__ import annotations

import random
from types import SimpleNamespace

from courses.languages import choose
from quizzes.translations import localize, same_gaps, to_source_response
from quizzes.types import Cloze, Essay, Match, MultipleChoice, Ordering, ShortAnswer, State, TrueFalse
from quizzes.types.cloze import gaps

COURSE = SimpleNamespace(language="en", translations={"sq": {"title": "Kursi"}, "sr_Latn": {"title": "Kurs"}})
SQ = choose(COURSE, "sq")
SOURCE = choose(COURSE, "en")
CYRL = choose(COURSE, "sr_Cyrl")  # the sr_Latn translation, in Cyrillic

MC = MultipleChoice.validate_config(
    {
        "single": True,
        "answers": [
            {"id": "a1", "text": "A recorded interview", "fraction": 1.0, "feedback": "Yes."},
            {"id": "a2", "text": "Repeated questioning", "fraction": 0.0, "feedback": "No."},
        ],
        "general_feedback": "One interview.",
    }
)
MC_SQ = {
    "text": "Çfarë e ndihmon fëmijën?",
    "config": {
        # A translation with other ids and fractions (an import makes its own ids): neither may count.
        "single": False,
        "answers": [
            {"id": "x1", "text": "Një intervistë e regjistruar", "fraction": 0.0, "feedback": "Po."},
            {"id": "x2", "text": "Pyetje të përsëritura", "fraction": 1.0, "feedback": "Jo."},
        ],
        "general_feedback": "Një intervistë.",
    },
}


def mc(reading, translations=None):
    return localize("multichoice", "What helps the child?", "markdown", MC, translations, reading)


def test_the_source_reading_changes_nothing():
    shown = mc(SOURCE, {"sq": MC_SQ})
    assert (shown.text, shown.config, shown.fallback, shown.lang) == ("What helps the child?", MC, False, "en")


def test_texts_come_from_the_translation_by_position_ids_and_fractions_from_the_source():
    shown = mc(SQ, {"sq": MC_SQ})
    assert shown.text == "Çfarë e ndihmon fëmijën?" and shown.lang == "sq" and not shown.fallback
    answers = shown.config["answers"]
    assert [a["text"] for a in answers] == ["Një intervistë e regjistruar", "Pyetje të përsëritura"]
    assert [(a["id"], a["fraction"]) for a in answers] == [("a1", 1.0), ("a2", 0.0)]
    assert shown.config["single"] is True and shown.config["general_feedback"] == "Një intervistë."
    assert MC["answers"][0]["text"] == "A recorded interview"  # the source is not changed in place
    grade = MultipleChoice.grade(shown.config, ["a1"])
    assert grade.earned == MultipleChoice.grade(MC, ["a1"]).earned == 1.0
    assert grade.feedback == {"a1": "Po."}
    assert MultipleChoice.grade(shown.config, ["a2"]).earned == 0.0


def test_the_choice_order_is_the_sources():
    shown = mc(SQ, {"sq": MC_SQ})
    ids = [c["id"] for c in MultipleChoice.learner_view(shown.config, random.Random(7))["choices"]]
    assert ids == [c["id"] for c in MultipleChoice.learner_view(MC, random.Random(7))["choices"]]


def test_a_missing_translation_falls_back_to_the_source_and_says_so():
    shown = mc(SQ, {})
    assert shown.text == "What helps the child?" and shown.config == MC and shown.fallback and shown.lang == "en"
    partly = {"sq": {"text": "Çfarë?", "config": {"answers": [{"text": "Një intervistë"}]}}}
    shown = mc(SQ, partly)
    assert shown.fallback and [a["text"] for a in shown.config["answers"]] == ["Një intervistë", "Repeated questioning"]


def test_feedback_missing_from_a_translation_is_no_visible_fallback():
    translated = {"sq": {"text": "Çfarë?", "config": {"answers": [{"text": "Një"}, {"text": "Dy"}]}}}
    shown = mc(SQ, translated)
    assert not shown.fallback and shown.config["general_feedback"] == "One interview."


def test_true_false_keeps_the_right_answer():
    source = TrueFalse.validate_config({"correct": True, "feedback_true": "Indeed.", "feedback_false": "No."})
    translated = {
        "sq": {"text": "E vërtetë?", "config": {"correct": False, "feedback_true": "Po.", "feedback_false": ""}}
    }
    shown = localize("truefalse", "True?", "markdown", source, translated, SQ)
    assert shown.config["correct"] is True
    assert shown.config["feedback_true"] == "Po." and shown.config["feedback_false"] == "No."
    assert TrueFalse.grade(shown.config, True).earned == 1.0


def test_essay_template_and_rubric_are_translated():
    source = Essay.validate_config({"rubric": "Names the convention.", "template": "I would…", "lines": 5})
    translated = {"sq": {"config": {"rubric": "Përmend konventën.", "template": "Unë do të…", "lines": 40}}}
    shown = localize("essay", "Describe.", "markdown", source, translated, SQ)
    assert (shown.config["template"], shown.config["rubric"], shown.config["lines"]) == (
        "Unë do të…",
        "Përmend konventën.",
        5,
    )
    assert Essay.grade(shown.config, "Unë do të…").state == State.NOT_ANSWERED


def test_ordering_keeps_the_order_and_ids():
    source = Ordering.validate_config({"items": [{"id": "i1", "text": "Report"}, {"id": "i2", "text": "Interview"}]})
    translated = {"sq": {"config": {"items": [{"id": "z", "text": "Raporto"}, {"id": "y", "text": "Interviewo"}]}}}
    shown = localize("ordering", "Order.", "markdown", source, translated, SQ)
    assert shown.config["items"] == [{"id": "i1", "text": "Raporto"}, {"id": "i2", "text": "Interviewo"}]


SA = ShortAnswer.validate_config(
    {
        "answers": [
            {"id": "w1", "text": "Barnahus", "fraction": 1.0, "feedback": "Exactly."},
            {"id": "w2", "text": "children's house", "fraction": 0.5, "feedback": "Its name, please."},
        ]
    }
)
SA_TRANSLATIONS = {
    "sq": {"config": {"answers": [{"text": "Shtëpia e fëmijëve", "fraction": 0.0, "feedback": "Saktë."}]}},
    "sr_Latn": {"config": {"answers": [{"text": "Dečja kuća", "feedback": "Tačno."}, {"text": "kuća"}]}},
}


def test_short_answer_accepts_the_source_and_the_translated_answers():
    shown = localize("shortanswer", "Name it.", "markdown", SA, SA_TRANSLATIONS, SQ)
    grade = ShortAnswer.grade(shown.config, "shtëpia e fëmijëve")
    assert grade.earned == 1.0 and list(grade.feedback.values()) == ["Saktë."]
    assert ShortAnswer.grade(shown.config, "barnahus").earned == 1.0
    assert ShortAnswer.grade(shown.config, "Children's house").earned == 0.5
    assert ShortAnswer.grade(shown.config, "shtëpi").earned == 0.0
    assert ShortAnswer.right_answer_summary(shown.config) == "Shtëpia e fëmijëve"
    assert len({a["id"] for a in shown.config["answers"]}) == len(shown.config["answers"])


def test_short_answer_accepts_both_serbian_scripts():
    shown = localize("shortanswer", "Name it.", "markdown", SA, SA_TRANSLATIONS, CYRL)
    assert ShortAnswer.right_answer_summary(shown.config) == "Дечја кућа"
    for typed in ("Дечја кућа", "dečja kuća", "Barnahus"):
        assert ShortAnswer.grade(shown.config, typed).earned == 1.0, typed
    assert ShortAnswer.grade(shown.config, "кућа").earned == 0.5
    assert ShortAnswer.grade(shown.config, "kuca").earned == 0.0


def test_serbian_texts_are_shown_in_the_readers_script():
    translated = {
        "sr_Latn": {
            "text": "Šta pomaže detetu?",
            "config": {"answers": [{"text": "Jedan intervju"}, {"text": "Ponavljanje"}]},
        }
    }
    shown = mc(CYRL, translated)
    assert shown.text == "Шта помаже детету?" and shown.lang == "sr_Cyrl"
    assert [a["text"] for a in shown.config["answers"]] == ["Један интервју", "Понављање"]
    latin = mc(choose(COURSE, "sr_Latn"), translated)
    assert latin.text == "Šta pomaže detetu?" and latin.lang == "sr_Latn"


MATCH = Match.validate_config(
    {
        "pairs": [
            {"id": "s1", "text": "Croatia", "answer": "Zagreb"},
            {"id": "s2", "text": "Serbia", "answer": "Belgrade"},
            {"id": "s3", "text": "", "answer": "Ljubljana"},
        ]
    }
)


def test_matching_translates_stems_and_answers_and_maps_responses_back():
    translated = {"sq": {"config": {"pairs": [
        {"text": "Kroacia", "answer": "Zagrebi"}, {"text": "Serbia", "answer": "Beogradi"},
        {"text": "Sllovenia", "answer": "Lubljana"},
    ]}}}  # fmt: skip
    shown = localize("match", "Match.", "markdown", MATCH, translated, SQ)
    assert [p["text"] for p in shown.config["pairs"]] == ["Kroacia", "Serbia", ""]  # no new stem from a distractor
    assert [p["id"] for p in shown.config["pairs"]] == ["s1", "s2", "s3"]
    by_text = {text: cid for cid, text in Match.choices(shown.config).items()}
    response = {"s1": by_text["Zagrebi"], "s2": by_text["Lubljana"]}
    assert Match.grade(shown.config, response).earned == 0.5
    back = to_source_response("match", MATCH, shown.config, response)
    source_ids = {text: cid for cid, text in Match.choices(MATCH).items()}
    assert back == {"s1": source_ids["Zagreb"], "s2": source_ids["Ljubljana"]}
    assert Match.grade(MATCH, back).earned == 0.5


def test_matching_answers_that_would_merge_choices_stay_the_sources():
    translated = {"sq": {"config": {"pairs": [{"answer": "Qyteti"}, {"answer": "Qyteti"}, {"answer": "Lubljana"}]}}}
    shown = localize("match", "Match.", "markdown", MATCH, translated, SQ)
    assert [p["answer"] for p in shown.config["pairs"]] == ["Zagreb", "Belgrade", "Ljubljana"] and shown.fallback


CLOZE = Cloze.validate_config(
    {"text": "The capital is {1:MULTICHOICE:=Zagreb#Right~Split#No}; a day has {2:NUMERICAL:=24:0} hours."}
)


def test_cloze_takes_the_translation_with_the_same_gaps():
    text = "Kryeqyteti është {1:MULTICHOICE:=Zagrebi#Saktë~Spliti#Jo}; një ditë ka {2:NUMERICAL:=24:0} orë."
    shown = localize("cloze", "", "markdown", CLOZE, {"sq": {"config": {"text": text}}}, SQ)
    assert shown.config["text"] == text and not shown.fallback
    first = gaps(text)[0]
    zagrebi = next(a["id"] for a in first.config["answers"] if a["text"] == "Zagrebi")
    response = {"1": [zagrebi], "2": "24"}
    assert Cloze.grade(shown.config, response).earned == 1.0
    back = to_source_response("cloze", CLOZE, shown.config, response)
    zagreb = next(a["id"] for a in gaps(CLOZE["text"])[0].config["answers"] if a["text"] == "Zagreb")
    assert back == {"1": [zagreb], "2": "24"} and Cloze.grade(CLOZE, back).earned == 1.0


def test_cloze_with_other_gaps_falls_back_to_the_source():
    other = {
        "one gap fewer": "Kryeqyteti është {1:MULTICHOICE:=Zagrebi~Spliti}.",
        "another weight": "{3:MULTICHOICE:=Zagrebi~Spliti} {2:NUMERICAL:=24:0}",
        "another right answer": "{1:MULTICHOICE:Zagrebi~=Spliti} {2:NUMERICAL:=24:0}",
        "another number": "{1:MULTICHOICE:=Zagrebi~Spliti} {2:NUMERICAL:=25:0}",
        "malformed": "{1:MULTICHOICE:=Zagrebi~Spliti {2:NUMERICAL:=24:0}",
    }
    for why, text in other.items():
        assert not same_gaps(CLOZE["text"], text), why
        shown = localize("cloze", "", "markdown", CLOZE, {"sq": {"config": {"text": text}}}, SQ)
        assert shown.config["text"] == CLOZE["text"] and shown.fallback, why


def test_cloze_in_cyrillic_keeps_its_gap_headers_and_numbers():
    text = "Glavni grad je {1:MULTICHOICE:=Zagreb#Tačno~Split#Ne}; dan ima {2:NUMERICAL:=24:0} sata."
    shown = localize("cloze", "", "markdown", CLOZE, {"sr_Latn": {"config": {"text": text}}}, CYRL)
    assert (
        shown.config["text"]
        == "Главни град је {1:MULTICHOICE:=Загреб#Тачно~Сплит#Не}; дан има {2:NUMERICAL:=24:0} сата."
    )
    assert same_gaps(CLOZE["text"], shown.config["text"])
