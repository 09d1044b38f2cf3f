"""Demo data: the demo judicial academy accredits the demo curricula that exist, idempotently."""

from __future__ import annotations

from sqlalchemy import select

from certificates.demo import JUDICIAL
from certificates.models import Accreditation, Issuer
from courses.models import Course
from lms.models import Academy


def test_lms_demo_accredits_the_demo_courses_once(runner, db, make_course):
    for _ in range(2):
        result = runner.invoke(args=["lms", "demo", "--password", "Demo-password-123"])
        assert result.exit_code == 0, result.output
    judicial = db.session.scalar(select(Academy).where(Academy.slug == "demo-judicial"))
    if db.session.scalar(select(Course).where(Course.slug == "multi-agency-response-ocsea")) is None:
        make_course(slug="multi-agency-response-ocsea", academy_=judicial)  # no demo curricula loaded here
        result = runner.invoke(args=["lms", "demo", "--password", "Demo-password-123"])
    present = set(db.session.scalars(select(Course.slug).where(Course.slug.in_(list(JUDICIAL)))))
    accreditations = db.session.scalars(select(Accreditation).where(Accreditation.academy_id == judicial.id)).all()
    assert {a.course.slug for a in accreditations} == present and len(accreditations) == len(present)
    ocsea = next(a for a in accreditations if a.course.slug == "multi-agency-response-ocsea")
    assert ocsea.curriculum_code == "JA-OCSEA-101" and len(ocsea.signatories) == 2
    assert db.session.get(Issuer, judicial.id).serial_prefix == "JA"
    assert "JA-OCSEA-101" in result.output
