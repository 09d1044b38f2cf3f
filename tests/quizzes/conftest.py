"""Quiz factories: a course with a bank of questions and a quiz, an enrolled learner."""

from __future__ import annotations

from decimal import Decimal

import pytest

from courses import enrolment as enrolments
from quizzes import authoring, bank
from quizzes.formats.gift import parse_gift

GIFT = """
$CATEGORY: Basics
::mc::Which practices limit re-traumatisation? {
  ~%50%One recorded interview#Yes.
  ~%50%Interviews in a child-friendly room#Yes.
  ~%-100%Repeated questioning by each agency#No.
}

::tf::The Lanzarote Convention is a Council of Europe treaty.{T#It is.#It is one.}

::sa::Name the Nordic model of child-friendly services under one roof.{=Barnahus =Barnahuset}

::num::How many hours are in a day?{#24:0}

$CATEGORY: Essays
::essay::Describe your referral path.{}
"""


def gift_questions() -> list[dict]:
    result = parse_gift(GIFT)
    assert result.errors == []
    return result.questions


@pytest.fixture
def quiz_course(make_course, users, db):
    course = make_course(modules=1, lessons=1, title="OCSEA response", slug="ocsea")
    report = bank.import_questions(None, course, gift_questions())
    assert report.errors == [] and report.created == 5
    return course


@pytest.fixture
def make_quiz(quiz_course, db):
    def make(names=("mc", "tf", "sa", "num"), **settings) -> authoring.Quiz:
        fields = authoring.QuizFields(title=settings.pop("title", "Check"), slug=settings.pop("slug", "check"))
        for key, value in settings.items():
            setattr(fields, key, value)
        quiz = authoring.create_quiz(None, quiz_course, fields)
        by_name = {q.name: q for q in bank.bank_questions(quiz_course)}
        for name in names:
            authoring.add_question_slot(None, quiz, by_name[name], Decimal("1"))
        return quiz

    return make


@pytest.fixture
def learner(users, quiz_course):
    enrolments.self_enrol(users["learner"], quiz_course)
    return users["learner"]
