"""Open Badges 3.0 credentials of certificates: the signed OpenBadgeCredential a holder downloads (or
``lms certificates credential CODE`` prints), and the issuer documents verifiers read the key from.

The signing and the JSON-LD work are in :mod:`certificates.openbadges`; this module turns a stored
certificate (its snapshot taken at issue) into the credential's data.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from certificates import openbadges
from certificates.codes import format_code
from certificates.models import Certificate
from certificates.verification import verify_url
from courses.models import Course
from lms.exceptions import DomainError
from lms.extensions import db
from lms.models import Academy


def _base() -> str:
    return current_app.config["LMS_BASE_URL"].rstrip("/")


def holder_id(certificate: Certificate) -> str:
    """A stable opaque id for the holder (never the e-mail): a UUID derived from the site and the account, or
    from the certificate once the account is gone."""
    name = (
        f"{_base()}/users/{certificate.user_id}"
        if certificate.user_id
        else f"{_base()}/certificates/{certificate.code}"
    )
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def credential_data(certificate: Certificate) -> openbadges.CredentialData:
    academy = db.session.get(Academy, certificate.academy_id)
    course = db.session.get(Course, certificate.course_id) if certificate.course_id else None
    return openbadges.CredentialData(
        code=format_code(certificate.code),
        holder_name=certificate.holder_name,
        holder_id=holder_id(certificate),
        course_title=certificate.course_title,
        course_description=(course.summary if course else "") or certificate.course_title,
        criteria_narrative=_(
            "Completed the accredited course %(course)s (%(hours)s CPD hours) and met its completion rule.",
            course=certificate.course_title,
            hours=certificate.credit_hours,
        ),
        curriculum_code=certificate.curriculum_code,
        credit_hours=float(certificate.credit_hours),
        academy_name=certificate.academy_name,
        academy_slug=academy.slug,
        academy_url=_base() + "/",
        issued_on=certificate.issued_on,
        expires_on=certificate.expires_on,
        verify_url=verify_url(certificate),
        base_url=_base(),
        language=certificate.language,
    )


def signed_credential(certificate: Certificate) -> dict[str, Any]:
    """The signed OpenBadgeCredential of a certificate that is not revoked (DomainError otherwise)."""
    if certificate.revoked_at is not None:
        raise DomainError(_("This certificate has been revoked: it has no credential."), field="code")
    data = credential_data(certificate)
    issuer = openbadges.issuer_id(data.base_url, data.academy_slug)
    key = openbadges.app_signing_key(current_app._get_current_object())
    return openbadges.sign_credential(openbadges.build_credential(data), key, openbadges.verification_method_id(issuer))


def issuer_document_for(slug: str) -> dict[str, Any] | None:
    """The issuer profile and key document of an academy (None when there is no such academy)."""
    academy = db.session.scalar(select(Academy).where(Academy.slug == slug))
    if academy is None:
        return None
    key = openbadges.app_signing_key(current_app._get_current_object())
    return openbadges.issuer_document(
        base_url=_base(),
        academy_slug=academy.slug,
        academy_name=academy.name,
        academy_url=_base() + "/",
        public_key=key.public_key(),
    )
