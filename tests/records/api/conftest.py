"""API fixtures: two academies with a course, an enrolment, a quiz attempt and a certificate each, and tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from certificates.accreditations import AccreditationFields, create_accreditation
from certificates.issuing import issue_certificate
from courses import enrolment as enrolments
from courses import progress
from lms.models import Academy, User
from quizzes import attempts, authoring, bank
from records.api import services
from records.api.models import ApiToken
from tests.quizzes.conftest import gift_questions


@dataclass
class Side:
    """What one academy has: its registrar, a learner, a course, an enrolment, an attempt, a certificate."""

    academy: Academy
    registrar: User
    learner: User
    course: object
    enrolment: object
    attempt: object
    certificate: object
    accreditation: object


def _quiz(course):
    bank.import_questions(None, course, gift_questions())
    quiz = authoring.create_quiz(None, course, authoring.QuizFields(title="Check", slug=f"check-{course.id}"))
    for question in bank.bank_questions(course)[:2]:
        authoring.add_question_slot(None, quiz, question, Decimal("1"))
    return quiz


def _side(academy, registrar, learner, make_course) -> Side:
    course = make_course(modules=1, lessons=2, academy_=academy)
    enrolment = enrolments.enrol_users(registrar, course, [learner]).enrolled[0]
    outline = progress.build_outline(enrolment)
    progress.complete_lesson(outline, outline.lessons[0].lesson.lesson_id)
    attempt = attempts.start_attempt(learner, _quiz(course))
    attempts.submit_attempt(attempt, attempt.seq, {}, [])
    accreditation = create_accreditation(
        None, academy, course, AccreditationFields(curriculum_code=f"C-{course.id}", credit_hours=Decimal("8"))
    )
    certificate = issue_certificate(None, accreditation, learner, date(2026, 1, 15))
    return Side(academy, registrar, learner, course, enrolment, attempt, certificate, accreditation)


@pytest.fixture
def world(users, academy, other_academy, make_user, make_course):
    """Two academies, each with the same kinds of records; tests act as ``mine`` and never see ``theirs``."""
    theirs_registrar = make_user("registrar2", roles={other_academy: ["registrar"]})
    theirs_learner = make_user("learner2", roles={other_academy: ["learner"]}, profession="judge", country="BA")
    return {
        "mine": _side(academy, users["registrar"], users["learner"], make_course),
        "theirs": _side(other_academy, theirs_registrar, theirs_learner, make_course),
    }


@pytest.fixture
def make_token(db):
    def make(academy, creator, scope: str = "read", name: str = "Records system") -> tuple[ApiToken, str]:
        return services.create_token(creator, academy, name, scope)

    return make


@pytest.fixture
def read_token(world, make_token) -> str:
    return make_token(world["mine"].academy, world["mine"].registrar)[1]


@pytest.fixture
def write_token(world, make_token) -> str:
    return make_token(world["mine"].academy, world["mine"].registrar, "write", "Enrolment system")[1]


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def assert_error(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field"}, body
    assert body["error"]["code"] == str(status) and body["error"]["message"]
    assert body["error"]["field"] == field, body
    return body["error"]


@pytest.fixture
def accredit_other(db):
    def make(course, academy):
        fields = AccreditationFields(curriculum_code="OTHER-1", credit_hours=Decimal("4"))
        return create_accreditation(None, academy, course, fields)

    return make
