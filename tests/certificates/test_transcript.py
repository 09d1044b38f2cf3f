"""Transcripts: certificates and CPD hours per academy and year; holders see their own, registrars their
academies' learners; the PDF."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from certificates import issuing
from certificates.models import Accreditation, Certificate
from certificates.transcripts import learner_for, transcript
from certificates.verification import revoke_certificate
from lms.exceptions import NotFoundError
from tests.certificates.conftest import NAMES
from tests.conftest import csrf_token, login


@pytest.fixture
def holder(db, make_course, accredit, academy, other_academy, make_user):
    """Certificates of two academies over two years; one of them revoked."""
    user = make_user("holder", display_name=NAMES[0], roles={academy: ["learner"]})
    a = accredit(make_course(title="Forensics"), academy, code="PA-1", hours="6")
    b = accredit(make_course(title="Evidence"), academy, code="PA-2", hours="4.5")
    c = accredit(make_course(title="Hearings"), other_academy, code="JA-1", hours="10")
    issuing.issue_certificate(None, a, user, date(2025, 5, 1))
    issuing.issue_certificate(None, b, user, date(2026, 2, 1))
    issuing.issue_certificate(None, b, user, date(2026, 3, 1))
    revoked = issuing.issue_certificate(None, c, user, date(2026, 4, 1))
    issuing.issue_certificate(None, c, user, date(2026, 5, 1))
    revoke_certificate(None, revoked, "Wrong person")
    return user


def test_hours_per_academy_and_year_revoked_listed_but_not_counted(holder):
    record = transcript(holder)
    summary = [(g.academy, g.year, len(g.certificates), g.hours) for g in record.groups]
    assert summary == [
        ("Judicial Academy", 2026, 2, Decimal("10")),
        ("Police Academy", 2026, 2, Decimal("9.0")),
        ("Police Academy", 2025, 1, Decimal("6")),
    ]
    assert record.total_hours == Decimal("25")


def test_a_registrar_reads_only_their_academys_certificates_of_a_learner(holder, make_user, academy, other_academy):
    judicial = make_user("judreg", roles={other_academy: ["registrar"]})
    assert learner_for(judicial, holder.id) == holder  # holds a certificate of the judicial academy
    record = transcript(holder, {other_academy.id})
    assert [g.academy for g in record.groups] == ["Judicial Academy"]
    third = make_user("thirdreg", roles={academy: ["trainer"]})
    with pytest.raises(NotFoundError):
        learner_for(third, holder.id)


def test_pages_and_pdfs_are_the_holders_own(client, db, holder, make_user, academy, other_academy):
    other = make_user("other", roles={academy: ["learner"]})
    mine = db.session.scalars(select(Certificate).where(Certificate.user_id == holder.id)).first()

    login(client, other)
    assert client.get(f"/certificates/{mine.id}").status_code == 404
    assert client.get(f"/certificates/{mine.id}/pdf").status_code == 404
    assert NAMES[0] not in client.get("/certificates/").get_data(as_text=True)
    assert client.get(f"/certificates/manage/learners/{holder.id}").status_code == 403
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/dashboard")})

    login(client, holder)
    page = client.get("/certificates/").get_data(as_text=True)
    assert "25 CPD hours" in page.replace("25.0", "25") and "Wrong person" not in page
    response = client.get("/certificates/transcript.pdf")
    assert response.mimetype == "application/pdf"
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert NAMES[0] in text and "JA-1" in text
    assert client.get(f"/certificates/{mine.id}/pdf").mimetype == "application/pdf"
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/dashboard")})

    login(client, make_user("judreg", roles={other_academy: ["registrar"]}))
    page = client.get(f"/certificates/manage/learners/{holder.id}").get_data(as_text=True)
    assert "Hearings" in page and "Forensics" not in page
    assert client.get(f"/certificates/manage/learners/{holder.id}/transcript.pdf").mimetype == "application/pdf"
    assert client.get(f"/certificates/manage/learners/{other.id}").status_code == 404
    police = db.session.scalar(select(Certificate).join(Accreditation).where(Accreditation.academy_id == academy.id))
    assert client.get(f"/certificates/{police.id}").status_code == 404
