"""The ``accreditation`` key of course packages (docs/course-package.md): the accreditation of the course by the
academy that owns it: curriculum code, credit hours, validity in months (and, optionally, the template and a
minimum quiz grade). Importing a package without the key leaves an existing accreditation as it is."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from certificates.models import TEMPLATES, Accreditation
from courses.models import Course
from courses.packages import PackagePart, PartInput, PartOutput

KEYS = ("curriculum_code", "credit_hours", "validity_months", "template", "min_quiz_percent")


@dataclass
class AccreditationPlan:
    curriculum_code: str
    credit_hours: Decimal
    validity_months: int | None
    template: str
    min_quiz_percent: Decimal | None


def _decimal(value: Any, path: str, part: PartInput, maximum: Decimal) -> Decimal | None:
    try:
        number = Decimal(str(value)) if not isinstance(value, bool) else Decimal("NaN")
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite() or number < 0 or number > maximum:
        part.problems.add(_("Give a number from 0 to %(max)s.", max=maximum), path)
        return None
    return number.quantize(Decimal("0.1"))


def _validity(value: Any, part: PartInput) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 600:
        part.problems.add(_("Give the validity in whole months (1 to 600), or null."), "accreditation.validity_months")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def check(part: PartInput) -> AccreditationPlan | None:
    """Validate ``accreditation:`` (nothing written)."""
    data = part.course.get("accreditation")
    if data is None:
        return None
    if not isinstance(data, dict):
        part.problems.add(_("Must be a mapping of keys to values."), "accreditation")
        return None
    for key in data:
        if key not in KEYS:
            part.problems.add(_("Unknown key."), f"accreditation.{key}")
    code = data.get("curriculum_code")
    if not isinstance(code, str | int) or isinstance(code, bool) or not str(code).strip() or len(str(code)) > 64:
        part.problems.add(_("Give the curriculum code (at most 64 characters)."), "accreditation.curriculum_code")
    hours = _decimal(data.get("credit_hours"), "accreditation.credit_hours", part, Decimal("10000"))
    template = data.get("template", "classic")
    if template not in TEMPLATES:
        part.problems.add(_("Use one of: %(names)s.", names=", ".join(TEMPLATES)), "accreditation.template")
    minimum = data.get("min_quiz_percent")
    if minimum is not None:
        minimum = _decimal(minimum, "accreditation.min_quiz_percent", part, Decimal("100"))
    return AccreditationPlan(
        str(code or "").strip(), hours or Decimal("0"), _validity(data.get("validity_months"), part), template, minimum
    )


def apply(course: Course, plan: AccreditationPlan | None, _modules) -> None:
    """Create or update the owning academy's accreditation inside the import's transaction."""
    from lms.extensions import db

    if plan is None:
        return
    db.session.flush()
    accreditation = db.session.scalar(
        select(Accreditation).where(Accreditation.course_id == course.id, Accreditation.academy_id == course.academy_id)
    )
    if accreditation is None:
        accreditation = Accreditation(course_id=course.id, academy_id=course.academy_id)
        db.session.add(accreditation)
    accreditation.curriculum_code = plan.curriculum_code
    accreditation.credit_hours = plan.credit_hours
    accreditation.validity_months = plan.validity_months
    accreditation.template = plan.template
    accreditation.min_quiz_percent = plan.min_quiz_percent
    from certificates.accreditations import issuer_for

    issuer_for(course.academy)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def export(course: Course) -> PartOutput:
    """``accreditation:`` for the owning academy's accreditation, when there is one (keys in a fixed order)."""
    from lms.extensions import db

    if course.id is None:
        return PartOutput()
    accreditation = db.session.scalar(
        select(Accreditation).where(Accreditation.course_id == course.id, Accreditation.academy_id == course.academy_id)
    )
    if accreditation is None:
        return PartOutput()
    data: dict[str, Any] = {
        "curriculum_code": accreditation.curriculum_code,
        "credit_hours": _number(Decimal(accreditation.credit_hours)),
        "validity_months": accreditation.validity_months,
    }
    if accreditation.template != "classic":
        data["template"] = accreditation.template
    if accreditation.min_quiz_percent is not None:
        data["min_quiz_percent"] = _number(Decimal(accreditation.min_quiz_percent))
    return PartOutput(course={"accreditation": data})


PART = PackagePart(name="accreditation", check=check, apply=apply, export=export, course_keys=("accreditation",))
