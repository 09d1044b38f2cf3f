"""Profiles, user management by registrars (their academy only) and administrators, CSV import."""

from __future__ import annotations

from sqlalchemy import select

from lms.accounts import services
from lms.models import AuditEvent, User, UserStatus
from tests.conftest import login, post_form


def test_profile_keeps_the_name_exactly_as_written(client, users, db):
    login(client, users["learner"])
    for name in ("Đorđe Čolić", "Ђорђе Чолић", "Xhulja Çela", "Ëndrit Hoxha", "Марија Јовановска"):
        response = post_form(
            client,
            "/account",
            {"display_name": name, "profession": "judge", "country": "MK", "language": "mk"},
        )
        assert response.status_code == 302
        db.session.refresh(users["learner"])
        assert users["learner"].display_name == name
        assert name in client.get("/account").get_data(as_text=True)


def test_profile_rejects_unknown_choices_with_a_message(client, users):
    login(client, users["learner"])
    response = post_form(
        client, "/account", {"display_name": "X", "profession": "astronaut", "country": "RS", "language": ""}
    )
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)


def test_registrar_sees_only_users_of_their_academy(client, users, make_user, other_academy):
    stranger = make_user("stranger", roles={other_academy: ["learner"]}, display_name="Stranger Person")
    login(client, users["registrar"])
    listing = client.get("/users").get_data(as_text=True)
    assert "User" in listing and "Stranger Person" not in listing
    assert client.get(f"/users/{stranger.id}").status_code == 404
    assert client.get(f"/users/{users['learner'].id}").status_code == 200
    response = post_form(
        client,
        f"/users/{stranger.id}/status",
        {"status": "deactivated"},
        page=f"/users/{users['learner'].id}",
    )
    assert response.status_code == 404


def test_registrar_cannot_touch_an_administrator(client, users, academy, make_user):
    admin_in_academy = make_user("admin2", admin=True, roles={academy: ["learner"]})
    login(client, users["registrar"])
    assert client.get(f"/users/{admin_in_academy.id}").status_code == 404


def test_registrar_grants_roles_only_in_their_academy(client, users, other_academy, academy, db):
    learner = users["learner"]
    login(client, users["registrar"])
    page = f"/users/{learner.id}"
    post_form(client, f"/users/{learner.id}/roles", {"role": "trainer", "academy": academy.id}, page=page)
    db.session.refresh(learner)
    assert learner.roles_in(academy.id) == {"learner", "trainer"}
    response = post_form(
        client, f"/users/{learner.id}/roles", {"role": "trainer", "academy": other_academy.id}, page=page
    )
    assert response.status_code == 400  # not one of the registrar's academies
    post_form(client, f"/users/{learner.id}/roles", {"role": "administrator", "academy": academy.id}, page=page)
    db.session.refresh(learner)
    assert not learner.is_admin
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(learner.id))).all()
    assert "account.role_granted" in events


def test_revoking_a_role_ends_the_users_sessions(app, users, academy, db):
    trainer = users["trainer"]
    trainer_client = app.test_client()
    login(trainer_client, trainer)
    admin = app.test_client()
    login(admin, users["admin"])
    post_form(
        admin,
        f"/users/{trainer.id}/roles/revoke",
        {"role": "trainer", "academy": academy.id},
        page=f"/users/{trainer.id}",
    )
    db.session.refresh(trainer)
    assert trainer.roles_in(academy.id) == {"learner"}
    assert trainer_client.get("/dashboard").status_code == 302


def test_approving_a_pending_registration(client, users, make_user, academy, db):
    pending = make_user("newcomer", roles={academy: ["learner"]}, status=UserStatus.PENDING)
    login(client, users["registrar"])
    assert "newcomer" in client.get("/users?status=pending").get_data(as_text=True)
    post_form(client, f"/users/{pending.id}/status", {"status": "active"}, page=f"/users/{pending.id}")
    db.session.refresh(pending)
    assert pending.status == UserStatus.ACTIVE


def test_csv_import_creates_everyone_or_no_one(client, users, academy, outbox, db):
    login(client, users["registrar"])
    good = (
        "email,name,profession,country,language,role\n"
        "ana@example.org,Ана Петровић,social_worker,RS,sr_Cyrl,learner\n"
        "besa@example.org,Besa Krasniqi,teacher,XK,sq,learner\n"
    )
    bad = good + "not-an-email,Someone,teacher,XK,sq,learner\nbesa@example.org,Dup,astronaut,ZZ,,learner\n"
    before = db.session.scalar(select(User.id).order_by(User.id.desc()))
    from io import BytesIO

    response = post_form(
        client,
        "/users/import",
        {"file": (BytesIO(bad.encode()), "people.csv"), "academy": academy.id},
        content_type="multipart/form-data",
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Nothing was imported" in html
    assert "not-an-email" in html and "astronaut" in html and "ZZ" in html
    assert db.session.scalar(select(User.id).order_by(User.id.desc())) == before
    report = services.import_users_csv(users["registrar"], bad.encode(), default_academy=academy, dry_run=True)
    assert {(e["row"], e["field"]) for e in report.errors} == {
        (4, "email"),
        (5, "email"),
        (5, "profession"),
        (5, "country"),
    }
    response = post_form(
        client,
        "/users/import",
        {"file": (BytesIO(good.encode()), "people.csv"), "academy": academy.id},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    ana = db.session.scalar(select(User).where(User.email == "ana@example.org"))
    assert ana.display_name == "Ана Петровић" and ana.status == UserStatus.INVITED
    assert ana.roles_in(academy.id) == {"learner"}
    assert len(outbox) == 2


def test_csv_import_reports_duplicates_within_the_file_and_missing_columns(users, academy):
    text = "email,name\nx@example.org,One\nX@example.org,Two\n"
    report = services.import_users_csv(users["admin"], text, default_academy=academy)
    assert report.errors == [{"row": 3, "field": "email", "message": "Also on row 2 of this file."}]
    report = services.import_users_csv(users["admin"], "mail,fullname\na@b.c,A\n", default_academy=academy)
    assert report.errors[0]["row"] == 1 and "email" in report.errors[0]["message"]


def test_registrar_cannot_import_into_another_academy(users, other_academy):
    text = f"email,name,academy\nq@example.org,Q,{other_academy.slug}\n"
    report = services.import_users_csv(users["registrar"], text)
    assert report.errors and report.errors[0]["field"] == "academy"
