"""Registrars' pages (accredit, signatories, issue to one person or a list, serial prefix), the course page's
accreditation line, and who may reach what."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from certificates.models import Accreditation, Certificate, Issuer, SignatureImage
from tests.certificates.conftest import NAMES
from tests.conftest import csrf_token, login, post_form


@pytest.fixture
def registrar(make_user, other_academy):
    return make_user("judreg", roles={other_academy: ["registrar"]})


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (1200, 400), (250, 250, 250)).save(out, "JPEG")
    return out.getvalue()


def test_a_registrar_accredits_a_course_of_another_academy_and_adds_signatories(
    client, db, registrar, make_course, other_academy
):
    course = make_course(title="Police course")
    login(client, registrar)
    response = post_form(
        client,
        "/certificates/manage/accreditations/new",
        {
            "academy": other_academy.id,
            "course": course.id,
            "curriculum_code": "JA-77",
            "credit_hours": "7.5",
            "validity_months": "24",
            "template": "classic",
            "renews_id": "",
            "renewal_quiz_id": "",
            "active": "y",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    accreditation = db.session.scalar(select(Accreditation))
    assert (accreditation.curriculum_code, str(accreditation.credit_hours), accreditation.validity_months) == (
        "JA-77",
        "7.5",
        24,
    )
    assert db.session.get(Issuer, other_academy.id).serial_prefix == "JUDI"

    edit = f"/certificates/manage/accreditations/{accreditation.id}"
    token = csrf_token(client, edit)
    response = client.post(
        f"{edit}/signatories",
        data={
            "csrf_token": token,
            "name": "Милена Петровић",
            "title": "Директорка",
            "signature": (io.BytesIO(_png()), "s.jpg"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    response = client.post(
        f"{edit}/signatories",
        data={"csrf_token": token, "name": "Evil", "signature": (io.BytesIO(b"<svg/>"), "s.png")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "PNG or JPEG" in response.get_data(as_text=True)
    db.session.expire_all()
    (signatory,) = db.session.get(Accreditation, accreditation.id).signatories
    image = db.session.get(SignatureImage, signatory.signature_id)
    assert image.png.startswith(b"\x89PNG") and image.width <= 600  # re-encoded and scaled down
    assert "Милена Петровић" in client.get(edit).get_data(as_text=True)

    response = post_form(client, f"{edit}/signatories/{signatory.id}/remove", page=edit)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Accreditation, accreditation.id).signatories == []


def test_the_course_page_shows_the_accreditation(client, make_course, accredit, other_academy):
    course = make_course(slug="visible", title="Visible")
    accredit(course, other_academy, code="JA-5", hours="5")
    page = client.get("/courses/visible").get_data(as_text=True)
    assert "Accredited" in page and "Judicial Academy: 5 CPD hours, curriculum code JA-5" in page


def test_issuing_on_the_page_to_one_person_and_to_a_list(
    client, db, registrar, make_course, accredit, other_academy, make_user
):
    accreditation = accredit(make_course(), other_academy)
    people = [
        make_user(f"att{i}", display_name=name, roles={other_academy: ["learner"]}) for i, name in enumerate(NAMES)
    ]
    url = f"/certificates/manage/accreditations/{accreditation.id}/issue"
    login(client, registrar)

    response = post_form(
        client, url, {"one-person": people[0].email, "one-completed_on": "2026-03-14"}, field="one-csrf_token"
    )
    assert response.status_code == 302 and "/certificates/" in response.headers["Location"]
    assert NAMES[0] in client.get(response.headers["Location"]).get_data(as_text=True)

    bad = "email\n" + "\n".join([people[1].email, "ghost@example.org"]) + "\n"
    token = csrf_token(client, url, "list-csrf_token")
    response = client.post(
        url,
        data={
            "list-csrf_token": token,
            "list-completed_on": "2026-03-14",
            "list-file": (io.BytesIO(bad.encode()), "a.csv"),
        },
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert "Nothing was issued" in page and "ghost@example.org" in page
    assert len(db.session.scalars(select(Certificate)).all()) == 1

    good = "email\n" + "\n".join(p.email for p in people[1:]) + "\n"
    response = client.post(
        url,
        data={
            "list-csrf_token": token,
            "list-completed_on": "2026-03-14",
            "list-file": (io.BytesIO(good.encode()), "a.csv"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    holders = [c.holder_name for c in db.session.scalars(select(Certificate).order_by(Certificate.number))]
    assert holders == NAMES
    listing = client.get(response.headers["Location"]).get_data(as_text=True)
    assert all(name in listing for name in NAMES)


def test_the_serial_prefix_is_set_per_academy_and_unique(
    client, db, registrar, make_course, accredit, academy, other_academy
):
    accredit(make_course(), academy)  # the police academy gets POLI
    accredit(make_course(), other_academy)
    login(client, registrar)
    url = f"/certificates/manage/academies/{other_academy.id}/prefix"
    post_form(client, url, {"serial_prefix": "ja"}, page="/certificates/manage/accreditations")
    assert db.session.get(Issuer, other_academy.id).serial_prefix == "JA"
    page = post_form(
        client, url, {"serial_prefix": "POLI"}, page="/certificates/manage/accreditations", follow_redirects=True
    )
    assert "Another academy uses this prefix." in page.get_data(as_text=True)
    assert (
        client.post(
            f"/certificates/manage/academies/{academy.id}/prefix",
            data={"csrf_token": csrf_token(client, "/dashboard"), "serial_prefix": "X"},
        ).status_code
        == 404
    )


def test_another_academys_registrar_and_learners_are_kept_out(
    client, make_user, make_course, accredit, academy, other_academy
):
    accreditation = accredit(make_course(), other_academy)
    login(client, make_user("policereg", roles={academy: ["registrar"]}))
    for path in ("", "/issue"):
        assert client.get(f"/certificates/manage/accreditations/{accreditation.id}{path}").status_code == 404
    assert "JA-OCSEA-101" not in client.get("/certificates/manage/accreditations").get_data(as_text=True)
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/dashboard")})
    login(client, make_user("plain", roles={other_academy: ["learner"]}))
    assert client.get(f"/certificates/manage/accreditations/{accreditation.id}").status_code == 403


def test_editing_an_accreditation_changes_future_certificates_only(
    client, db, registrar, make_course, accredit, other_academy, make_user
):
    from certificates.issuing import issue_certificate

    accreditation = accredit(make_course(), other_academy, code="JA-1", hours="10")
    before = issue_certificate(None, accreditation, make_user(roles={other_academy: ["learner"]}))
    login(client, registrar)
    url = f"/certificates/manage/accreditations/{accreditation.id}"
    response = post_form(
        client,
        url,
        {"curriculum_code": "JA-1-2027", "credit_hours": "12", "validity_months": "", "template": "plain",
         "min_quiz_percent": "80", "renews_id": "", "renewal_quiz_id": "", "renewal_credit_hours": "0", "active": "y"},
    )  # fmt: skip
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    changed = db.session.get(Accreditation, accreditation.id)
    assert (changed.curriculum_code, changed.validity_months, changed.template) == ("JA-1-2027", None, "plain")
    assert str(changed.min_quiz_percent) in ("80", "80.00")
    assert db.session.get(Certificate, before.id).curriculum_code == "JA-1"
    after = issue_certificate(None, changed, make_user(roles={other_academy: ["learner"]}))
    assert (after.curriculum_code, after.template, after.expires_on) == ("JA-1-2027", "plain", None)
