"""Two requests completing the last lesson at the same moment: the course is completed once, the signal sent once."""

from __future__ import annotations

import threading

from sqlalchemy import select

from courses import authoring, progress
from courses import enrolment as enrolments
from courses.models import Enrolment
from lms import signals
from lms.extensions import db
from lms.models import Academy, User


def test_course_completed_is_sent_exactly_once_under_concurrency(committed_app):
    app = committed_app
    with app.app_context():
        academy = Academy(slug="a", name="A", country="RS")
        user = User(username="u", email="u@example.org", display_name="U")
        db.session.add_all([academy, user])
        db.session.commit()
        course = authoring.create_course(
            None, academy, authoring.CourseFields(title="C", slug="c", self_enrolment=True)
        )
        module = authoring.add_module(None, course, "M")
        for title in ("L1", "L2"):
            authoring.add_lesson(None, module, authoring.LessonFields(title=title))
        authoring.publish(None, course)
        enrolment = enrolments.self_enrol(user, course)
        outline = progress.build_outline(enrolment)
        first, last = (s.lesson.lesson_id for s in outline.lessons)
        progress.complete_lesson(outline, first)
        enrolment_id = enrolment.id

    sent, errors, barrier = [], [], threading.Barrier(4)
    lock = threading.Lock()

    def receiver(sender, **kw):
        with lock:
            sent.append(kw["enrolment"].id)

    def finish() -> None:
        with app.app_context():
            enrolment = db.session.get(Enrolment, enrolment_id)
            outline = progress.build_outline(enrolment)
            # End the read transaction before waiting: on SQLite every transaction takes the write lock at
            # BEGIN, so a thread holding one at the barrier would keep the others from reaching it.
            db.session.commit()
            try:
                barrier.wait(timeout=30)
                progress.complete_lesson(outline, last)
            except Exception as exc:  # collected: a thread's exception would not fail the test by itself
                errors.append(repr(exc))

    signals.course_completed.connect(receiver)
    try:
        threads = [threading.Thread(target=finish) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        signals.course_completed.disconnect(receiver)
    assert errors == []
    assert sent == [enrolment_id]
    with app.app_context():
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.id == enrolment_id))
        assert enrolment.completed_at is not None
