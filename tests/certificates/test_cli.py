"""`lms certificates issue | verify | revoke | pdf | remind | expiring | sync | issue-cohort` (exit 0 / 1 / 2)."""

from __future__ import annotations

import json

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from certificates.models import Certificate
from lms.models import Cohort, CohortMember
from tests.certificates.conftest import NAMES, complete_course

VERIFY_KEYS = {
    "code",
    "serial",
    "status",
    "holder",
    "course",
    "academy",
    "credit_hours",
    "issued_on",
    "expires_on",
    "revoked_on",
    "revocation_reason",
}


@pytest.fixture
def world(db, make_course, accredit, academy, other_academy, make_user):
    course = make_course(slug="ocsea")
    accredit(course, other_academy, code="JA-OCSEA-101", hours="10", months=36)
    holder = make_user("holder", display_name=NAMES[1], roles={academy: ["learner"]})
    return course, holder


def _json(result) -> dict:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_issue_verify_revoke_and_pdf(runner, world, tmp_path, db):
    _course, holder = world
    issued = _json(
        runner.invoke(
            args=[
                "lms",
                "certificates",
                "issue",
                "--user",
                holder.email,
                "--course",
                "ocsea",
                "--completed-on",
                "2026-03-14",
                "--json",
            ]
        )  # fmt: skip
    )
    assert {"code", "serial"} <= set(issued) and issued["holder"] == "Ђорђе Чолић"
    assert issued["serial"].endswith("-000001") and issued["expires_on"] == "2029-03-14"

    shown = _json(runner.invoke(args=["lms", "certificates", "verify", issued["code"], "--json"]))
    assert set(shown) == VERIFY_KEYS
    assert shown["status"] == "valid" and shown["credit_hours"] == 10 and shown["course"] == "Course 1"
    assert shown["academy"] == "Judicial Academy" and shown["revoked_on"] is None

    pdf = tmp_path / "c.pdf"
    result = runner.invoke(args=["lms", "certificates", "pdf", issued["code"], "-o", str(pdf)])
    assert result.exit_code == 0, result.output
    assert "Ђорђе Чолић" in PdfReader(pdf).pages[0].extract_text()

    result = runner.invoke(args=["lms", "certificates", "revoke", issued["code"], "--reason", "Issued in error"])
    assert result.exit_code == 0, result.output
    shown = _json(runner.invoke(args=["lms", "certificates", "verify", issued["code"].lower(), "--json"]))
    assert shown["status"] == "revoked" and shown["revocation_reason"] == "Issued in error"
    assert db.session.scalar(select(Certificate).where(Certificate.serial == issued["serial"])) is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--user", "nobody@example.org", "--course", "ocsea"], "--user: no user"),
        (["--user", "holder@example.org", "--course", "nope"], "--course: no course 'nope'"),
        (["--user", "holder@example.org", "--course", "ocsea", "--completed-on", "14.03.2026"], "--completed-on"),
        (["--user", "holder@example.org", "--course", "ocsea", "--completed-on", "2999-01-01"], "--completed-on"),
        (["--user", "holder@example.org", "--course", "ocsea", "--academy", "police"], "not accredited by 'police'"),
    ],
)
def test_issue_reports_bad_input_with_exit_1(runner, world, args, message):
    result = runner.invoke(args=["lms", "certificates", "issue", *args])
    assert result.exit_code == 1 and message in result.stderr


def test_issue_twice_for_the_same_date_is_refused(runner, world):
    args = ["lms", "certificates", "issue", "--user", "holder@example.org", "--course", "ocsea", "--completed-on"]
    assert runner.invoke(args=[*args, "2026-03-14"]).exit_code == 0
    again = runner.invoke(args=[*args, "2026-03-14"])
    assert again.exit_code == 1 and "already holds" in again.stderr


def test_usage_errors_exit_2_and_unknown_codes_exit_1(runner, world):
    assert runner.invoke(args=["lms", "certificates", "issue", "--user", "x"]).exit_code == 2
    assert runner.invoke(args=["lms", "certificates", "revoke", "AAAAA-BBBBB-CCCCC-DDDDD"]).exit_code == 2
    result = runner.invoke(args=["lms", "certificates", "verify", "AAAAA-BBBBB-CCCCC-DDDDD", "--json"])
    assert result.exit_code == 1 and "no certificate" in result.stderr and result.stdout == ""


def test_sync_issues_what_completions_are_owed(runner, db, make_course, accredit, academy, other_academy, make_user):
    course = make_course(slug="late")
    holder = make_user(roles={academy: ["learner"]})
    complete_course(holder, course)  # completed before the course was accredited
    accredit(course, other_academy)
    result = runner.invoke(args=["lms", "certificates", "sync", "--course", "late"])
    assert result.exit_code == 0 and "1 certificate(s) issued" in result.output
    assert runner.invoke(args=["lms", "certificates", "sync"]).output.startswith("0 certificate")


def test_issue_cohort_runs_the_job_and_prints_its_result(runner, db, world, other_academy, make_user):
    cohort = Cohort(academy_id=other_academy.id, name="Judges 2026")
    db.session.add(cohort)
    db.session.flush()
    for _n in range(3):
        db.session.add(CohortMember(cohort_id=cohort.id, user_id=make_user(roles={other_academy: ["learner"]}).id))
    db.session.commit()
    result = runner.invoke(args=["lms", "certificates", "issue-cohort", "--cohort", "Judges 2026", "--course", "ocsea"])
    assert result.exit_code == 0, result.output
    assert "finished; 3 issued, 0 held one already" in result.output
