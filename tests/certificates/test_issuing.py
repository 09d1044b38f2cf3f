"""Issuing: automatically on course completion (exactly once), by a registrar (one person, a list of attendees
all or nothing), serials per academy and year, snapshots, the minimum quiz grade and recertification."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from certificates import issuing
from certificates.accreditations import AccreditationFields, update_accreditation
from certificates.codes import add_months
from certificates.models import Certificate, SerialCounter
from lms import signals
from lms.exceptions import DomainError, NotFoundError
from lms.models import AuditEvent, UserStatus
from lms.models.base import utcnow
from tests.certificates.conftest import NAMES, complete_course


def _certificates(db, **where):
    query = select(Certificate).order_by(Certificate.id)
    for key, value in where.items():
        query = query.where(getattr(Certificate, key) == value)
    return db.session.scalars(query).all()


@pytest.fixture
def learner(make_user, academy):
    return make_user("holder", display_name=NAMES[0], roles={academy: ["learner"]})


def test_completing_an_accredited_course_issues_one_certificate_with_a_snapshot(
    db, make_course, accredit, academy, other_academy, learner
):
    course = make_course(title="Multi-agency response")
    accreditation = accredit(course, other_academy, code="JA-101", hours="10.5", months=36)
    sent = []

    def receiver(sender, certificate, **kw):
        sent.append(certificate.serial)

    signals.certificate_issued.connect(receiver)
    try:
        enrolment = complete_course(learner, course)
    finally:
        signals.certificate_issued.disconnect(receiver)

    (certificate,) = _certificates(db)
    year = utcnow().year
    assert certificate.serial == f"JUDI-{year}-000001" and sent == [certificate.serial]
    assert certificate.holder_name == "Đorđe Čolić"
    assert (certificate.course_title, certificate.academy_name) == ("Multi-agency response", "Judicial Academy")
    assert (certificate.curriculum_code, certificate.credit_hours) == ("JA-101", Decimal("10.5"))
    assert certificate.enrolment_id == enrolment.id and certificate.source == "completion"
    completed = enrolment.completed_at.date()
    assert certificate.completed_on == completed
    assert certificate.expires_on == add_months(completed, 36)
    # Issuing again (a second signal, a sync) changes nothing.
    assert issuing.issue_for_completion(enrolment) == []
    assert len(_certificates(db)) == 1
    # The certificate keeps what it said: a rename and an edited accreditation do not reach it.
    learner.display_name = "Someone Else"
    update_accreditation(None, accreditation, AccreditationFields(curriculum_code="JA-999", credit_hours=Decimal("1")))
    db.session.expire_all()
    (certificate,) = _certificates(db)
    assert (certificate.holder_name, certificate.curriculum_code) == ("Đorđe Čolić", "JA-101")


def test_a_course_accredited_by_two_academies_gets_two_certificates_with_their_own_serials(
    db, make_course, accredit, academy, other_academy, learner
):
    course = make_course()
    accredit(course, academy, code="PA-1")
    accredit(course, other_academy, code="JA-1")
    complete_course(learner, course)

    serials = sorted(c.serial for c in _certificates(db))
    year = utcnow().year
    assert serials == [f"JUDI-{year}-000001", f"POLI-{year}-000001"]


def test_a_switched_off_accreditation_issues_nothing(db, make_course, accredit, other_academy, learner):
    course = make_course()
    accredit(course, other_academy, active=False)
    complete_course(learner, course)
    assert _certificates(db) == []


def test_serials_count_on_per_academy_and_year(db, make_course, accredit, academy, other_academy, make_user):
    course = make_course()
    accredit(course, other_academy)
    for _n in range(3):
        complete_course(make_user(roles={academy: ["learner"]}), course)
    numbers = [c.number for c in _certificates(db)]
    assert numbers == [1, 2, 3]
    counter = db.session.get(SerialCounter, (other_academy.id, utcnow().year))
    assert counter.last_number == 3


# --- registrars ---------------------------------------------------------------------------------------------


@pytest.fixture
def setting(db, make_course, accredit, academy, other_academy, make_user):
    course = make_course()
    accreditation = accredit(course, academy, code="PA-7", months=None)
    registrar = make_user("reg", roles={academy: ["registrar"]})
    stranger = make_user("reg2", roles={other_academy: ["registrar"]})
    people = [make_user(f"p{i}", display_name=name, roles={academy: ["learner"]}) for i, name in enumerate(NAMES)]
    return SimpleNamespace(
        course=course, accreditation=accreditation, registrar=registrar, stranger=stranger, people=people
    )


def test_a_registrar_issues_for_in_person_training_once_per_date(db, setting):
    person = setting.people[1]
    certificate = issuing.issue_certificate(setting.registrar, setting.accreditation, person, date(2026, 3, 14))

    assert certificate.holder_name == "Ђорђе Чолић" and certificate.completed_on == date(2026, 3, 14)
    assert certificate.issued_by_id == setting.registrar.id and certificate.expires_on is None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificates.issued"))
    assert event.details["serial"] == certificate.serial and event.actor_id == setting.registrar.id
    with pytest.raises(DomainError, match=certificate.serial):
        issuing.issue_certificate(setting.registrar, setting.accreditation, person, date(2026, 3, 14))
    with pytest.raises(DomainError) as future:
        issuing.issue_certificate(setting.registrar, setting.accreditation, person, utcnow().date() + timedelta(days=1))
    assert future.value.field == "completed_on"
    with pytest.raises(NotFoundError):
        issuing.issue_certificate(setting.stranger, setting.accreditation, person)
    person.status = UserStatus.DEACTIVATED
    with pytest.raises(DomainError):
        issuing.issue_certificate(setting.registrar, setting.accreditation, person, date(2026, 3, 15))
    assert len(_certificates(db)) == 1


def _csv(rows: list[str], header: str = "email,completed_on") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_a_list_of_attendees_is_issued_all_or_nothing(db, setting):
    emails = [p.email for p in setting.people]
    bad = _csv([f"{emails[0]},2026-03-14", "nobody@example.org,", f"{emails[1]},14.03.2026", f"{emails[0]},"])

    report = issuing.issue_to_attendees(setting.registrar, setting.accreditation, bad, date(2026, 3, 14))

    assert [(e["row"], e["field"]) for e in report.errors] == [(3, "email"), (4, "completed_on"), (5, "email")]
    assert report.issued == [] and _certificates(db) == []

    good = _csv([f"{emails[0]},2026-03-14", f"{emails[1]},", f"{emails[2]},2026-03-01", f"{emails[3]},"])
    report = issuing.issue_to_attendees(setting.registrar, setting.accreditation, good, date(2026, 3, 14))

    assert report.errors == []
    assert [c.holder_name for c in report.issued] == NAMES
    assert [c.number for c in report.issued] == [1, 2, 3, 4]
    assert report.issued[2].completed_on == date(2026, 3, 1)
    # The same list again: every row already holds its certificate, nothing more is issued.
    again = issuing.issue_to_attendees(setting.registrar, setting.accreditation, good, date(2026, 3, 14))
    assert len(again.errors) == 4 and len(_certificates(db)) == 4


def test_attendees_outside_the_registrars_academies_are_not_found(db, setting, make_user, other_academy):
    outsider = make_user("outsider", roles={other_academy: ["learner"]})
    report = issuing.issue_to_attendees(setting.registrar, setting.accreditation, _csv([outsider.email + ","]))
    assert report.errors and "outsider" in report.errors[0]["message"]


# --- minimum quiz grade -------------------------------------------------------------------------------------


def _quiz_with_attempt(db, course, user, percent: str):
    from quizzes.models import Attempt, AttemptState, Quiz

    quiz = Quiz(course_id=course.id, slug="final", title="Final", pass_mark=Decimal("70"))
    db.session.add(quiz)
    db.session.flush()
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user.id,
        number=1,
        seed=1,
        state=AttemptState.FINISHED,
        finished_at=utcnow(),
        percent=Decimal(percent),
        max_marks=Decimal("10"),
        marks=Decimal(percent) / 10,
        passed=Decimal(percent) >= 70,
    )
    db.session.add(attempt)
    db.session.commit()
    return quiz, attempt


def test_a_minimum_quiz_grade_holds_the_certificate_back_until_it_is_met(
    db, app, make_course, accredit, other_academy, learner
):
    from certificates.plugin import on_attempt_graded

    course = make_course()
    accredit(course, other_academy, min_quiz_percent=Decimal("80"))
    quiz, attempt = _quiz_with_attempt(db, course, learner, "75")
    complete_course(learner, course)
    assert _certificates(db) == []  # completed, but the quiz grade is below the academy's minimum

    attempt.percent = Decimal("85")  # a regrade, or a better attempt
    db.session.commit()
    on_attempt_graded(app, attempt=attempt)
    assert len(_certificates(db)) == 1


# --- recertification ----------------------------------------------------------------------------------------


def test_a_refresher_course_renews_the_holders_certificate(
    db, make_course, accredit, other_academy, learner, make_user
):
    base_course, refresher_course = make_course(title="Base"), make_course(title="Refresher")
    base = accredit(base_course, other_academy, code="JA-1", months=24)
    accredit(refresher_course, other_academy, code="JA-1R", hours="4", months=24, renews_id=base.id)
    complete_course(learner, base_course)
    (old,) = _certificates(db)

    complete_course(learner, refresher_course)

    renewal = _certificates(db, renews_id=old.id)
    assert len(renewal) == 1 and renewal[0].source == "renewal" and renewal[0].credit_hours == Decimal("4")
    # Renewed before it lapsed: the new validity runs on from the old one's end.
    assert renewal[0].expires_on.year == old.expires_on.year + 2
    # Without a certificate to renew, the refresher alone certifies nothing.
    newcomer = make_user(roles={other_academy: ["learner"]})
    complete_course(newcomer, refresher_course)
    assert _certificates(db, user_id=newcomer.id) == []


def test_a_renewal_quiz_renews_within_the_window_once(db, app, make_course, accredit, other_academy, learner):
    course = make_course()
    accreditation = accredit(course, other_academy, months=12, renewal_quiz_id=4242, renewal_credit_hours=Decimal("2"))
    complete_course(learner, course)
    (old,) = _certificates(db)
    attempt = SimpleNamespace(passed=True, finished_at=datetime.now(UTC), quiz_id=4242, user=learner)

    assert issuing.renew_by_quiz(attempt) == []  # a year ahead: not yet in the renewal window

    old.expires_on = utcnow().date() + timedelta(days=30)
    db.session.commit()
    (renewal,) = issuing.renew_by_quiz(attempt)
    assert renewal.renews_id == old.id and renewal.credit_hours == Decimal("2")
    assert renewal.accreditation_id == accreditation.id
    assert issuing.renew_by_quiz(attempt) == []  # renewed once
    attempt.passed = False
    assert issuing.renew_by_quiz(attempt) == []


@pytest.mark.parametrize(
    ("language", "title", "english"),
    [
        ("sq", "Reagimi ndërinstitucional", "Multi-agency response"),
        ("sr_Cyrl", "Мултисекторски одговор", "Multi-agency response"),
        ("sr_Latn", "Multisektorski odgovor", "Multi-agency response"),
        ("mk", "Multi-agency response", None),  # no Macedonian translation: the course's own language
    ],
)
def test_the_certificate_is_in_the_language_its_holder_reads(
    db, make_course, accredit, academy, make_user, language, title, english
):
    """Issued in the holder's language when the course has it (Serbian in their script), English beside it."""
    course = make_course(title="Multi-agency response")
    course.translations = {"sq": {"title": "Reagimi ndërinstitucional"}, "sr_Latn": {"title": "Multisektorski odgovor"}}
    db.session.commit()
    accredit(course, academy)
    complete_course(make_user(language=language), course)
    (certificate,) = _certificates(db)
    expected = "en" if english is None else language
    assert (certificate.language, certificate.course_title, certificate.course_title_en) == (expected, title, english)
