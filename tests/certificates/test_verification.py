"""Public verification (valid, expired, revoked, unknown; no other personal data; rate limited) and revocation,
which keeps the record and is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from certificates.codes import format_code
from certificates.models import Certificate
from certificates.verification import revoke_certificate, verification
from lms.exceptions import DomainError, NotFoundError
from lms.models import AuditEvent
from lms.models.base import utcnow
from tests.certificates.conftest import NAMES, complete_course
from tests.conftest import csrf_token, login


@pytest.fixture
def certificate(db, make_course, accredit, academy, other_academy, make_user):
    course = make_course(title="Multi-agency response")
    accredit(course, academy, code="PA-101", hours="12")
    holder = make_user("holder", display_name=NAMES[3], roles={academy: ["learner"]})
    complete_course(holder, course)
    return db.session.scalars(select(Certificate)).one()


def test_anyone_sees_a_valid_certificate_and_nothing_more_about_the_holder(client, certificate):
    response = client.get(f"/verify/{format_code(certificate.code)}")

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    for shown in ("This certificate is valid.", "Ëndrit Hoxha", "Multi-agency response", "Police Academy", "PA-101"):
        assert shown in page
    assert certificate.serial in page and certificate.issued_on.isoformat() in page
    assert certificate.expires_on.isoformat() in page
    assert "holder@example.org" not in page and ">holder<" not in page
    assert response.headers["Cache-Control"] == "no-cache" and "noindex" in response.headers["X-Robots-Tag"]


def test_the_code_can_be_typed_loosely(client, certificate):
    typed = format_code(certificate.code).lower().replace("-", " ")
    response = client.get("/verify", query_string={"code": typed})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/verify/{format_code(certificate.code)}")
    assert client.get(f"/verify/{certificate.code.lower()}").status_code == 200
    assert "20 letters" in client.get("/verify", query_string={"code": "nonsense"}).get_data(as_text=True)


def test_an_unknown_code_is_a_404_that_says_so(client, certificate):
    response = client.get("/verify/AAAAA-BBBBB-CCCCC-DDDDD")
    assert response.status_code == 404
    assert "No certificate has the code" in response.get_data(as_text=True)
    assert client.get("/verify/not-a-code").status_code == 404


def test_an_expired_certificate_shows_as_expired(client, db, certificate):
    certificate.expires_on = utcnow().date() - timedelta(days=1)
    db.session.commit()
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "This certificate has expired." in page
    assert verification(certificate)["status"] == "expired"


def test_revocation_keeps_the_record_and_shows_the_date_and_reason(client, db, certificate, make_user, academy):
    registrar = make_user("reg", roles={academy: ["registrar"]})
    revoke_certificate(registrar, certificate, "  Issued   in error:\nwrong course  ")

    db.session.expire_all()
    kept = db.session.get(Certificate, certificate.id)
    assert kept is not None and kept.revoked_by_id == registrar.id
    assert kept.holder_name == "Ëndrit Hoxha" and kept.revocation_reason == "Issued in error: wrong course"
    data = verification(kept)
    assert data["status"] == "revoked" and data["revoked_on"] == utcnow().date().isoformat()
    page = client.get(f"/verify/{kept.code}").get_data(as_text=True)
    assert "This certificate has been revoked." in page and "Issued in error: wrong course" in page
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificates.revoked"))
    assert event.actor_id == registrar.id and event.details["reason"] == "Issued in error: wrong course"
    with pytest.raises(DomainError):
        revoke_certificate(registrar, kept, "again")


def test_only_a_registrar_of_the_issuing_academy_revokes_with_a_reason(
    db, certificate, make_user, academy, other_academy
):
    with pytest.raises(NotFoundError):
        revoke_certificate(make_user("other", roles={other_academy: ["registrar"]}), certificate, "no")
    with pytest.raises(NotFoundError):
        revoke_certificate(make_user("trainer", roles={academy: ["trainer"]}), certificate, "no")
    with pytest.raises(DomainError) as missing:
        revoke_certificate(make_user("reg", roles={academy: ["registrar"]}), certificate, "   ")
    assert missing.value.field == "reason"
    assert db.session.get(Certificate, certificate.id).revoked_at is None


def test_revoking_through_the_page(client, db, certificate, make_user, academy, other_academy):
    registrar = make_user("reg", roles={academy: ["registrar"]})
    stranger = make_user("reg2", roles={other_academy: ["registrar"]})
    url = f"/certificates/manage/certificates/{certificate.id}/revoke"

    login(client, stranger)
    token = csrf_token(client, "/dashboard")
    assert client.post(url, data={"csrf_token": token, "reason": "x"}).status_code == 404
    client.post("/auth/logout", data={"csrf_token": token})

    login(client, registrar)
    page = client.get(f"/certificates/{certificate.id}").get_data(as_text=True)
    assert "Revoke this certificate" in page
    token = csrf_token(client, f"/certificates/{certificate.id}")
    response = client.post(url, data={"csrf_token": token, "reason": "Attendance not confirmed"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Certificate, certificate.id).revocation_reason == "Attendance not confirmed"


def test_verification_is_rate_limited(make_app, certificate):
    app = make_app(RATELIMIT_ENABLED=True, CERTIFICATES_VERIFY_RATE_LIMIT="3 per minute")
    client = app.test_client()
    with app.app_context():
        codes = [client.get(f"/verify/{certificate.code}").status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
