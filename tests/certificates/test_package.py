"""The `accreditation` key of course packages: validated with file, line and field; imported as the owning
academy's accreditation; exported again identically."""

from __future__ import annotations

from decimal import Decimal

import yaml
from sqlalchemy import select

from certificates.models import Accreditation
from courses import packages


def _package(tmp_path, accreditation_yaml: str):
    (tmp_path / "lessons" / "m").mkdir(parents=True)
    (tmp_path / "lessons" / "m" / "l.md").write_text("## Text\n\nBody.\n")
    (tmp_path / "course.yaml").write_text(
        "format: 1\nslug: accredited\ntitle: Accredited course\nlanguage: en\nstatus: published\n"
        f"{accreditation_yaml}"
        "modules:\n  - slug: m\n    title: M\n    lessons:\n      - slug: l\n        title: L\n"
    )
    return tmp_path


def test_import_creates_the_owning_academys_accreditation_and_export_round_trips(db, academy, tmp_path):
    path = _package(
        tmp_path, "accreditation:\n  curriculum_code: DEMO-OCSEA-101\n  credit_hours: 10\n  validity_months: 36\n"
    )
    result = packages.import_package(path, academy=academy)
    assert result.action == "created"
    accreditation = db.session.scalar(select(Accreditation))
    assert (accreditation.academy_id, accreditation.curriculum_code) == (academy.id, "DEMO-OCSEA-101")
    assert (accreditation.credit_hours, accreditation.validity_months) == (Decimal("10"), 36)

    course = packages.get_course("accredited")
    exported = yaml.safe_load(packages.export_files(course)["course.yaml"])
    assert exported["accreditation"] == {"curriculum_code": "DEMO-OCSEA-101", "credit_hours": 10, "validity_months": 36}
    files = packages.export_files(course)
    folder = tmp_path / "exported"
    packages.write_package(files, folder)
    assert packages.import_package(folder, academy=academy).action == "unchanged"
    assert packages.export_files(course) == files
    assert len(db.session.scalars(select(Accreditation)).all()) == 1


def test_problems_name_the_field_and_line(db, academy, tmp_path):
    path = _package(
        tmp_path, "accreditation:\n  curriculum_code: ''\n  credit_hours: lots\n  validity_months: 0\n  colour: red\n"
    )
    try:
        packages.check_package(path)
    except packages.PackageInvalidError as exc:
        found = {(p["field"], p["line"]) for p in exc.problems}
    else:
        raise AssertionError("the package was accepted")
    assert ("accreditation.curriculum_code", 7) in found
    assert ("accreditation.credit_hours", 8) in found
    assert ("accreditation.validity_months", 9) in found
    assert ("accreditation.colour", 10) in found
    assert db.session.scalar(select(Accreditation)) is None
