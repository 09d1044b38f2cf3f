"""Trainers author their academy's courses through the pages; others' courses are invisible (404)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from courses.models import Course, CourseStatus
from tests.conftest import login, post_form


def test_trainer_authors_publishes_and_a_learner_completes(app, client, users, academy, db):
    login(client, users["trainer"])
    response = post_form(
        client,
        "/teach/new",
        {
            "academy": academy.id,
            "title": "Rano prepoznavanje",
            "slug": "rano-prepoznavanje",
            "summary": "Kratki kurs.",
            "language": "bs",
            "professions": ["teacher", "police_officer"],
            "topics": "early identification, referral",
            "estimated_hours": "2.5",
            "self_enrolment": "y",
        },
    )
    assert response.status_code == 302
    course = db.session.scalar(select(Course).where(Course.slug == "rano-prepoznavanje"))
    assert course.topics == ["early-identification", "referral"] and course.status == CourseStatus.DRAFT
    outline_url = f"/teach/{course.id}/outline"
    post_form(client, outline_url, {"title": "Znakovi upozorenja", "summary": ""})
    db.session.refresh(course)
    module = course.modules[0]
    response = post_form(
        client,
        f"/teach/{course.id}/modules/{module.id}/lessons/new",
        {
            "title": "Šta dijete kaže",
            "body_markdown": "## Slušajte\n\nDijete <script>alert(1)</script> govori.",
            "required": "y",
            "completion_mode": "mark",
            "content_notice": "",
            "video_url": "",
        },
    )
    assert response.status_code == 302
    db.session.refresh(module)
    lesson = module.lessons[0]
    preview = client.get(f"/teach/{course.id}/lessons/{lesson.id}/preview").get_data(as_text=True)
    assert "<h2>Slušajte</h2>" in preview and "<script>alert" not in preview
    post_form(client, f"/teach/{course.id}/publish", page=outline_url)
    db.session.refresh(course)
    assert course.status == CourseStatus.PUBLISHED and course.current_version.number == 1
    learner = app.test_client()
    login(learner, users["learner"])
    post_form(learner, "/courses/rano-prepoznavanje/enrol", page="/courses/rano-prepoznavanje")
    page = learner.get(f"/learn/rano-prepoznavanje/lessons/{lesson.id}").get_data(as_text=True)
    assert "Šta dijete kaže" in page and "alert(1)" not in page
    post_form(
        learner,
        f"/learn/rano-prepoznavanje/lessons/{lesson.id}/complete",
        page=f"/learn/rano-prepoznavanje/lessons/{lesson.id}",
    )
    report = client.get(f"/teach/{course.id}/report").get_data(as_text=True)
    assert users["learner"].display_name in report and "100" in report


def test_reorder_and_delete(client, users, make_course, db):
    course = make_course(modules=2, lessons=2, publish=False)
    login(client, users["trainer"])
    first, second = course.modules
    post_form(client, f"/teach/{course.id}/items/module/{second.id}/up", page=f"/teach/{course.id}/outline")
    db.session.expire_all()
    assert [m.id for m in course.modules] == [second.id, first.id]
    lesson = first.lessons[0]
    post_form(client, f"/teach/{course.id}/items/lesson/{lesson.id}/delete", page=f"/teach/{course.id}/outline")
    db.session.expire_all()
    assert len(first.lessons) == 1


def test_trainer_cannot_see_another_academys_course(client, users, make_course, other_academy):
    foreign = make_course(academy_=other_academy, publish=False)
    lesson = foreign.modules[0].lessons[0]
    login(client, users["trainer"])
    for url in (
        f"/teach/{foreign.id}",
        f"/teach/{foreign.id}/outline",
        f"/teach/{foreign.id}/lessons/{lesson.id}",
        f"/teach/{foreign.id}/lessons/{lesson.id}/preview",
        f"/teach/{foreign.id}/enrolments",
        f"/teach/{foreign.id}/report",
        f"/courses/{foreign.slug}",
    ):
        assert client.get(url).status_code == 404, url
    response = post_form(client, f"/teach/{foreign.id}/publish", page="/teach/")
    assert response.status_code == 404
    assert foreign.title not in client.get("/teach/").get_data(as_text=True)


def test_trainer_cannot_create_a_course_for_another_academy(client, users, other_academy):
    login(client, users["trainer"])
    response = post_form(
        client,
        "/teach/new",
        {"academy": other_academy.id, "title": "X", "slug": "x", "language": "en", "estimated_hours": "1"},
    )
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)


def test_learners_and_registrars_cannot_author(app, users, make_course):
    course = make_course(publish=False)
    for role in ("learner", "registrar"):
        client = app.test_client()
        login(client, users[role])
        assert client.get("/teach/").status_code == 403
        assert client.get(f"/teach/{course.id}/outline").status_code == 403


def test_registrar_enrols_and_reads_the_report_with_identical_csv(client, users, make_course, make_user, academy, db):
    course = make_course()
    learner = make_user("=cmd", roles={academy: ["learner"]}, display_name='=HYPERLINK("x")', country="AL")
    login(client, users["registrar"])
    page = f"/teach/{course.id}/enrolments"
    response = post_form(
        client, page, {"users-people": f"{learner.email}\n{users['learner'].username}"}, field="users-csrf_token"
    )
    assert response.status_code == 302
    screen = client.get(f"/teach/{course.id}/report?country=AL").get_data(as_text=True)
    assert "HYPERLINK" in screen and users["learner"].display_name not in screen
    body = client.get(f"/teach/{course.id}/report.csv?country=AL").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][0] == "Name" and len(rows) == 2
    assert rows[1][0] == '\'=HYPERLINK("x")'  # escaped against formula injection
    assert rows[1][3] == "Albania" and rows[1][4] == "in progress"


def test_enrolment_page_reports_unknown_people(client, users, make_course):
    course = make_course()
    login(client, users["registrar"])
    response = post_form(
        client, f"/teach/{course.id}/enrolments", {"users-people": "ghost@example.org"}, field="users-csrf_token"
    )
    assert response.status_code == 200 and "ghost@example.org" in response.get_data(as_text=True)


def test_a_trainer_enrols_members_of_the_courses_academy_only(client, users, make_course, make_user, other_academy, db):
    course = make_course()
    outsider = make_user("outsider", roles={other_academy: ["learner"]})
    login(client, users["trainer"])
    page = f"/teach/{course.id}/enrolments"
    refused = post_form(client, page, {"users-people": outsider.email}, field="users-csrf_token")
    assert "Not found in your academies" in refused.get_data(as_text=True)
    response = post_form(client, page, {"users-people": users["learner"].email}, field="users-csrf_token")
    assert response.status_code == 302
    assert "1 enrolled" in client.get(page).get_data(as_text=True)
