"""Personal data: a user's data download, anonymising a departed learner, the retention purge (issue 7, part 4)."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from certificates.accreditations import AccreditationFields, create_accreditation
from certificates.codes import format_code
from certificates.models import Certificate
from lms import audit, signals, tokens, twofactor
from lms.accounts.services import set_status
from lms.auth.services import request_password_reset
from lms.exceptions import DomainError
from lms.models import AuditEvent, OneTimeToken, RecoveryCode, User, UserStatus
from lms.models.base import utcnow
from lms.privacy.services import (
    CORE_PARTS,
    anonymise_user,
    personal_data_chunks,
    purge,
    retention_policies,
)
from lms.registry import registry
from quizzes import attempts, authoring, bank
from quizzes.models import Accommodation, Attempt
from tests.certificates.conftest import complete_course
from tests.conftest import PASSWORD, csrf_token, login, post_form
from tests.quizzes.conftest import gift_questions
from tests.quizzes.test_attempts import right_form

HOLDER = "Đorđe Čolić"


@pytest.fixture
def learning(db, make_course, make_user, academy, users):
    """A learner (with two-factor sign-in) who completed an accredited course (so holds a certificate), finished a
    quiz with an essay, has an accommodation and a failed sign-in in the log; another learner with their own."""
    course = make_course(title="Multi-agency response", slug="mar", modules=1, lessons=2)
    create_accreditation(
        None, academy, course, AccreditationFields(curriculum_code="PA-101", credit_hours=Decimal("8"))
    )
    bank.import_questions(None, course, gift_questions())
    quiz = authoring.create_quiz(None, course, authoring.QuizFields(title="Check", slug="check"))
    by_name = {q.name: q for q in bank.bank_questions(course)}
    for name in ("tf", "essay"):
        authoring.add_question_slot(None, quiz, by_name[name], Decimal("1"))

    def learner(username: str, name: str):
        user = make_user(username, display_name=name, roles={academy: ["learner"]}, totp=True)
        complete_course(user, course)
        attempt = attempts.start_attempt(user, quiz)
        seq = attempts.save_responses(attempt, 0, right_form(attempt), [i.position for i in attempt.items])
        attempts.submit_attempt(attempt, seq, {}, [])
        return user

    me = learner("marija", HOLDER)
    codes = twofactor.new_recovery_codes(me)
    other = learner("petar", "Petar Petrović")
    authoring.set_accommodation(users["registrar"], me, 25, 1, note="Dyslexia: needs extra time")
    tokens.issue_token(me, "password-reset", timedelta(hours=2))
    audit.record("auth.login_failed", details={"login": "MARIJA@example.org", "reason": "password"})
    db.session.commit()
    return {"me": me, "other": other, "codes": codes, "course": course, "quiz": quiz}


def download(client, user):
    login(client, user)
    return post_form(client, "/account/data", page="/account")


# The download ------------------------------------------------------------------------------------------


def test_the_download_holds_every_part_and_nothing_of_another_user(app, client, db, learning):
    me, other = learning["me"], learning["other"]
    secret = me.totp_secret
    response = download(client, me)

    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="personal-data-marija-')
    text = response.get_data(as_text=True)
    data = json.loads(text)
    assert set(CORE_PARTS) | set(registry("personal_data", app)) <= set(data)
    assert {"courses", "quizzes", "certificates"} <= set(data)
    assert data["profile"]["email"] == "marija@example.org" and data["profile"]["display_name"] == HOLDER
    assert data["two_factor"] == {"enabled": True, "recovery_codes_left": 10}
    assert data["memberships"] == [
        {
            "academy": "police",
            "academy_name": "Police Academy",
            "role": "learner",
            "since": data["memberships"][0]["since"],
        }
    ]
    (enrolment,) = data["courses"]["enrolments"]
    assert enrolment["course"] == "mar" and enrolment["status"] == "completed" and len(enrolment["lessons"]) == 2
    assert all(lesson["completed_at"] for lesson in enrolment["lessons"])
    (attempt,) = data["quizzes"]["attempts"]
    assert attempt["quiz"] == "Check" and attempt["state"] == "finished"
    essay = next(q for q in attempt["questions"] if q["type"] == "essay")
    assert "We call the social welfare centre." in json.dumps(essay["response"])
    assert data["quizzes"]["accommodation"]["note"] == "Dyslexia: needs extra time"
    (certificate,) = data["certificates"]
    assert certificate["holder_name"] == HOLDER and certificate["status"] == "valid"
    assert certificate["verify_url"].startswith("http://lms.test/verify/")
    actions = [e["action"] for e in data["audit_events"]]
    assert "quizzes.accommodation_set" in actions and "auth.login" in actions
    by_registrar = next(e for e in data["audit_events"] if e["action"] == "quizzes.accommodation_set")
    assert by_registrar["by"] == "staff" and "ip" not in by_registrar
    # Nothing of another user: not the other learner, not the registrar who set the accommodation.
    for foreign in ("petar", "Petar Petrović", "registrar1", other.totp_secret):
        assert foreign not in text
    # Never secrets nor hashes.
    hashes = db.session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == me.id)).all()
    for hidden in (secret, me.password_hash, *hashes, *learning["codes"], "password_hash", "totp_secret"):
        assert hidden not in text
    exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.data_exported")).one()
    assert exported.actor_id == me.id and "certificates" in exported.details["parts"]


def test_the_download_is_a_post_with_csrf_for_a_signed_in_user(client, users):
    anonymous = client.post("/account/data", data={"csrf_token": csrf_token(client)})
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/auth/login")
    login(client, users["learner"])
    assert client.get("/account/data").status_code == 405
    assert client.post("/account/data").status_code == 400
    page = client.get("/account").get_data(as_text=True)
    assert "Download my data" in page and 'action="/account/data"' in page
    assert post_form(client, "/account/data", page="/account").status_code == 200


def _count_queries(db, user_id: int) -> int:
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    connection = db.session.connection()
    event.listen(connection, "before_cursor_execute", count)
    try:
        "".join(personal_data_chunks(user_id))
    finally:
        event.remove(connection, "before_cursor_execute", count)
    return len(statements)


def test_the_download_queries_do_not_grow_with_the_data(db, make_course, make_user, academy):
    few, many = (make_user(n, roles={academy: ["learner"]}) for n in ("few", "many"))
    for n in range(4):
        course = make_course(modules=1, lessons=2)
        create_accreditation(
            None, academy, course, AccreditationFields(curriculum_code=f"C-{n}", credit_hours=Decimal("2"))
        )
        bank.import_questions(None, course, gift_questions())
        quiz = authoring.create_quiz(None, course, authoring.QuizFields(title="Check", slug="check"))
        tf = next(q for q in bank.bank_questions(course) if q.name == "tf")
        authoring.add_question_slot(None, quiz, tf, Decimal("1"))
        for user in (few, many) if n == 0 else (many,):
            complete_course(user, course)
            attempt = attempts.start_attempt(user, quiz)
            attempts.submit_attempt(attempt, 0, right_form(attempt), [1])
    for _n in range(30):
        audit.record("auth.login", actor=many, obj=many)
    db.session.commit()
    assert db.session.scalar(select(func.count(Certificate.id)).where(Certificate.user_id == many.id)) == 4
    counts = (_count_queries(db, few.id), _count_queries(db, many.id))
    assert counts[0] == counts[1]


# Anonymising -------------------------------------------------------------------------------------------


def test_anonymising_erases_the_identity_and_keeps_attempts_and_certificates(app, client, db, learning, users):
    me = learning["me"]
    request_password_reset("marija@example.org")
    certificate = db.session.scalars(select(Certificate).where(Certificate.user_id == me.id)).one()
    signed_in = app.test_client()
    login(signed_in, me)
    received = []

    def receiver(sender, user, actor, **_extra):
        received.append((user.id, actor.id))

    version = me.session_version
    with signals.user_anonymised.connected_to(receiver):
        anonymise_user(users["admin"], me)

    db.session.expire_all()
    me = db.session.get(User, me.id)
    assert me.display_name == f"Anonymised user {me.id}" and me.username == f"anonymised-{me.id}"
    assert me.email == f"anonymised-{me.id}@anonymised.invalid"
    assert (me.profession, me.country, me.language) == ("other", "other", None)
    assert me.password_hash is None and me.totp_secret is None and not me.totp_enabled
    assert me.status == UserStatus.DEACTIVATED and me.anonymised_at is not None
    assert me.session_version > version and received == [(me.id, users["admin"].id)]
    assert not db.session.scalar(select(func.count(RecoveryCode.id)).where(RecoveryCode.user_id == me.id))
    assert not db.session.scalar(select(func.count(OneTimeToken.id)).where(OneTimeToken.user_id == me.id))
    assert db.session.scalar(select(Accommodation).where(Accommodation.user_id == me.id)) is None
    # Attempts stay, linked to the anonymous row, with the essay answer.
    attempt = db.session.scalars(select(Attempt).where(Attempt.user_id == me.id)).one()
    assert any("social welfare" in json.dumps(item.response) for item in attempt.items)
    # The other learner is untouched.
    assert db.session.get(User, learning["other"].id).display_name == "Petar Petrović"
    # Cannot sign in any more, and the session that was open has ended.
    assert signed_in.get("/account").status_code == 302
    # The certificate keeps the holder's name as issued and stays verifiable.
    db.session.refresh(certificate)
    assert certificate.holder_name == HOLDER and certificate.user_id == me.id
    page = client.get(f"/verify/{format_code(certificate.code)}").get_data(as_text=True)
    assert "This certificate is valid." in page and HOLDER in page
    # No audit event carries the e-mail, sign-in name or name any more; the anonymisation itself is logged.
    for e in db.session.scalars(select(AuditEvent)):
        blob = json.dumps([e.actor_label, e.details], ensure_ascii=False).lower()
        assert "marija" not in blob and HOLDER.lower() not in blob, (e.action, blob)
    done = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.anonymised")).one()
    assert done.actor_id == users["admin"].id and done.object_id == str(me.id)
    assert done.details["audit_events_scrubbed"] >= 3
    # It stays deactivated, and neither the old sign-in name nor the new one signs in.
    with pytest.raises(DomainError):
        set_status(users["admin"], me, UserStatus.ACTIVE)
    for name in ("marija", me.username, me.email):
        response = login(app.test_client(), me, password=PASSWORD, login=name)
        assert response.status_code == 200 and "Location" not in response.headers


def test_who_may_be_anonymised(db, users, academy):
    admin = users["admin"]
    with pytest.raises(DomainError, match="your own"):
        anonymise_user(admin, admin)
    with pytest.raises(DomainError, match="trainer"):
        anonymise_user(admin, users["trainer"])
    with pytest.raises(DomainError, match="registrar"):
        anonymise_user(admin, users["registrar"])
    anonymise_user(admin, users["learner"])
    with pytest.raises(DomainError, match="already"):
        anonymise_user(admin, users["learner"])


def test_the_anonymise_page_asks_for_the_e_mail_address(client, db, users):
    learner = users["learner"]
    url = f"/users/{learner.id}/anonymise"
    login(client, users["admin"])
    detail = client.get(f"/users/{learner.id}").get_data(as_text=True)
    assert url in detail
    page = client.get(url).get_data(as_text=True)
    assert "cannot be undone" in page and learner.email in page

    wrong = post_form(client, url, {"email": "someone@example.org"})
    assert wrong.status_code == 200 and "This is not the e-mail address of the account." in wrong.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, learner.id).anonymised_at is None
    assert client.post(url, data={"email": learner.email}).status_code == 400  # no CSRF token: refused
    assert db.session.get(User, learner.id).anonymised_at is None

    response = post_form(client, url, {"email": " LEARNER1@example.org "})
    assert response.status_code == 302 and response.headers["Location"] == f"/users/{learner.id}"
    db.session.expire_all()
    assert db.session.get(User, learner.id).anonymised_at is not None
    detail = client.get(f"/users/{learner.id}").get_data(as_text=True)
    assert "Anonymised" in detail and url not in detail and "Reactivate" not in detail


def test_the_anonymise_page_refuses_staff_and_is_for_administrators_only(client, users):
    login(client, users["admin"])
    page = client.get(f"/users/{users['trainer'].id}/anonymise").get_data(as_text=True)
    assert "Remove them first" in page and 'name="email"' not in page
    assert client.get("/users/999999/anonymise").status_code == 404
    for role in ("registrar", "learner"):
        other = client.application.test_client()
        login(other, users[role])
        assert other.get(f"/users/{users['learner'].id}/anonymise").status_code == 403


# Retention ---------------------------------------------------------------------------------------------


@pytest.fixture
def aged_events(db, users):
    now = utcnow()
    for days in (1, 100, 729, 731, 1000):
        audit.record("tests.aged", actor=users["learner"], details={"days": days}).at = now - timedelta(days=days)
    db.session.commit()
    return now


def _aged(db) -> list[int]:
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "tests.aged")).all()
    return sorted(e.details["days"] for e in events)


def test_purge_deletes_only_what_is_older_than_the_cutoff(db, aged_events):
    results = purge(now=aged_events)
    audit_result = next(r for r in results if r.policy.key == "audit")
    assert audit_result.policy.setting == "LMS_AUDIT_RETENTION_DAYS" and audit_result.policy.days == 730
    assert audit_result.count >= 2 and audit_result.cutoff == aged_events - timedelta(days=730)
    assert _aged(db) == [1, 100, 729]
    last = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.purged")).one()
    assert last.details["counts"]["audit"] == audit_result.count


def test_a_dry_run_deletes_nothing(db, aged_events):
    results = purge(now=aged_events, dry_run=True)
    assert next(r for r in results if r.policy.key == "audit").count >= 2
    assert _aged(db) == [1, 100, 729, 731, 1000]
    assert not db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "privacy.purged"))


def test_retention_zero_keeps_a_log_forever(app, db, aged_events):
    app.config["LMS_AUDIT_RETENTION_DAYS"] = 0
    try:
        policy = next(p for p in retention_policies() if p.key == "audit")
        assert policy.days is None
        assert next(r for r in purge(now=aged_events) if r.policy.key == "audit").count is None
    finally:
        app.config["LMS_AUDIT_RETENTION_DAYS"] = 730
    assert _aged(db) == [1, 100, 729, 731, 1000]


def test_the_purge_command(runner, db, aged_events):
    dry = runner.invoke(args=["lms", "privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "(730 days) would be deleted" in dry.output and "Dry run: nothing was deleted." in dry.output
    assert _aged(db) == [1, 100, 729, 731, 1000]

    result = runner.invoke(args=["lms", "privacy", "purge", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["key"]: row for row in json.loads(result.output)["purged"]}
    assert rows["audit"]["days"] == 730 and rows["audit"]["count"] >= 2
    db.session.expire_all()
    assert _aged(db) == [1, 100, 729]
    again = runner.invoke(args=["lms", "privacy", "purge"])
    assert again.exit_code == 0 and "audit: 0 row(s) older than" in again.output


def test_the_retention_page_shows_the_settings_and_the_last_purge(client, db, users, aged_events):
    purge(now=aged_events)
    login(client, users["admin"])
    page = client.get("/privacy/retention").get_data(as_text=True)
    assert "LMS_AUDIT_RETENTION_DAYS" in page and "730 days" in page and "Last purge:" in page
    other = client.application.test_client()
    login(other, users["registrar"])
    assert other.get("/privacy/retention").status_code == 403


def test_a_plugin_purger_names_its_setting_and_a_dry_run_survives_its_commit(make_app, db, aged_events):
    from lms.extensions import db as _db
    from lms.plugins import Plugin

    def purge_test_events(cutoff):
        deleted = _db.session.execute(
            AuditEvent.__table__.delete().where(AuditEvent.action == "tests.aged", AuditEvent.at < cutoff)
        ).rowcount
        _db.session.commit()  # a careless purger: the dry run must still write nothing
        return deleted

    purge_test_events.retention_setting = "TESTS_RETENTION_DAYS"

    class TestLogPlugin(Plugin):
        name = "testlog"
        default_config = {"TESTS_RETENTION_DAYS": 50}

        def init_app(self, app):
            registry("data_retention", app).register("test_log", purge_test_events)

    other = make_app(plugins=[TestLogPlugin])
    with other.app_context():
        results = {r.policy.key: r for r in purge(now=aged_events, dry_run=True)}
        # The audit purger ran first (731 and 1000 days); this one takes what is left beyond 50 days.
        assert results["test_log"].policy.setting == "TESTS_RETENTION_DAYS" and results["test_log"].count == 2
        assert _aged(db) == [1, 100, 729, 731, 1000]
        results = {r.policy.key: r for r in purge(now=aged_events)}
        assert results["test_log"].count == 2 and _aged(db) == [1]
