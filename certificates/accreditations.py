"""Accreditation use cases: an academy accredits a course (code, hours, validity, template, signatories, extra
completion rule, recertification path) and names the prefix of its serials."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from certificates.codes import PREFIX_RE, default_prefix
from certificates.models import TEMPLATES, Accreditation, Issuer, Signatory, SignatureImage
from courses.models import Course
from lms import audit
from lms.exceptions import DomainError, NotFoundError
from lms.extensions import db
from lms.models import Academy, User

MAX_SIGNATURE_BYTES = 2 * 1024 * 1024
MAX_SIGNATURE_PIXELS = 2000 * 1000
SIGNATURE_BOX = (600, 200)  # re-encoded no larger than this: plenty for 5 cm at print resolution


@dataclass
class AccreditationFields:
    curriculum_code: str
    credit_hours: Decimal
    validity_months: int | None = None
    template: str = "classic"
    min_quiz_percent: Decimal | None = None
    renews_id: int | None = None
    renewal_quiz_id: int | None = None
    renewal_credit_hours: Decimal = Decimal("0")
    active: bool = True


def managed_academies(actor: User) -> list[Academy]:
    """Academies whose accreditations ``actor`` manages (a registrar's own; every academy for administrators)."""
    query = select(Academy).order_by(Academy.name)
    if not actor.is_admin:
        query = query.where(Academy.id.in_(actor.academy_ids("registrar") or {-1}))
    return list(db.session.scalars(query))


def accreditations_of(actor: User) -> list[Accreditation]:
    query = select(Accreditation).join(Accreditation.course).order_by(Accreditation.academy_id, Course.title)
    if not actor.is_admin:
        query = query.where(Accreditation.academy_id.in_(actor.academy_ids("registrar") or {-1}))
    return list(db.session.scalars(query))


def get_managed_accreditation(actor: User, accreditation_id: int) -> Accreditation:
    accreditation = db.session.get(Accreditation, accreditation_id)
    if accreditation is None or not accreditation.user_can_manage(actor):
        raise NotFoundError(_("No such accreditation."))
    return accreditation


def course_accreditations(course_ids: list[int]) -> dict[int, list[Accreditation]]:
    """Active accreditations of many courses in one query."""
    found: dict[int, list[Accreditation]] = {}
    rows = db.session.scalars(
        select(Accreditation).where(Accreditation.course_id.in_(course_ids or [-1]), Accreditation.active.is_(True))
    )
    for accreditation in rows:
        found.setdefault(accreditation.course_id, []).append(accreditation)
    return found


def _check(fields: AccreditationFields, academy_id: int, current: Accreditation | None) -> None:
    code = (fields.curriculum_code or "").strip()
    if not code or len(code) > 64:
        raise DomainError(_("Give the curriculum code (at most 64 characters)."), field="curriculum_code")
    if fields.credit_hours is None or not (Decimal("0") <= Decimal(fields.credit_hours) <= Decimal("10000")):
        raise DomainError(_("Give the credit hours as a number from 0 to 10000."), field="credit_hours")
    if fields.validity_months is not None and not 1 <= fields.validity_months <= 600:
        raise DomainError(_("Give the validity in months (1 to 600), or leave it empty."), field="validity_months")
    if fields.template not in TEMPLATES:
        raise DomainError(_("Choose one of the certificate templates."), field="template")
    if fields.min_quiz_percent is not None and not Decimal("0") <= fields.min_quiz_percent <= Decimal("100"):
        raise DomainError(_("Give the minimum quiz grade as a percentage."), field="min_quiz_percent")
    if fields.renews_id is not None:
        renewed = db.session.get(Accreditation, fields.renews_id)
        if renewed is None or renewed.academy_id != academy_id or (current and renewed.id == current.id):
            raise DomainError(_("Choose another accreditation of the same academy."), field="renews_id")


def _apply(accreditation: Accreditation, fields: AccreditationFields) -> None:
    accreditation.curriculum_code = fields.curriculum_code.strip()
    accreditation.credit_hours = Decimal(fields.credit_hours).quantize(Decimal("0.1"))
    accreditation.validity_months = fields.validity_months
    accreditation.template = fields.template
    accreditation.min_quiz_percent = fields.min_quiz_percent
    accreditation.renews_id = fields.renews_id
    accreditation.renewal_quiz_id = fields.renewal_quiz_id
    accreditation.renewal_credit_hours = Decimal(fields.renewal_credit_hours or 0).quantize(Decimal("0.1"))
    accreditation.active = fields.active


def _require_registrar(actor: User | None, academy: Academy) -> None:
    if actor is not None and not (actor.is_admin or "registrar" in actor.roles_in(academy.id)):
        raise NotFoundError(_("No such academy."))


def create_accreditation(
    actor: User | None, academy: Academy, course: Course, fields: AccreditationFields
) -> Accreditation:
    """``academy`` accredits ``course`` (any course: a judicial academy may accredit a police academy's course).
    One accreditation per course and academy; the academy's serial prefix is set up on its first one."""
    _require_registrar(actor, academy)
    _check(fields, academy.id, None)
    if db.session.scalar(
        select(Accreditation.id).where(Accreditation.course_id == course.id, Accreditation.academy_id == academy.id)
    ):
        raise DomainError(_("%(academy)s already accredits this course.", academy=academy.name), field="course")
    accreditation = Accreditation(course=course, academy=academy, created_by_id=actor.id if actor else None)
    _apply(accreditation, fields)
    db.session.add(accreditation)
    issuer_for(academy)
    db.session.flush()
    audit.record(
        "certificates.accreditation_created",
        actor=actor,
        obj=accreditation,
        academy_id=academy.id,
        details={"course": course.slug, "curriculum_code": accreditation.curriculum_code},
    )
    db.session.commit()
    return accreditation


def update_accreditation(actor: User | None, accreditation: Accreditation, fields: AccreditationFields) -> None:
    """Change what future certificates state; certificates already issued keep what they say."""
    _require_registrar(actor, accreditation.academy)
    _check(fields, accreditation.academy_id, accreditation)
    _apply(accreditation, fields)
    audit.record(
        "certificates.accreditation_updated",
        actor=actor,
        obj=accreditation,
        academy_id=accreditation.academy_id,
        details={"curriculum_code": accreditation.curriculum_code, "active": accreditation.active},
    )
    db.session.commit()


def issuer_for(academy: Academy) -> Issuer:
    """The academy's certificate settings, created with a derived, unused serial prefix when missing."""
    issuer = db.session.get(Issuer, academy.id)
    if issuer is not None:
        return issuer
    prefix = default_prefix(academy.slug)
    if db.session.scalar(select(Issuer.academy_id).where(Issuer.serial_prefix == prefix)) is not None:
        prefix = f"{prefix[:8]}{academy.id}"
    try:
        with db.session.begin_nested():
            issuer = Issuer(academy_id=academy.id, serial_prefix=prefix)
            db.session.add(issuer)
    except IntegrityError:  # created at the same moment by another transaction
        issuer = db.session.get(Issuer, academy.id)
        if issuer is None:
            raise
    return issuer


def issuers_of(academies: list[Academy]) -> dict[int, Issuer]:
    """The certificate settings of these academies that exist, by academy id (one query)."""
    rows = db.session.scalars(select(Issuer).where(Issuer.academy_id.in_([a.id for a in academies] or [-1])))
    return {issuer.academy_id: issuer for issuer in rows}


def set_serial_prefix(actor: User | None, academy: Academy, prefix: str) -> Issuer:
    """Serials issued from now on start with ``prefix``; numbers go on counting for the year."""
    _require_registrar(actor, academy)
    prefix = (prefix or "").strip().upper()
    if not PREFIX_RE.match(prefix):
        raise DomainError(_("Use 1 to 12 capital letters and digits, starting with a letter."), field="serial_prefix")
    taken = db.session.scalar(
        select(Issuer.academy_id).where(Issuer.serial_prefix == prefix, Issuer.academy_id != academy.id)
    )
    if taken is not None:
        raise DomainError(_("Another academy uses this prefix."), field="serial_prefix")
    issuer = issuer_for(academy)
    if issuer.serial_prefix != prefix:
        before, issuer.serial_prefix = issuer.serial_prefix, prefix
        audit.record(
            "certificates.serial_prefix_changed",
            actor=actor,
            academy_id=academy.id,
            details={"before": before, "after": prefix},
        )
    db.session.commit()
    return issuer


def clean_signature(data: bytes) -> tuple[bytes, int, int]:
    """A PNG, JPEG or WebP signature re-encoded as a small PNG (no metadata); DomainError when it is not an image."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_SIGNATURE_BYTES:
        raise DomainError(_("The signature image is larger than 2 MB."), field="signature")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in ("PNG", "JPEG", "WEBP") or image.width * image.height > MAX_SIGNATURE_PIXELS:
                raise DomainError(_("Upload the signature as a PNG or JPEG image."), field="signature")
            image.load()
            picture = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DomainError(_("Upload the signature as a PNG or JPEG image."), field="signature") from exc
    picture.thumbnail(SIGNATURE_BOX)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue(), picture.width, picture.height


def _store_signature(data: bytes) -> SignatureImage:
    png, width, height = clean_signature(data)
    digest = hashlib.sha256(png).hexdigest()
    image = db.session.scalar(select(SignatureImage).where(SignatureImage.sha256 == digest))
    if image is None:
        image = SignatureImage(sha256=digest, png=png, width=width, height=height)
        db.session.add(image)
        db.session.flush()
    return image


def add_signatory(
    actor: User | None, accreditation: Accreditation, name: str, title: str, signature: bytes | None = None
) -> Signatory:
    """Add a signatory (name as written, title, optional signature image) after the existing ones."""
    _require_registrar(actor, accreditation.academy)
    name, title = (name or "").strip(), (title or "").strip()
    if not name or len(name) > 200:
        raise DomainError(_("Give the signatory's name (at most 200 characters)."), field="name")
    if len(title) > 200:
        raise DomainError(_("At most 200 characters."), field="title")
    if len(accreditation.signatories) >= 4:
        raise DomainError(_("A certificate has room for four signatories."), field="name")
    image = _store_signature(signature) if signature else None
    position = max((s.position for s in accreditation.signatories), default=0) + 1
    signatory = Signatory(name=name, title=title, position=position, signature_id=image.id if image else None)
    accreditation.signatories.append(signatory)
    audit.record(
        "certificates.signatory_added",
        actor=actor,
        obj=accreditation,
        academy_id=accreditation.academy_id,
        details={"name": name, "title": title, "signature": bool(image)},
    )
    db.session.commit()
    return signatory


def remove_signatory(actor: User | None, accreditation: Accreditation, signatory_id: int) -> None:
    """Remove a signatory from future certificates (issued ones keep theirs)."""
    _require_registrar(actor, accreditation.academy)
    signatory = next((s for s in accreditation.signatories if s.id == signatory_id), None)
    if signatory is None:
        raise NotFoundError(_("No such signatory."))
    accreditation.signatories.remove(signatory)
    audit.record(
        "certificates.signatory_removed",
        actor=actor,
        obj=accreditation,
        academy_id=accreditation.academy_id,
        details={"name": signatory.name},
    )
    db.session.commit()
