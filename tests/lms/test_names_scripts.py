"""Names in two scripts (issue 8, point 3): the name is kept as written; Serbian users choose the script of their
certificates; a registrar may set the official spelling, which wins; issued certificates keep their name."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from certificates import issuing
from certificates.accreditations import AccreditationFields, create_accreditation
from lms.accounts import services
from lms.models import AuditEvent
from lms.names import certificate_name_for, in_script, name_forms, offers_script_choice, spellings
from lms.privacy.services import anonymise_user, personal_data_chunks
from tests.conftest import csrf_token, login, post_form


@pytest.fixture
def accreditation(db, make_course, academy):
    course = make_course(title="Online child sexual abuse")
    fields = AccreditationFields(curriculum_code="PA-101", credit_hours=Decimal("8"), validity_months=None)
    return create_accreditation(None, academy, course, fields)


@pytest.fixture
def serbian(make_user, academy):
    return make_user("marko", display_name="Đorđe Džonić Ljubić", roles={academy: ["learner"]}, country="RS")


def _issue(accreditation, user, day: int):
    return issuing.issue_certificate(None, accreditation, user, date(2026, 3, day))


def _profile_data(user, **changes) -> dict:
    data = {
        "display_name": user.display_name,
        "profession": user.profession,
        "country": user.country,
        "language": user.language or "",
    }
    return {**data, **changes}


# Transliteration -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Đorđe Čolić", "Ђорђе Чолић"),
        ("Ljiljana Njegoš", "Љиљана Његош"),
        ("Džemal Šćekić", "Џемал Шћекић"),
        ("LJUBA NJEGIĆ DŽUDŽA", "ЉУБА ЊЕГИЋ ЏУЏА"),
        ("Vanja Poljak-Džinić", "Вања Пољак-Џинић"),
    ],
)
def test_names_change_script_both_ways_with_the_digraphs(latin, cyrillic):
    assert in_script(latin, "Cyrl") == cyrillic
    assert in_script(cyrillic, "Latn") == latin
    # Already in the script asked for: unchanged.
    assert in_script(latin, "Latn") == latin and in_script(cyrillic, "Cyrl") == cyrillic
    assert spellings(cyrillic) == {"": cyrillic, "Latn": latin, "Cyrl": cyrillic}


def test_a_name_that_is_not_serbian_stays_as_written():
    for name in ("Ëndrit Hoxha", "Xhulja Çela", "Zoë Müller"):
        assert in_script(name, "Cyrl") == name and in_script(name, "Latn") == name


def test_the_choice_is_offered_by_language_or_country(make_user):
    assert offers_script_choice(make_user(country="RS"))
    assert offers_script_choice(make_user(country="ME"))
    assert offers_script_choice(make_user(country="BA"))
    assert offers_script_choice(make_user(country="AL", language="sr_Cyrl"))
    assert offers_script_choice(make_user(country="other", language="bs"))
    assert not offers_script_choice(make_user(country="AL", language="sq"))
    assert not offers_script_choice(make_user(country="MK", language=None))


# The choice and the certificate ---------------------------------------------------------------------------


def test_the_choice_changes_the_next_certificate_and_issued_ones_keep_their_name(db, accreditation, serbian):
    first = _issue(accreditation, serbian, 1)
    assert first.holder_name == "Đorđe Džonić Ljubić"

    services.update_profile(serbian, **_profile_data(serbian), certificate_script="Cyrl")
    assert serbian.display_name == "Đorđe Džonić Ljubić"  # the name itself is kept as written
    second = _issue(accreditation, serbian, 2)
    assert second.holder_name == "Ђорђе Џонић Љубић"

    services.update_profile(serbian, **_profile_data(serbian), certificate_script="Latn")
    db.session.expire_all()
    assert first.holder_name == "Đorđe Džonić Ljubić" and second.holder_name == "Ђорђе Џонић Љубић"
    assert _issue(accreditation, serbian, 3).holder_name == "Đorđe Džonić Ljubić"


def test_a_cyrillic_name_on_latin_certificates(make_user, academy, accreditation):
    user = make_user(display_name="Љубица Њежић", roles={academy: ["learner"]}, country="ME")
    services.update_profile(user, **_profile_data(user), certificate_script="Latn")
    assert _issue(accreditation, user, 4).holder_name == "Ljubica Nježić"


def test_the_choice_is_dropped_when_no_longer_offered_and_refused_to_others(make_user, serbian):
    services.update_profile(serbian, **_profile_data(serbian), certificate_script="Cyrl")
    assert serbian.certificate_script == "Cyrl"
    services.update_profile(serbian, **_profile_data(serbian, country="AL", language="sq"))
    assert serbian.certificate_script == "" and certificate_name_for(serbian) == serbian.display_name

    albanian = make_user(country="AL", language="sq", display_name="Dren Krasniqi")
    services.update_profile(albanian, **_profile_data(albanian), certificate_script="Cyrl")
    assert albanian.certificate_script == ""
    services.update_profile(serbian, **_profile_data(serbian, country="RS"), certificate_script="Klingon")
    assert serbian.certificate_script == ""


def test_the_profile_page_offers_the_choice_with_a_preview(client, db, serbian, make_user):
    login(client, serbian)
    page = client.get("/account").get_data(as_text=True)
    assert "Ђорђе Џонић Љубић" in page and "Đorđe Džonić Ljubić" in page
    assert 'name="certificate_script"' in page and "keep the name they were issued with" in page

    data = _profile_data(serbian, certificate_script="Cyrl", csrf_token=csrf_token(client, "/account"))
    assert client.post("/account", data=data).status_code == 302
    db.session.refresh(serbian)
    assert serbian.certificate_script == "Cyrl" and certificate_name_for(serbian) == "Ђорђе Џонић Љубић"
    assert "Your next certificates will read: Ђорђе Џонић Љубић" in client.get("/account").get_data(as_text=True)

    other = make_user(country="AL", language="sq")
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/account")})
    login(client, other)
    assert 'name="certificate_script"' not in client.get("/account").get_data(as_text=True)


# The registrar's official spelling ------------------------------------------------------------------------


def test_the_official_spelling_wins_and_is_audited_with_old_and_new(db, users, accreditation, serbian):
    services.update_profile(serbian, **_profile_data(serbian), certificate_script="Cyrl")
    registrar = users["registrar"]
    services.set_certificate_name(registrar, serbian, "  Djordje   Dzonic Ljubic ")
    assert serbian.certificate_name == "Djordje Dzonic Ljubic"
    assert _issue(accreditation, serbian, 5).holder_name == "Djordje Dzonic Ljubic"

    services.set_certificate_name(registrar, serbian, "")
    assert _issue(accreditation, serbian, 6).holder_name == "Ђорђе Џонић Љубић"

    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "account.certificate_name_changed", AuditEvent.object_id == str(serbian.id))
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.actor_id, e.details) for e in events] == [
        (registrar.id, {"old": "", "new": "Djordje Dzonic Ljubic"}),
        (registrar.id, {"old": "Djordje Dzonic Ljubic", "new": ""}),
    ]
    services.set_certificate_name(registrar, serbian, "")  # no change, no event
    count = select(func.count(AuditEvent.id)).where(AuditEvent.action == "account.certificate_name_changed")
    assert db.session.scalar(count) == 2


def test_the_registrar_sets_the_spelling_on_the_user_page(client, db, users, serbian):
    login(client, users["registrar"])
    url = f"/users/{serbian.id}"
    assert "keep the name they were issued with" in client.get(url).get_data(as_text=True)
    response = post_form(client, f"{url}/certificate-name", {"certificate_name": "Djordje Dzonic"}, page=url)
    assert response.status_code == 302
    db.session.refresh(serbian)
    assert serbian.certificate_name == "Djordje Dzonic"
    assert "Next certificates will read: Djordje Dzonic" in client.get(url).get_data(as_text=True)


@pytest.mark.parametrize("who", ["other_registrar", "learner", "trainer"])
def test_only_a_registrar_of_the_users_academy_sets_the_spelling(
    client, db, make_user, other_academy, users, serbian, who
):
    actor = make_user("reg2", roles={other_academy: ["registrar"]}) if who == "other_registrar" else users[who]
    login(client, actor)
    # The form's token comes from a page the actor may open (their own profile).
    token = csrf_token(client, "/account")
    response = client.post(f"/users/{serbian.id}/certificate-name", data={"certificate_name": "X", "csrf_token": token})
    assert response.status_code in ((404,) if who == "other_registrar" else (403, 404))
    db.session.refresh(serbian)
    assert serbian.certificate_name == ""


def test_the_service_refuses_a_registrar_of_another_academy(make_user, other_academy, serbian):
    from lms.exceptions import NotFoundError

    with pytest.raises(NotFoundError):
        services.set_certificate_name(make_user(roles={other_academy: ["registrar"]}), serbian, "X")


# Personal data -------------------------------------------------------------------------------------------


def test_the_download_holds_both_and_anonymising_clears_them(db, users, serbian):
    services.update_profile(serbian, **_profile_data(serbian), certificate_script="Cyrl")
    services.set_certificate_name(users["registrar"], serbian, "Djordje Dzonic Ljubic")
    services.set_certificate_name(users["registrar"], serbian, "Đorđe Džonić-Ljubić")
    profile = json.loads("".join(personal_data_chunks(serbian.id)))["profile"]
    assert profile["certificate_script"] == "Cyrl" and profile["certificate_name"] == "Đorđe Džonić-Ljubić"
    assert "Djordje Dzonic Ljubic" in name_forms(serbian) and "Ђорђе Џонић Љубић" in name_forms(serbian)

    anonymise_user(users["admin"], serbian)
    assert (serbian.certificate_script, serbian.certificate_name) == ("", "")
    assert certificate_name_for(serbian) == serbian.display_name == f"Anonymised user {serbian.id}"
    # The earlier official spellings the audit log kept are erased too.
    details = db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "account.certificate_name_changed")
    ).all()
    assert details and all(set(d.values()) <= {"", "[erased]"} for d in details)
