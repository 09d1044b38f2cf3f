"""Certificate and transcript PDFs: every name exactly, A4 landscape, the QR code and the verification link, and
a renderer that fetches nothing and reads no file whatever a name or a course title holds."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from certificates.accreditations import add_signatory
from certificates.codes import format_code
from certificates.models import Certificate
from certificates.rendering import certificate_html, certificate_pdf, transcript_pdf
from certificates.transcripts import transcript
from tests.certificates.conftest import NAMES, complete_course
from tests.lms.test_pdf import A4_LANDSCAPE, AuditLog, Listener


def _png(height: int = 10) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 90), (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(5, 80), (100, height), (200, 85), (295, 15)], fill=(10, 30, 120, 255), width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _page(data: bytes):
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return reader.pages[0]


@pytest.fixture
def issue(db, make_course, accredit, academy, other_academy, make_user):
    def make(name: str, *, title: str = "Multi-agency response", language: str = "en", signatures: bool = False):
        course = make_course(title=title, language=language)
        accreditation = accredit(course, other_academy, code="JA-OCSEA-101", hours="10")
        if signatures:
            add_signatory(None, accreditation, "Милена Петровић", "Директорка", _png())
            add_signatory(None, accreditation, "Arben Krasniqi", "Head of Training", _png(40))
        user = make_user(display_name=name, roles={academy: ["learner"]})
        complete_course(user, course)
        return db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)).one()

    return make


@pytest.mark.parametrize("name", NAMES)
def test_the_holders_name_is_extracted_exactly_from_an_a4_landscape_certificate(issue, name):
    certificate = issue(name, title="Višeresorni odgovor — Мултидисциплинарен одговор", language="sr_Latn")
    page = _page(certificate_pdf(certificate))

    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4_LANDSCAPE, abs=0.1)
    text = page.extract_text()
    # Exactly the name on its own line (pypdf starts a centred line with a space).
    assert name in [line.strip() for line in text.splitlines()]
    for part in ("Višeresorni odgovor — Мултидисциплинарен одговор", "JA-OCSEA-101", "Judicial Academy"):
        assert part in text
    assert certificate.serial in text and format_code(certificate.code) in text
    assert f"http://lms.test/verify/{format_code(certificate.code)}" in text


def test_the_certificate_carries_the_qr_code_and_the_signatures(issue):
    certificate = issue(NAMES[2], signatures=True)
    page = _page(certificate_pdf(certificate))

    assert len(page.images) == 3  # the QR code and two signatures
    text = page.extract_text()
    assert "Милена Петровић" in text and "Arben Krasniqi" in text


def test_labels_and_dates_are_in_the_course_language_and_english(issue):
    certificate = issue(NAMES[0], language="sr_Latn")
    html = certificate_html(certificate)
    # Babel writes the date in both languages whether or not the labels are translated yet.
    assert "decembar" in html.lower() or "januar" in html.lower() or " / " in html
    assert 'lang="sr-Latn"' in html


HOSTILE_TEMPLATE = (
    '<img src="http://127.0.0.1:{port}/name.png"><link rel="stylesheet" href="http://127.0.0.1:{port}/s.css">'
    "<style>@import url(http://127.0.0.1:{port}/i.css);</style>"
)


def test_markup_in_a_name_or_a_title_is_text_and_nothing_is_fetched_or_read(issue, db):
    listener, audit = Listener(), AuditLog.get()
    try:
        name = HOSTILE_TEMPLATE.format(port=listener.port)
        title = '<img src="file:///etc/passwd"> <img src="/etc/passwd"> file:///etc/passwd'
        certificate = issue(name, title=title)
        with audit.record():
            data = certificate_pdf(certificate)
        assert listener.settled() == []
    finally:
        listener.close()
    assert audit.network() == []
    opened = audit.opened()
    assert "/etc/passwd" not in opened
    allowed = ("/lms/fonts/", "/lms/templates/", "/certificates/templates/", "/site-packages/", "/lib/python3")
    assert all(any(part in path for part in allowed) for path in opened), opened
    page = _page(data)
    assert len(page.images) == 1  # only the QR code
    text = page.extract_text()
    assert "file:///etc/passwd" in text and f"127.0.0.1:{listener.port}/name.png" in text


def test_the_transcript_pdf_names_the_holder_and_the_hours(issue, db):
    certificate = issue(NAMES[1])
    record = transcript(certificate.user)
    text = PdfReader(io.BytesIO(transcript_pdf(record))).pages[0].extract_text()

    assert NAMES[1] in text and certificate.serial in text and "10" in text
    assert record.total_hours == Decimal("10")


def test_the_longest_name_and_title_still_fit_one_page(issue):
    certificate = issue(("Ëndrit Hoxha " * 16)[:200], title=("Višeresorni odgovor na iskorištavanje " * 8)[:300])
    _page(certificate_pdf(certificate))  # asserts a single page


def test_a_certificate_in_two_languages_with_signatures_stays_one_page(
    db, make_course, accredit, academy, other_academy, make_user
):
    """The holder reads the course in Serbian: Cyrillic labels and title, English beside them, two signatures."""
    course = make_course(title="Multi-agency response to online child sexual exploitation and abuse")
    course.translations = {
        "sr_Latn": {"title": "Multisektorski odgovor na seksualno iskorišćavanje i zlostavljanje dece na internetu"}
    }
    db.session.commit()
    accreditation = accredit(course, other_academy, code="JA-OCSEA-101", hours="10")
    add_signatory(None, accreditation, "Милена Петровић", "Директорка Правосудне академије", _png())
    add_signatory(None, accreditation, "Arben Krasniqi", "Head of Training", _png(40))
    user = make_user(display_name="Амра Хаџић", language="sr_Cyrl", roles={academy: ["learner"]})
    complete_course(user, course)
    certificate = db.session.scalars(select(Certificate).where(Certificate.user_id == user.id)).one()
    assert certificate.language == "sr_Cyrl"
    text = _page(certificate_pdf(certificate)).extract_text()
    assert "Мултисекторски одговор" in text and "Multi-agency response" in text
    assert certificate.serial in text
