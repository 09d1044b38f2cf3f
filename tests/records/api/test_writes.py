"""Creating users and enrolments and recording completions through the API, with their audit trail."""

from __future__ import annotations

from sqlalchemy import select

from certificates.models import Certificate
from courses.models import Enrolment
from lms.models import AuditEvent, User, UserStatus
from tests.records.api.conftest import assert_error, bearer


def _events(db, action):
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_create_a_user_in_the_academy(client, db, world, write_token, outbox):
    mine = world["mine"]
    response = client.post(
        "/api/v1/users",
        json={
            "email": "Ana.Kovac@Example.org",
            "display_name": "Ана Ковач",
            "profession": "teacher",
            "country": "RS",
            "role": "trainer",
        },
        headers=bearer(write_token),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["email"] == "ana.kovac@example.org" and body["display_name"] == "Ана Ковач"
    assert body["status"] == "invited" and set(body["roles"]) == {"trainer", "learner"}
    user = db.session.get(User, body["id"])
    assert user.status == UserStatus.INVITED and mine.academy.id in user.academy_ids()
    assert any("ana.kovac@example.org" in str(m.get("to", m)) for m in outbox)
    event = _events(db, "api.user_created")[0]
    assert event.actor_id == mine.registrar.id and event.details["token"] == "Enrolment system"
    assert event.academy_id == mine.academy.id and event.object_id == str(user.id)
    # The same address again: refused, naming the field.
    again = client.post(
        "/api/v1/users", json={"email": "ana.kovac@example.org", "display_name": "Ana"}, headers=bearer(write_token)
    )
    assert_error(again, 422, "email")


def test_user_validation_names_the_field(client, world, write_token):
    cases = [
        ({"display_name": "No Mail"}, "email"),
        ({"email": "not-an-address", "display_name": "X"}, "email"),
        ({"email": "x@example.org", "display_name": ""}, "display_name"),
        ({"email": "x@example.org", "display_name": "Bad\x00Name"}, "display_name"),
        ({"email": "x@example.org", "display_name": "X", "role": "registrar"}, "role"),
        ({"email": "x@example.org", "display_name": "X", "is_admin": True}, "is_admin"),
        ({"email": "x@example.org", "display_name": "X", "language": "xx"}, "language"),
    ]
    for body, field in cases:
        assert_error(client.post("/api/v1/users", json=body, headers=bearer(write_token)), 422, field)
    assert_error(client.post("/api/v1/users", data="nope", headers=bearer(write_token)), 400)
    assert_error(client.post("/api/v1/users", json=[1, 2], headers=bearer(write_token)), 400)


def test_enrol_a_member(client, db, world, write_token, make_user, make_course):
    mine = world["mine"]
    newcomer = make_user("newcomer", roles={mine.academy: ["learner"]})
    response = client.post(
        "/api/v1/enrolments", json={"user": newcomer.id, "course": mine.course.id}, headers=bearer(write_token)
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    enrolment = db.session.get(Enrolment, body["id"])
    assert enrolment.source == "api" and enrolment.user_id == newcomer.id and body["percent"] == 0
    event = _events(db, "api.enrolment_created")[0]
    assert event.actor_id == mine.registrar.id and event.details["token"] == "Enrolment system"
    # Again: the existing enrolment, 200, nothing new.
    again = client.post(
        "/api/v1/enrolments", json={"user": newcomer.id, "course": mine.course.id}, headers=bearer(write_token)
    )
    assert again.status_code == 200 and again.get_json()["id"] == body["id"]
    assert len(_events(db, "api.enrolment_created")) == 1


def test_enrol_refuses_non_members_and_courses_not_owned(client, db, world, write_token, accredit_other):
    mine, theirs = world["mine"], world["theirs"]
    accredit_other(theirs.course, mine.academy)
    # Visible (accredited) but not owned: 422 naming the course.
    response = client.post(
        "/api/v1/enrolments", json={"user": mine.learner.id, "course": theirs.course.id}, headers=bearer(write_token)
    )
    assert_error(response, 422, "course")
    # Visible (enrolled in my course) but a member of another academy: 422 naming the user.
    guest = theirs.learner
    db.session.add(Enrolment(user_id=guest.id, course_id=mine.course.id, version_id=mine.course.current_version_id))
    db.session.commit()
    response = client.post(
        "/api/v1/completions", json={"user": guest.id, "course": mine.course.id}, headers=bearer(write_token)
    )
    assert_error(response, 422, "user")


def test_record_an_in_person_completion(client, db, world, write_token, make_course):
    mine = world["mine"]
    response = client.post(
        "/api/v1/completions",
        json={"user": mine.learner.id, "course": mine.course.id, "completed_on": "2026-03-02"},
        headers=bearer(write_token),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    certificate = db.session.get(Certificate, body["id"])
    assert certificate.accreditation_id == mine.accreditation.id and certificate.academy_id == mine.academy.id
    assert certificate.issued_by_id == mine.registrar.id and str(certificate.completed_on) == "2026-03-02"
    assert body["status"] == "valid" and body["verify_url"].startswith("http://lms.test/verify/")
    event = _events(db, "api.completion_recorded")[0]
    assert event.details["serial"] == certificate.serial and event.details["token"] == "Enrolment system"
    # The same completion twice: refused, naming the user.
    again = client.post(
        "/api/v1/completions",
        json={"user": mine.learner.id, "course": mine.course.id, "completed_on": "2026-03-02"},
        headers=bearer(write_token),
    )
    assert_error(again, 422, "user")
    # A course the academy does not accredit: 422 naming the course.
    plain = make_course()
    response = client.post(
        "/api/v1/completions", json={"user": mine.learner.id, "course": plain.id}, headers=bearer(write_token)
    )
    assert_error(response, 422, "course")
    future = client.post(
        "/api/v1/completions",
        json={"user": mine.learner.id, "course": mine.course.id, "completed_on": "2999-01-01"},
        headers=bearer(write_token),
    )
    assert_error(future, 422, "completed_on")
