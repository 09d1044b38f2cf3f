"""A learner's path: catalog, enrolment, sequencing, resume, content notices, restricted lessons, completion."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from courses import authoring, progress
from courses import enrolment as enrolments
from courses.models import Enrolment, EnrolmentStatus, LessonProgress
from lms import signals
from lms.exceptions import DomainError
from tests.conftest import login, post_form


def _lesson_ids(course):
    return [lesson.id for module in course.modules for lesson in module.lessons]


def test_catalog_filters_by_profession_language_and_title(client, make_course, db):
    make_course(title="Digitalna forenzika", professions=["police_officer"], language="sr_Latn", topics=["forensics"])
    make_course(title="Early identification", professions=["teacher"], language="en")
    make_course(title="Unpublished", publish=False)
    page = client.get("/").get_data(as_text=True)
    assert "Digitalna forenzika" in page and "Early identification" in page and "Unpublished" not in page
    page = client.get("/catalog?profession=teacher").get_data(as_text=True)
    assert "Early identification" in page and "Digitalna forenzika" not in page
    page = client.get("/catalog?language=sr_Latn&q=forenz").get_data(as_text=True)
    assert "Digitalna forenzika" in page and "Early identification" not in page
    page = client.get("/catalog?topic=forensics").get_data(as_text=True)
    assert "Digitalna forenzika" in page and "Early identification" not in page


def test_restricted_course_shows_only_to_its_professions(app, client, make_course, users, make_user, academy):
    make_course(title="Restricted for judges", professions=["judge"], restricted=True, slug="judges-only")
    assert "Restricted for judges" not in client.get("/").get_data(as_text=True)
    assert client.get("/courses/judges-only").status_code == 404
    judge = make_user("judge1", roles={academy: ["learner"]}, profession="judge")
    login(client, judge)
    assert client.get("/courses/judges-only").status_code == 200
    police = app.test_client()
    login(police, users["learner"])
    assert police.get("/courses/judges-only").status_code == 404


def test_self_enrolment_then_learning_then_completion_once(client, users, make_course, db):
    course = make_course(modules=2, lessons=2, sequential=True)
    sent = []

    def receiver(sender, **kw):
        sent.append(kw["enrolment"].id)

    signals.course_completed.connect(receiver)
    try:
        login(client, users["learner"])
        response = post_form(client, f"/courses/{course.slug}/enrol", page=f"/courses/{course.slug}")
        assert response.headers["Location"] == f"/learn/{course.slug}"
        first, second, third, fourth = _lesson_ids(course)
        assert client.get(f"/learn/{course.slug}").headers["Location"].endswith(f"/lessons/{first}")
        # Module 2 is locked until module 1 is complete.
        assert client.get(f"/learn/{course.slug}/lessons/{third}").status_code == 302
        for lesson_id in (first, second, third, fourth):
            page = client.get(f"/learn/{course.slug}/lessons/{lesson_id}")
            assert page.status_code == 200, lesson_id
            post_form(
                client,
                f"/learn/{course.slug}/lessons/{lesson_id}/complete",
                page=f"/learn/{course.slug}/lessons/{lesson_id}",
            )
        enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == users["learner"].id))
        db.session.refresh(enrolment)
        assert enrolment.status == EnrolmentStatus.COMPLETED and enrolment.completed_at is not None
        # Completing again (or reopening) sends nothing more.
        post_form(
            client, f"/learn/{course.slug}/lessons/{fourth}/complete", page=f"/learn/{course.slug}/lessons/{fourth}"
        )
        assert sent == [enrolment.id]
    finally:
        signals.course_completed.disconnect(receiver)


def test_resume_returns_to_the_last_lesson(client, users, make_course, db):
    course = make_course(modules=1, lessons=3)
    enrolments.self_enrol(users["learner"], course)
    login(client, users["learner"])
    ids = _lesson_ids(course)
    client.get(f"/learn/{course.slug}/lessons/{ids[1]}")
    assert client.get(f"/learn/{course.slug}").headers["Location"].endswith(f"/lessons/{ids[1]}")


def test_learner_cannot_open_a_course_they_are_not_enrolled_in(client, users, make_course):
    course = make_course()
    login(client, users["learner"])
    assert client.get(f"/learn/{course.slug}").status_code == 404
    assert client.get(f"/learn/{course.slug}/lessons/{_lesson_ids(course)[0]}").status_code == 404


def test_course_prerequisite_blocks_enrolment_and_lessons(client, users, make_course, db):
    basic = make_course(title="Basics", slug="basics")
    advanced = make_course(title="Advanced", slug="advanced", prerequisite_ids=[basic.id])
    with pytest.raises(DomainError, match="Basics"):
        enrolments.self_enrol(users["learner"], advanced)
    # Enrolled by a registrar anyway: the lessons stay closed until the prerequisite is completed.
    enrolments.enrol_users(users["registrar"], advanced, [users["learner"]])
    login(client, users["learner"])
    response = client.get(f"/learn/{advanced.slug}/lessons/{_lesson_ids(advanced)[0]}")
    assert response.status_code == 302 and response.headers["Location"] == "/courses/advanced"


def test_content_notice_is_acknowledged_once(client, users, make_course, db):
    course = make_course(modules=1, lessons=1, publish=False)
    lesson = course.modules[0].lessons[0]
    authoring.update_lesson(
        None,
        lesson,
        authoring.LessonFields(
            title=lesson.title, body_markdown="Lesson body text", content_notice="This lesson discusses abuse cases."
        ),
    )
    authoring.publish(None, course)
    enrolments.self_enrol(users["learner"], course)
    login(client, users["learner"])
    url = f"/learn/{course.slug}/lessons/{lesson.id}"
    page = client.get(url).get_data(as_text=True)
    assert "This lesson discusses abuse cases." in page and "Lesson body text" not in page
    post_form(client, f"{url}/acknowledge", page=url)
    assert "Lesson body text" in client.get(url).get_data(as_text=True)
    assert "Lesson body text" in client.get(url).get_data(as_text=True)  # not asked again


def test_restricted_lesson_is_hidden_from_other_professions(client, app, users, make_course, make_user, academy, db):
    course = make_course(modules=1, lessons=2, publish=False, professions=["prosecutor"])
    hidden = course.modules[0].lessons[1]
    authoring.update_lesson(
        None,
        hidden,
        authoring.LessonFields(title="Case file handling", restricted=True, body_markdown="Restricted body"),
    )
    authoring.publish(None, course)
    enrolments.self_enrol(users["learner"], course)  # a police officer
    login(client, users["learner"])
    assert "Case file handling" not in client.get(f"/courses/{course.slug}").get_data(as_text=True)
    assert client.get(f"/learn/{course.slug}/lessons/{hidden.id}").status_code == 404
    # The hidden lesson does not block the police officer's completion.
    first = course.modules[0].lessons[0]
    post_form(
        client, f"/learn/{course.slug}/lessons/{first.id}/complete", page=f"/learn/{course.slug}/lessons/{first.id}"
    )
    enrolment = enrolments.enrolment_of(users["learner"], course)
    db.session.refresh(enrolment)
    assert enrolment.completed_at is not None
    prosecutor = make_user("pros1", roles={academy: ["learner"]}, profession="prosecutor")
    enrolments.self_enrol(prosecutor, course)
    other = app.test_client()
    login(other, prosecutor)
    assert "Restricted body" in other.get(f"/learn/{course.slug}/lessons/{hidden.id}").get_data(as_text=True)


def test_edits_do_not_change_published_or_completed_records(users, make_course, db):
    course = make_course(modules=1, lessons=1)
    enrolment = enrolments.self_enrol(users["learner"], course)
    outline = progress.build_outline(enrolment)
    lesson_id = outline.lessons[0].lesson.lesson_id
    progress.complete_lesson(outline, lesson_id)
    db.session.refresh(enrolment)
    assert enrolment.completed_at is not None
    # A trainer adds a required lesson and publishes version 2: the completed record stays as it was.
    authoring.add_lesson(None, course.modules[0], authoring.LessonFields(title="New lesson"))
    authoring.publish(None, course)
    db.session.refresh(enrolment)
    assert enrolment.version.number == 1 and enrolment.status == EnrolmentStatus.COMPLETED
    old_titles = [s.lesson.title for s in progress.build_outline(enrolment).lessons]
    assert old_titles == ["Lesson 1.1"]


def test_learners_in_progress_move_to_a_new_version_keeping_progress(users, make_course, make_user, academy, db):
    course = make_course(modules=1, lessons=2)
    learner = users["learner"]
    enrolment = enrolments.self_enrol(learner, course)
    outline = progress.build_outline(enrolment)
    progress.complete_lesson(outline, outline.lessons[0].lesson.lesson_id)
    authoring.update_lesson(None, course.modules[0].lessons[1], authoring.LessonFields(title="Renamed lesson"))
    authoring.publish(None, course)
    assert enrolments.migrate_learners(users["trainer"], course) == 1
    db.session.refresh(enrolment)
    outline = progress.build_outline(enrolment)
    assert enrolment.version.number == 2
    assert [s.completed for s in outline.lessons] == [True, False]
    assert outline.lessons[1].lesson.title == "Renamed lesson"


def test_unenrolment_keeps_history_and_reenrolment_restores_it(users, make_course, db):
    course = make_course(modules=1, lessons=2)
    enrolment = enrolments.enrol_users(users["registrar"], course, [users["learner"]]).enrolled[0]
    outline = progress.build_outline(enrolment)
    progress.complete_lesson(outline, outline.lessons[0].lesson.lesson_id)
    enrolments.unenrol(users["registrar"], enrolment)
    assert enrolments.enrolment_of(users["learner"], course) is None
    assert db.session.scalar(select(LessonProgress).where(LessonProgress.enrolment_id == enrolment.id))
    again = enrolments.enrol_users(users["registrar"], course, [users["learner"]]).enrolled[0]
    assert again.id == enrolment.id
    assert progress.build_outline(again).lessons[0].completed


def test_enrolment_window(users, make_course):
    from datetime import timedelta

    from lms.models.base import utcnow

    course = make_course(enrolment_opens_at=utcnow() + timedelta(days=1))
    with pytest.raises(DomainError, match="closed"):
        enrolments.self_enrol(users["learner"], course)


def test_enrolment_by_csv_all_or_nothing(users, make_course, make_user, academy, other_academy, db):
    course = make_course()
    a = make_user("ana", roles={academy: ["learner"]})
    outsider = make_user("out", roles={other_academy: ["learner"]})
    bad = f"email\n{a.email}\nnobody@example.org\n{outsider.email}\n{a.email}\n"
    report = enrolments.import_enrolments_csv(users["registrar"], course, bad)
    assert [(e["row"], e["field"]) for e in report.errors] == [(3, "email"), (4, "email"), (5, "email")]
    assert enrolments.enrolment_of(a, course) is None
    report = enrolments.import_enrolments_csv(users["registrar"], course, f"username\n{a.username}\n")
    assert not report.errors and enrolments.enrolment_of(a, course) is not None


def test_enrol_a_cohort(users, make_course, make_user, academy, db):
    from lms.models import Cohort, CohortMember

    course = make_course()
    members = [make_user(f"c{i}", roles={academy: ["learner"]}) for i in range(3)]
    cohort = Cohort(academy_id=academy.id, name="Intake 2026")
    cohort.members = [CohortMember(user_id=u.id) for u in members]
    db.session.add(cohort)
    db.session.commit()
    report = enrolments.enrol_cohort(users["registrar"], course, cohort)
    assert len(report.enrolled) == 3
    assert {e.source for e in report.enrolled} == {"cohort"}


def _count_queries(db, func) -> int:
    count = [0]

    def before(*args, **kwargs):
        count[0] += 1

    engine = db.engines[None]
    target = engine.engine if hasattr(engine, "engine") else engine
    event.listen(target, "before_cursor_execute", before)
    try:
        func()
    finally:
        event.remove(target, "before_cursor_execute", before)
    return count[0]


def test_course_and_lesson_pages_use_a_constant_number_of_queries(client, users, make_course, db):
    small = make_course(modules=1, lessons=5, slug="small")
    large = make_course(modules=5, lessons=10, slug="large")
    login(client, users["learner"])
    counts = {}
    for course in (small, large):
        enrolments.self_enrol(users["learner"], course)
        lesson_id = _lesson_ids(course)[0]
        client.get(f"/courses/{course.slug}")
        client.get(f"/learn/{course.slug}/lessons/{lesson_id}")  # warm up (first view writes progress)
        counts[course.slug] = (
            _count_queries(db, lambda c=course: client.get(f"/courses/{c.slug}")),
            _count_queries(db, lambda c=course, lid=lesson_id: client.get(f"/learn/{c.slug}/lessons/{lid}")),
        )
    assert counts["small"] == counts["large"], counts
    assert counts["large"][1] <= 25, counts  # and few in absolute terms


def test_summaries_of_more_enrolments_than_one_query_takes_count_them_all(
    make_course, make_user, academy, monkeypatch, db
):
    # PostgreSQL refuses a statement of more than 65,535 parameters, so the counts are read in slices.
    course = make_course(modules=1, lessons=2)
    first, second = _lesson_ids(course)
    enrolled = []
    for i in range(5):
        learner = make_user(f"slice{i}", roles={academy: ["learner"]})
        enrolment = enrolments.self_enrol(learner, course)
        outline = progress.build_outline(enrolment)
        for lesson_id in (first, second)[: i % 3]:
            progress.complete_lesson(outline, lesson_id)
        enrolled.append(enrolment)
    whole = [(s.enrolment.id, s.completed, s.required) for s in progress.summaries(enrolled)]
    monkeypatch.setattr(progress, "SUMMARY_SLICE", 2)
    statements = []
    engine = db.engine

    def listener(_conn, _cursor, statement, *_rest):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", listener)
    try:
        sliced = [(s.enrolment.id, s.completed, s.required) for s in progress.summaries(enrolled)]
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 1 + 3  # the required counts, then the completions of 2 + 2 + 1 enrolments
    assert sliced == whole
    assert [completed for _id, completed, _required in sliced] == [0, 1, 2, 0, 1]
    assert {required for _id, _completed, required in sliced} == {2}
