"""Certificates and transcripts as PDF, through ``lms.pdf`` (the only xhtml2pdf user).

The templates are Jinja (autoescaped: a name holding markup prints as text); every image is a ``data:image/png``
URI made here (the QR code by segno, the signatures from the database), so the renderer needs no file and no
URL. Labels are bilingual: the course's language first, then English (once, when the two read the same).
"""

from __future__ import annotations

import base64
import functools
from datetime import date
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale, format_date, get_locale
from flask_babel import gettext as _
from sqlalchemy import select

from certificates.codes import format_code
from certificates.models import STATUS_LABELS, Certificate, SignatureImage
from certificates.transcripts import Transcript
from certificates.verification import hours_number, verify_url
from lms.extensions import db
from lms.pdf import qr_png_data_uri, render_pdf


def _render(name: str, **context) -> str:
    # The app's Jinja environment without the page context processors (navigation, the signed-in user): a PDF
    # is made outside requests too (the command line, jobs), and needs none of it.
    return current_app.jinja_env.get_template(name).render(**context)


def _labels() -> dict[str, str]:
    return {
        "title": _("Certificate"),
        "certifies": _("This is to certify that"),
        "completed": _("has completed the accredited training"),
        "hours": _("CPD credit hours"),
        "code": _("Curriculum code"),
        "academy": _("Accredited by"),
        "completed_on": _("Completed on"),
        "issued_on": _("Issued on"),
        "expires_on": _("Valid until"),
        "no_expiry": _("No expiry"),
        "serial": _("Serial number"),
        "verify": _("Verify at"),
        "verification_code": _("Verification code"),
        "renews": _("Renews certificate"),
    }


def bilingual(language: str, make, *args) -> dict[str, tuple[str, str | None]]:
    """``make(*args)`` (a dict of strings) in ``language`` and in English: key -> (local, English or None)."""
    with force_locale(language):
        local = make(*args)
    if language == "en":
        return {k: (v, None) for k, v in local.items()}
    with force_locale("en"):
        english = make(*args)
    return {k: (v, english[k] if english[k] != v else None) for k, v in local.items()}


def _dates(certificate: Certificate) -> dict[str, str]:
    def long(day: date | None) -> str:
        return format_date(day, "long") if day else ""

    return {
        "completed_on": long(certificate.completed_on),
        "issued_on": long(certificate.issued_on),
        "expires_on": long(certificate.expires_on),
    }


def _signature_uris(certificates: list[Certificate]) -> dict[int, str]:
    ids = {s["signature_id"] for c in certificates for s in c.signatories if s.get("signature_id")}
    if not ids:
        return {}
    rows = db.session.execute(select(SignatureImage.id, SignatureImage.png).where(SignatureImage.id.in_(ids)))
    return {i: "data:image/png;base64," + base64.b64encode(png).decode("ascii") for i, png in rows}


@functools.lru_cache(maxsize=2048)
def _qr(url: str, scale: int) -> str:
    # Per worker: a certificate's address never changes, and segno's mask search costs a tenth of a render.
    return qr_png_data_uri(url, scale=scale)


def certificate_html(certificate: Certificate) -> str:
    """The certificate as the HTML its PDF is made from (its template, A4 landscape)."""
    url = verify_url(certificate)
    return _render(
        f"certificates/pdf/{certificate.template}.html",
        c=certificate,
        lang=certificate.language.replace("_", "-"),
        t=bilingual(certificate.language, _labels),
        dates=bilingual(certificate.language, _dates, certificate),
        hours=hours_number(Decimal(certificate.credit_hours)),
        code=format_code(certificate.code),
        url=url,
        qr=_qr(url, current_app.config["CERTIFICATES_QR_SCALE"]),
        signatures=_signature_uris([certificate]),
    )


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate's PDF (made on demand from the stored snapshot, so it always says the same)."""
    return render_pdf(certificate_html(certificate))


def transcript_html(record: Transcript) -> str:
    return _render(
        "certificates/pdf/transcript.html",
        lang=str(get_locale() or "en").replace("_", "-"),
        record=record,
        status_labels=STATUS_LABELS,
        hours=lambda value: hours_number(Decimal(value)),
        codes={c.id: format_code(c.code) for c in record.certificates},
        generated_on=format_date(record.today, "long"),
    )


def transcript_pdf(record: Transcript) -> bytes:
    """The transcript as an A4 PDF, in the reader's language."""
    return render_pdf(transcript_html(record))
