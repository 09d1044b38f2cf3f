"""Public verification (/verify) and the holder's pages: their certificates, transcript and PDFs."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from certificates import expiry, transcripts
from certificates.codes import format_code, normalize_code
from certificates.forms import RevokeForm, VerifyForm
from certificates.models import STATUS_LABELS, Certificate
from certificates.verification import find_by_code, verification
from lms.extensions import db, limiter
from lms.models.base import utcnow
from lms.security import access

bp = Blueprint("certificates", __name__, template_folder="templates")


def _verify_limit() -> str:
    return current_app.config["CERTIFICATES_VERIFY_RATE_LIMIT"]


def _public(response_body: str, status: int = 200) -> Response:
    response = Response(response_body, status=status)
    # The status may change (revocation): always ask again; and keep holders' names out of search engines.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/verify")
@access("public")
@limiter.limit(_verify_limit)
def verify_form():
    form = VerifyForm(request.args)
    if request.args and form.validate():
        code = normalize_code(form.code.data)
        if code:
            return redirect(url_for("certificates.verify", code=format_code(code)))
        form.code.errors = [*form.code.errors, _("This is not a verification code: it has 20 letters and digits.")]
    return _public(render_template("certificates/verify.html", form=form, result=None))


@bp.route("/verify/<code>")
@access("public")
@limiter.limit(_verify_limit)
def verify(code: str):
    certificate = find_by_code(code)
    if certificate is None:
        return _public(render_template("certificates/verify.html", form=VerifyForm(), result=None, unknown=code), 404)
    return _public(
        render_template(
            "certificates/verify.html",
            form=VerifyForm(),
            result=verification(certificate),
            certificate=certificate,
            status=certificate.status(utcnow().date()),
            status_labels=STATUS_LABELS,
        )
    )


@bp.route("/certificates/")
@access("login")
def mine():
    return render_template(
        "certificates/mine.html",
        record=transcripts.transcript(current_user),
        expiring=expiry.expiring(user=current_user),
        status_labels=STATUS_LABELS,
        pdf_endpoint="certificates.transcript_pdf",
        pdf_args={},
    )


def _visible_or_404(certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not certificate.user_can_see(current_user):
        abort(404)
    return certificate


@bp.route("/certificates/<int:certificate_id>")
@access("login")
def detail(certificate_id: int):
    certificate = _visible_or_404(certificate_id)
    return render_template(
        "certificates/detail.html",
        certificate=certificate,
        result=verification(certificate),
        status=certificate.status(utcnow().date()),
        status_labels=STATUS_LABELS,
        form=RevokeForm() if certificate.user_can_revoke(current_user) else None,
    )


def _pdf(data: bytes, filename: str) -> Response:
    return Response(
        data, mimetype="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.route("/certificates/<int:certificate_id>/pdf")
@access("login")
def pdf(certificate_id: int):
    from certificates.rendering import certificate_pdf

    certificate = _visible_or_404(certificate_id)
    return _pdf(certificate_pdf(certificate), f"{certificate.serial}.pdf")


@bp.route("/certificates/transcript.pdf")
@access("login")
def transcript_pdf():
    from certificates.rendering import transcript_pdf as render

    record = transcripts.transcript(current_user)
    return _pdf(render(record), f"transcript-{utcnow().date().isoformat()}.pdf")


def _json_ld(data: dict, filename: str | None = None) -> Response:
    import json

    response = Response(json.dumps(data, ensure_ascii=False, indent=2), mimetype="application/ld+json")
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/certificates/<int:certificate_id>/credential.json")
@access("login")
def credential(certificate_id: int):
    """The certificate as a signed Open Badges 3.0 credential (for a digital wallet or another registry)."""
    from certificates.credentials import signed_credential
    from lms.exceptions import DomainError

    certificate = _visible_or_404(certificate_id)
    try:
        return _json_ld(signed_credential(certificate), f"{certificate.serial}.json")
    except DomainError:
        abort(404)


@bp.route("/issuers/<slug>")
@access("public")
def issuer(slug: str):
    """An academy's issuer profile with the public key its credentials are signed with (for verifiers)."""
    from certificates.credentials import issuer_document_for

    document = issuer_document_for(slug)
    if document is None:
        abort(404)
    response = _json_ld(document)
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response
