"""Cursor pagination (a walk without duplicates or gaps, bad cursors) and filters."""

from __future__ import annotations

from datetime import timedelta

from lms.models.base import utcnow
from tests.records.api.conftest import assert_error, bearer


def _walk(client, url: str, token: str, limit: int) -> tuple[list[int], int]:
    ids, pages, cursor = [], 0, None
    while True:
        sep = "&" if "?" in url else "?"
        page_url = f"{url}{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(page_url, headers=bearer(token)).get_json()
        assert len(body["data"]) <= limit
        ids += [item["id"] for item in body["data"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return ids, pages


def test_a_walk_through_the_pages_sees_every_user_once(client, world, read_token, make_user):
    academy = world["mine"].academy
    for n in range(11):
        make_user(f"walker{n}", roles={academy: ["learner"]})
    everyone = client.get("/api/v1/users?limit=1000", headers=bearer(read_token)).get_json()
    assert everyone["next_cursor"] is None
    ids, pages = _walk(client, "/api/v1/users", read_token, 4)
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    assert ids == [u["id"] for u in everyone["data"]] and len(ids) >= 14
    assert pages == -(-len(ids) // 4)


def test_the_page_size_defaults_and_is_capped(client, app, world, read_token, make_user):
    academy = world["mine"].academy
    for n in range(5):
        make_user(f"many{n}", roles={academy: ["learner"]})
    old = app.config["RECORDS_API_PAGE_SIZE"], app.config["RECORDS_API_MAX_PAGE_SIZE"]
    app.config["RECORDS_API_PAGE_SIZE"], app.config["RECORDS_API_MAX_PAGE_SIZE"] = 2, 3
    try:
        assert len(client.get("/api/v1/users", headers=bearer(read_token)).get_json()["data"]) == 2
        assert len(client.get("/api/v1/users?limit=500", headers=bearer(read_token)).get_json()["data"]) == 3
    finally:
        app.config["RECORDS_API_PAGE_SIZE"], app.config["RECORDS_API_MAX_PAGE_SIZE"] = old


def test_bad_cursors_and_limits(client, world, read_token, make_user):
    for n in range(3):
        make_user(f"c{n}", roles={world["mine"].academy: ["learner"]})
    assert_error(client.get("/api/v1/users?cursor=garbage", headers=bearer(read_token)), 400, "cursor")
    cursor = client.get("/api/v1/users?limit=1", headers=bearer(read_token)).get_json()["next_cursor"]
    assert cursor
    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    assert_error(client.get(f"/api/v1/users?cursor={tampered}", headers=bearer(read_token)), 400, "cursor")
    # A cursor of one list is not accepted by another.
    assert_error(client.get(f"/api/v1/courses?cursor={cursor}", headers=bearer(read_token)), 400, "cursor")
    assert_error(client.get("/api/v1/users?limit=0", headers=bearer(read_token)), 422, "limit")
    assert_error(client.get("/api/v1/users?limit=many", headers=bearer(read_token)), 422, "limit")


def _ids(client, url, token):
    response = client.get(url, headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["data"]]


def test_user_filters(client, world, read_token, make_user):
    academy = world["mine"].academy
    judge = make_user("judge1", roles={academy: ["learner"]}, profession="judge", country="ME")
    learner = world["mine"].learner
    assert _ids(client, "/api/v1/users?profession=judge", read_token) == [judge.id]
    assert _ids(client, "/api/v1/users?country=ME", read_token) == [judge.id]
    assert _ids(client, f"/api/v1/users?email={learner.email.upper()}", read_token) == [learner.id]
    assert world["mine"].registrar.id in _ids(client, "/api/v1/users?role=registrar", read_token)
    assert learner.id not in _ids(client, "/api/v1/users?role=registrar", read_token)
    assert _ids(client, "/api/v1/users?status=deactivated", read_token) == []
    future = (utcnow() + timedelta(days=1)).isoformat()
    assert _ids(client, f"/api/v1/users?created_since={future.replace('+', '%2B')}", read_token) == []
    assert_error(client.get("/api/v1/users?profession=astronaut", headers=bearer(read_token)), 422, "profession")
    assert_error(client.get("/api/v1/users?created_since=yesterday", headers=bearer(read_token)), 422, "created_since")


def test_course_enrolment_attempt_and_certificate_filters(client, world, read_token, make_course, accredit_other):
    mine, theirs = world["mine"], world["theirs"]
    # My academy also accredits the other academy's course: it is listed, as not owned.
    accredit_other(theirs.course, mine.academy)
    courses = client.get("/api/v1/courses", headers=bearer(read_token)).get_json()["data"]
    by_id = {c["id"]: c for c in courses}
    assert by_id[mine.course.id]["owned"] and not by_id[theirs.course.id]["owned"]
    assert by_id[theirs.course.id]["accreditation"]["curriculum_code"] == "OTHER-1"
    assert _ids(client, "/api/v1/courses?owned=false", read_token) == [theirs.course.id]
    assert mine.course.id in _ids(client, "/api/v1/courses?owned=true", read_token)
    draft = make_course(publish=False, professions=["judge"])
    assert draft.id in _ids(client, "/api/v1/courses?status=draft", read_token)
    assert _ids(client, "/api/v1/courses?profession=judge", read_token) == [draft.id]
    # Enrolments of the other academy's course stay invisible even though the course is.
    assert _ids(client, f"/api/v1/enrolments?course={theirs.course.id}", read_token) == []
    assert _ids(client, f"/api/v1/enrolments?user={mine.learner.id}", read_token) == [mine.enrolment.id]
    assert _ids(client, "/api/v1/enrolments?status=completed", read_token) == []
    assert _ids(client, "/api/v1/enrolments?profession=police_officer&country=RS", read_token) == [mine.enrolment.id]
    since = (utcnow() - timedelta(hours=1)).isoformat().replace("+", "%2B")
    assert _ids(client, f"/api/v1/enrolments?updated_since={since}", read_token) == [mine.enrolment.id]
    enrolment = client.get("/api/v1/enrolments", headers=bearer(read_token)).get_json()["data"][0]
    assert (enrolment["completed_lessons"], enrolment["required_lessons"], enrolment["percent"]) == (1, 2, 50)
    assert _ids(client, f"/api/v1/attempts?course={mine.course.id}", read_token) == [mine.attempt.id]
    assert _ids(client, "/api/v1/attempts?state=in_progress", read_token) == []
    assert _ids(client, f"/api/v1/attempts?user={theirs.learner.id}", read_token) == []
    assert _ids(client, "/api/v1/certificates?status=valid", read_token) == [mine.certificate.id]
    assert _ids(client, "/api/v1/certificates?status=revoked", read_token) == []
    assert _ids(client, f"/api/v1/certificates?user={mine.learner.id}", read_token) == [mine.certificate.id]


def test_progress_and_attempt_results(client, world, read_token):
    mine = world["mine"]
    progress = client.get(f"/api/v1/enrolments/{mine.enrolment.id}/progress", headers=bearer(read_token)).get_json()
    assert progress["completed_lessons"] == 1 and progress["required_lessons"] == 2
    assert [bool(lesson["completed_at"]) for lesson in progress["lessons"]] == [True, False]
    attempt = client.get(f"/api/v1/attempts/{mine.attempt.id}", headers=bearer(read_token)).get_json()
    assert attempt["state"] == "finished" and attempt["course"] == mine.course.id
    # Results only: nothing about the questions or the answers.
    assert not {"items", "questions", "responses", "answers", "seed"} & set(attempt)
    text = str(attempt)
    assert "Lanzarote" not in text and "Barnahus" not in text
