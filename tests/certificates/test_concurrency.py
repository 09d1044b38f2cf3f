"""Real commits from several threads at once: one certificate per completion, serials unique and gap-free."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from certificates.accreditations import AccreditationFields, create_accreditation
from certificates.issuing import issue_certificate, issue_for_completion
from certificates.models import Accreditation, Certificate
from courses import authoring, progress
from courses import enrolment as enrolments
from courses.models import Enrolment
from lms.extensions import db
from lms.models import Academy, User


def _world(app, learners: int = 1):
    with app.app_context():
        owner = Academy(slug="police", name="Police Academy", country="RS")
        judicial = Academy(slug="judicial-academy", name="Judicial Academy", country="RS")
        users = [
            User(username=f"u{i}", email=f"u{i}@example.org", display_name=f"Učesnik {i}") for i in range(learners)
        ]
        db.session.add_all([owner, judicial, *users])
        db.session.commit()
        course = authoring.create_course(None, owner, authoring.CourseFields(title="C", slug="c", self_enrolment=True))
        module = authoring.add_module(None, course, "M")
        for title in ("L1", "L2"):
            authoring.add_lesson(None, module, authoring.LessonFields(title=title))
        authoring.publish(None, course)
        fields = AccreditationFields(curriculum_code="JA-1", credit_hours=Decimal("8"), validity_months=12)
        accreditation = create_accreditation(None, judicial, course, fields)
        return course.id, accreditation.id, [u.id for u in users]


def _run(threads_target, count: int) -> list[str]:
    errors: list[str] = []
    barrier = threading.Barrier(count)

    def work(i: int) -> None:
        try:
            threads_target(i, barrier)
        except Exception as exc:  # collected: a thread's exception would not fail the test by itself
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_completion_issues_exactly_one_certificate(committed_app):
    app = committed_app
    course_id, _accreditation_id, (user_id,) = _world(app)
    with app.app_context():
        user, course = db.session.get(User, user_id), db.session.get(authoring.Course, course_id)
        enrolment = enrolments.self_enrol(user, course)
        outline = progress.build_outline(enrolment)
        first, last = (s.lesson.lesson_id for s in outline.lessons)
        progress.complete_lesson(outline, first)
        enrolment_id = enrolment.id

    def finish(i: int, barrier: threading.Barrier) -> None:
        with app.app_context():
            enrolment = db.session.get(Enrolment, enrolment_id)
            outline = progress.build_outline(enrolment)
            db.session.commit()  # no transaction held at the barrier (SQLite takes the write lock at BEGIN)
            barrier.wait(timeout=30)
            if i % 2:
                progress.complete_lesson(outline, last)
            else:  # the other half races the issue itself, as a second signal or a sync would
                progress.complete_lesson(outline, last)
                issue_for_completion(db.session.get(Enrolment, enrolment_id))

    assert _run(finish, 4) == []
    with app.app_context():
        certificates = db.session.scalars(select(Certificate)).all()
        assert len(certificates) == 1
        assert certificates[0].serial.endswith("-000001") and certificates[0].enrolment_id == enrolment_id


def test_concurrent_issues_number_serials_without_gaps_or_repeats(committed_app):
    app = committed_app
    threads, each = 6, 5
    _course_id, accreditation_id, user_ids = _world(app, learners=threads * each)

    def issue(i: int, barrier: threading.Barrier) -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            for user_id in user_ids[i * each : (i + 1) * each]:
                accreditation = db.session.get(Accreditation, accreditation_id)
                issue_certificate(None, accreditation, db.session.get(User, user_id), date(2026, 3, 14))

    assert _run(issue, threads) == []
    with app.app_context():
        rows = db.session.scalars(select(Certificate).order_by(Certificate.number)).all()
        assert [c.number for c in rows] == list(range(1, threads * each + 1))
        assert len({c.serial for c in rows}) == len({c.code for c in rows}) == threads * each
        assert sorted(c.user_id for c in rows) == sorted(user_ids)
