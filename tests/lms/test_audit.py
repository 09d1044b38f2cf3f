"""The audit log records security-relevant actions; administrators read it all, registrars their academy's."""

from __future__ import annotations

from lms import audit
from lms.audit.services import visible_events
from tests.conftest import login, post_form


def test_events_carry_who_what_when_where_and_which(client, users, db):
    login(client, users["learner"])
    event = db.session.scalars(db.select(audit.AuditEvent).where(audit.AuditEvent.action == "auth.login")).one()
    assert event.actor_id == users["learner"].id and event.actor_label == users["learner"].email
    assert event.ip == "127.0.0.1" and event.at is not None and event.at.tzinfo is not None
    assert (event.object_type, event.object_id) == ("User", str(users["learner"].id))


def test_registrar_reads_only_their_academy(users, make_user, other_academy, academy, db):
    stranger = make_user("stranger", roles={other_academy: ["learner"]})
    audit.record("account.profile_changed", actor=stranger, obj=stranger)
    audit.record("course.published", actor=users["admin"], academy_id=other_academy.id)
    audit.record("course.published", actor=users["admin"], academy_id=academy.id)
    audit.record("account.profile_changed", actor=users["learner"], obj=users["learner"])
    db.session.commit()
    seen, total = visible_events(users["registrar"], {})
    actors = {e.actor_label for e in seen}
    assert stranger.email not in actors
    assert {e.academy_id for e in seen if e.action == "course.published"} == {academy.id}
    assert any(e.actor_id == users["learner"].id for e in seen)
    everything, _ = visible_events(users["admin"], {})
    assert any(e.actor_id == stranger.id for e in everything)


def test_filters(users, db):
    audit.record("auth.login_failed", actor=users["learner"], details={"login": "x"})
    audit.record("account.password_changed", actor=users["learner"], obj=users["learner"])
    db.session.commit()
    events, _ = visible_events(users["admin"], {"action": "auth."})
    assert events and all(e.action.startswith("auth.") for e in events)
    events, _ = visible_events(users["admin"], {"actor": users["learner"].email})
    assert {e.actor_id for e in events} == {users["learner"].id}
    events, _ = visible_events(users["admin"], {"since": "2999-01-01"})
    assert events == []


def test_audit_page_and_access(app, client, users):
    login(client, users["registrar"])
    page = client.get("/audit/?action=auth.")
    assert page.status_code == 200 and "auth.login" in page.get_data(as_text=True)
    learner = app.test_client()
    login(learner, users["learner"])
    assert learner.get("/audit/").status_code == 403


def test_role_changes_and_deactivations_are_audited(client, users, academy, db):
    login(client, users["admin"])
    learner = users["learner"]
    post_form(
        client,
        f"/users/{learner.id}/roles",
        {"role": "trainer", "academy": academy.id},
        page=f"/users/{learner.id}",
    )
    post_form(client, f"/users/{learner.id}/status", {"status": "deactivated"}, page=f"/users/{learner.id}")
    actions = db.session.scalars(
        db.select(audit.AuditEvent.action).where(audit.AuditEvent.object_id == str(learner.id))
    ).all()
    assert {"account.role_granted", "account.deactivated"} <= set(actions)
