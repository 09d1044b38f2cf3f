"""Demo accreditations: the demo judicial academy accredits the demo curricula that exist (idempotent)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from certificates.accreditations import issuer_for
from certificates.models import Accreditation, Signatory
from courses.models import Course
from lms.extensions import db

# course slug -> (curriculum code, CPD hours, validity in months)
JUDICIAL = {
    "multi-agency-response-ocsea": ("JA-OCSEA-101", Decimal("10"), 36),
    "digital-forensics-first-responders": ("JA-DF-201", Decimal("12"), 24),
    "early-identification-children-at-risk": ("JA-EI-110", Decimal("8"), None),
}
SIGNATORIES = [("Milena Petrović", "Director of the Judicial Academy"), ("Arben Krasniqi", "Head of Training")]


def load_demo(context) -> None:
    """Accredit the demo courses (by slug) for the demo judicial academy, with two signatories."""
    academy = context.academies.get("demo-judicial")
    if academy is None:
        return
    courses = {c.slug: c for c in db.session.scalars(select(Course).where(Course.slug.in_(list(JUDICIAL))))}
    issuer = issuer_for(academy)
    issuer.serial_prefix = issuer.serial_prefix if issuer.serial_prefix != "DJ" else "JA"
    accredited = []
    for slug, (code, hours, months) in JUDICIAL.items():
        course = courses.get(slug)
        if course is None:
            continue
        accreditation = db.session.scalar(
            select(Accreditation).where(Accreditation.course_id == course.id, Accreditation.academy_id == academy.id)
        )
        if accreditation is None:
            accreditation = Accreditation(course_id=course.id, academy_id=academy.id)
            db.session.add(accreditation)
            accreditation.signatories = [Signatory(name=n, title=t, position=i) for i, (n, t) in enumerate(SIGNATORIES)]
        accreditation.curriculum_code, accreditation.credit_hours = code, hours
        accreditation.validity_months, accreditation.active = months, True
        accredited.append(code)
    if accredited:
        context.messages.append(
            f"Accredited by {academy.name}: {', '.join(accredited)} (serials {issuer.serial_prefix}-…)"
        )
