"""Every endpoint x (no token, bad token, revoked token, read token on a write, another academy's id, own)."""

from __future__ import annotations

import pytest

from courses.models import Enrolment
from records.api import services
from tests.conftest import login
from tests.records.api.conftest import assert_error, bearer

# (method, URL template, which side's object the id names) — {id} filled from the world.
READS = [
    ("/api/v1/users", None),
    ("/api/v1/users/{id}", "learner"),
    ("/api/v1/courses", None),
    ("/api/v1/courses/{id}", "course"),
    ("/api/v1/enrolments", None),
    ("/api/v1/enrolments/{id}", "enrolment"),
    ("/api/v1/enrolments/{id}/progress", "enrolment"),
    ("/api/v1/attempts", None),
    ("/api/v1/attempts/{id}", "attempt"),
    ("/api/v1/certificates", None),
    ("/api/v1/certificates/{id}", "certificate"),
]
WRITES = ["/api/v1/users", "/api/v1/enrolments", "/api/v1/completions"]


def _url(template: str, side, kind: str | None) -> str:
    return template.replace("{id}", str(getattr(side, kind).id)) if kind else template


def test_every_api_route_is_covered_here(app):
    documented = {
        r.rule.replace("<int:", "{").replace(">", "}")
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("api.") and r.endpoint != "api.openapi_document"
    }
    tested = {t.replace("{id}", "{x}") for t, _ in READS} | set(WRITES)
    assert {__import__("re").sub(r"\{\w+\}", "{x}", d) for d in documented} == tested


@pytest.mark.parametrize(("template", "kind"), READS)
def test_read_endpoints(client, world, read_token, make_token, template, kind):
    mine, theirs = world["mine"], world["theirs"]
    url = _url(template, mine, kind)
    assert_error(client.get(url), 401)
    assert_error(client.get(url, headers=bearer("lms_not-a-real-token")), 401)
    assert_error(client.get(url, headers={"Authorization": f"Basic {read_token}"}), 401)
    own = client.get(url, headers=bearer(read_token))
    assert own.status_code == 200, own.get_data(as_text=True)
    assert own.headers["Cache-Control"] == "no-store"
    body = own.get_json()
    if kind is None:
        ids = [item["id"] for item in body["data"]]
        foreign = {getattr(theirs, k).id for k in ("learner", "course", "enrolment", "attempt", "certificate")}
        assert ids, "the own academy's records are listed"
        # None of the other academy's objects appear (ids of different kinds may coincide, so compare per kind).
        kind_of = {
            "users": "learner",
            "courses": "course",
            "enrolments": "enrolment",
            "attempts": "attempt",
            "certificates": "certificate",
        }[template.rsplit("/", 1)[1]]
        assert getattr(theirs, kind_of).id not in ids and getattr(mine, kind_of).id in ids
        assert foreign  # the other side has records of every kind
    else:
        foreign_url = _url(template, theirs, kind)
        assert_error(client.get(foreign_url, headers=bearer(read_token)), 404, _field(template))
        unknown = template.replace("{id}", "999999")
        assert_error(client.get(unknown, headers=bearer(read_token)), 404, _field(template))
        # Foreign and unknown are indistinguishable.
        assert (
            client.get(foreign_url, headers=bearer(read_token)).get_json()
            == client.get(unknown, headers=bearer(read_token)).get_json()
        )
    # A revoked token is refused.
    token, raw = make_token(mine.academy, mine.registrar, name="Old system")
    assert client.get(url, headers=bearer(raw)).status_code == 200
    services.revoke_token(mine.registrar, token)
    assert_error(client.get(url, headers=bearer(raw)), 401)


def _field(template: str) -> str:
    return {
        "users": "user",
        "courses": "course",
        "enrolments": "enrolment",
        "attempts": "attempt",
        "certificates": "certificate",
    }[template.split("/")[3]]


def _bodies(world):
    mine, theirs = world["mine"], world["theirs"]
    return {
        "/api/v1/users": (
            {"email": "new.person@example.org", "display_name": "Đorđe Čolić"},
            None,
        ),
        "/api/v1/enrolments": (
            {"user": mine.learner.id, "course": mine.course.id},
            {"user": theirs.learner.id, "course": mine.course.id},
        ),
        "/api/v1/completions": (
            {"user": mine.learner.id, "course": mine.course.id, "completed_on": "2026-02-01"},
            {"user": mine.learner.id, "course": theirs.course.id, "completed_on": "2026-02-01"},
        ),
    }


@pytest.mark.parametrize("url", WRITES)
def test_write_endpoints(client, world, read_token, write_token, make_token, url):
    own, foreign = _bodies(world)[url]
    assert_error(client.post(url, json=own), 401)
    assert_error(client.post(url, json=own, headers=bearer("lms_nope")), 401)
    assert_error(client.post(url, json=own, headers=bearer(read_token)), 403)
    if foreign is not None:
        field = "user" if url.endswith("enrolments") else "course"
        assert_error(client.post(url, json=foreign, headers=bearer(write_token)), 404, field)
    created = client.post(url, json=own, headers=bearer(write_token))
    assert created.status_code in (200, 201), created.get_data(as_text=True)
    token, raw = make_token(world["mine"].academy, world["mine"].registrar, "write", name="Gone")
    services.revoke_token(world["mine"].registrar, token)
    assert_error(client.post(url, json=own, headers=bearer(raw)), 401)


def test_a_foreign_user_in_a_write_body_is_not_found(client, world, write_token):
    theirs = world["theirs"]
    response = client.post(
        "/api/v1/completions",
        json={"user": theirs.learner.id, "course": world["mine"].course.id},
        headers=bearer(write_token),
    )
    assert_error(response, 404, "user")


def test_a_session_cookie_does_not_authenticate(client, world):
    login(client, world["mine"].registrar)
    assert client.get("/dashboard").status_code == 200
    assert_error(client.get("/api/v1/users"), 401)
    assert_error(client.post("/api/v1/users", json={"email": "x@example.org", "display_name": "X"}), 401)


def test_a_token_stops_when_its_maker_no_longer_manages_the_academy(client, db, world, read_token):
    registrar = world["mine"].registrar
    assert client.get("/api/v1/users", headers=bearer(read_token)).status_code == 200
    for membership in list(registrar.memberships):
        db.session.delete(membership)
    db.session.commit()
    assert_error(client.get("/api/v1/users", headers=bearer(read_token)), 401)


def test_the_users_an_academy_sees(client, db, world, read_token, make_user, make_course):
    mine, theirs = world["mine"], world["theirs"]
    # A member of the other academy enrolled in one of my courses becomes visible; other members do not.
    guest = make_user("guest", roles={theirs.academy: ["learner"]})
    db.session.add(Enrolment(user_id=guest.id, course_id=mine.course.id, version_id=mine.course.current_version_id))
    db.session.commit()
    ids = {u["id"] for u in client.get("/api/v1/users?limit=100", headers=bearer(read_token)).get_json()["data"]}
    assert guest.id in ids and mine.learner.id in ids and mine.registrar.id in ids
    assert theirs.learner.id not in ids and theirs.registrar.id not in ids
