"""Certificate factories: accredit a course, complete it as a learner."""

from __future__ import annotations

from decimal import Decimal

import pytest

from certificates.accreditations import AccreditationFields, create_accreditation
from courses import enrolment as enrolments
from courses import progress

NAMES = ["Đorđe Čolić", "Ђорђе Чолић", "Xhulja Çela", "Ëndrit Hoxha"]


@pytest.fixture
def accredit(db):
    def make(course, academy, *, code: str = "JA-OCSEA-101", hours: str = "10", months: int | None = 36, **extra):
        fields = AccreditationFields(curriculum_code=code, credit_hours=Decimal(hours), validity_months=months, **extra)
        return create_accreditation(None, academy, course, fields)

    return make


def complete_course(user, course):
    """Enrol ``user`` (self-enrolment) and complete every lesson; returns the enrolment."""
    enrolment = enrolments.enrolment_of(user, course) or enrolments.self_enrol(user, course)
    outline = progress.build_outline(enrolment)
    for state in outline.lessons:
        progress.complete_lesson(outline, state.lesson.lesson_id)
    return enrolment


@pytest.fixture
def complete():
    return complete_course
