"""Bulk issue for a cohort as a core background job (lms_job) with its progress: inline, in a thread with real
commits, and the progress page. The job system itself is tested in tests/lms/test_jobs.py."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from certificates import jobs
from certificates.accreditations import AccreditationFields, create_accreditation
from certificates.models import Accreditation, Certificate
from courses import authoring
from lms.exceptions import DomainError
from lms.extensions import db as _db
from lms.jobs.models import Job
from lms.jobs.services import run_job_by_id
from lms.models import Academy, Cohort, CohortMember, User
from tests.conftest import login


@pytest.fixture
def cohort_setting(db, app, make_course, accredit, other_academy, make_user):
    accreditation = accredit(make_course(), other_academy, code="JA-9")
    cohort = Cohort(academy_id=other_academy.id, name="Intake 2026")
    db.session.add(cohort)
    db.session.flush()
    members = [make_user(roles={other_academy: ["learner"]}) for _ in range(5)]
    db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=u.id) for u in members])
    db.session.commit()
    return accreditation, cohort, members


def test_a_cohort_job_issues_to_every_member_and_can_run_again(db, cohort_setting):
    accreditation, cohort, members = cohort_setting
    job = jobs.start_cohort_issue(None, accreditation, cohort, date(2026, 3, 14))

    assert (job.kind, job.state, job.done, job.total, job.percent) == (jobs.KIND_COHORT, "finished", 5, 5, 100)
    assert (job.result["issued"], job.result["already_held"]) == (5, 0)
    assert db.session.scalar(select(func.count(Certificate.id))) == 5
    _db.session.get(Job, job.id).state = "failed"  # `lms jobs run ID` runs a failed job once more
    db.session.commit()
    again = run_job_by_id(job.id)
    assert again.result["issued"] == 0 and "5 held one already" in again.message
    assert db.session.scalar(select(func.count(Certificate.id))) == 5


def test_a_cohort_of_another_academy_or_a_future_date_is_refused(db, cohort_setting, academy, make_user):
    accreditation, _cohort, _members = cohort_setting
    foreign = Cohort(academy_id=academy.id, name="Police intake")
    db.session.add(foreign)
    db.session.commit()
    registrar = make_user("judreg", roles={accreditation.academy: ["registrar"]})
    with pytest.raises(DomainError):
        jobs.start_cohort_issue(registrar, accreditation, foreign, date(2026, 3, 14))
    with pytest.raises(DomainError):
        jobs.start_cohort_issue(registrar, accreditation, _cohort, date(2999, 1, 1))


def test_the_registrar_starts_the_job_on_the_page_and_watches_its_progress(client, db, cohort_setting, make_user):
    accreditation, cohort, _members = cohort_setting
    registrar = make_user("judreg", roles={accreditation.academy: ["registrar"]})
    login(client, registrar)
    url = f"/certificates/manage/accreditations/{accreditation.id}/issue"
    from tests.conftest import csrf_token

    token = csrf_token(client, url, "cohort-csrf_token")
    response = client.post(
        url, data={"cohort-csrf_token": token, "cohort-cohort": cohort.id, "cohort-completed_on": "2026-03-14"}
    )
    assert response.status_code == 302 and response.headers["Location"].startswith("/jobs/")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "5 of 5 done" in page and 'value="100"' in page and "5 issued, 0 held one already." in page
    assert f'href="/certificates/manage/issued?accreditation={accreditation.id}"' in page


def test_a_thread_job_commits_its_progress_as_it_goes(committed_app):
    app = committed_app
    app.config["LMS_JOB_RUNNER"] = "thread"
    jobs_chunk, jobs.CHUNK = jobs.CHUNK, 10
    try:
        with app.app_context():
            owner = Academy(slug="judicial-academy", name="Judicial Academy", country="RS")
            users = [User(username=f"u{i}", email=f"u{i}@example.org", display_name=f"Učesnik {i}") for i in range(35)]
            _db.session.add_all([owner, *users])
            _db.session.commit()
            course = authoring.create_course(None, owner, authoring.CourseFields(title="C", slug="c"))
            fields = AccreditationFields(curriculum_code="JA-1", credit_hours=Decimal("8"))
            accreditation = create_accreditation(None, owner, course, fields)
            cohort = Cohort(academy_id=owner.id, name="All")
            _db.session.add(cohort)
            _db.session.flush()
            _db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=u.id) for u in users])
            _db.session.commit()
            job_id = jobs.start_cohort_issue(
                None, _db.session.get(Accreditation, accreditation.id), cohort, date(2026, 3, 14)
            ).id
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with app.app_context():
                job = _db.session.get(Job, job_id)
                state = job.state
            if state in ("finished", "failed"):
                break
            time.sleep(0.1)
        with app.app_context():
            job = _db.session.get(Job, job_id)
            assert (job.state, job.done, job.result["issued"]) == ("finished", 35, 35), job.message
            numbers = _db.session.scalars(select(Certificate.number).order_by(Certificate.number)).all()
            assert numbers == list(range(1, 36))
    finally:
        jobs.CHUNK = jobs_chunk
