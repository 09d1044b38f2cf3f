"""The plugins' work on the core job system: the certificates cohort issue (progress, result, a retry after a
partial run), the periodic kinds cron enqueues (expiry reminders, overdue quiz attempts), and
``lms jobs enqueue``. Tests use the inline runner (tests/conftest.py) unless they say otherwise."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from certificates import jobs as certificate_jobs
from certificates.models import Certificate, Reminder
from lms import jobs
from lms.jobs import services
from lms.jobs.models import Job, JobState
from lms.models import AuditEvent, Cohort, CohortMember
from lms.models.base import utcnow
from quizzes import attempts
from quizzes.jobs import KIND_CLOSE_OVERDUE
from quizzes.models import AttemptState
from tests.certificates.conftest import accredit, complete_course  # noqa: F401 - a fixture, and a helper
from tests.quizzes.conftest import learner, make_quiz, quiz_course  # noqa: F401 - fixtures

# The cohort issue -------------------------------------------------------------------------------------


@pytest.fixture
def cohort_setting(db, make_course, accredit, other_academy, make_user, monkeypatch):  # noqa: F811
    """Five members of a cohort of the accrediting academy; the job issues in chunks of two."""
    monkeypatch.setattr(certificate_jobs, "CHUNK", 2)
    accreditation = accredit(make_course(), other_academy, code="JK-1")
    cohort = Cohort(academy_id=other_academy.id, name="Intake 2026")
    db.session.add(cohort)
    db.session.flush()
    members = [make_user(roles={other_academy: ["learner"]}) for _ in range(5)]
    db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=u.id) for u in members])
    db.session.commit()
    registrar = make_user("jkreg", roles={other_academy: ["registrar"]})
    return accreditation, cohort, members, registrar


def _holders(db, accreditation) -> list[int]:
    return sorted(
        db.session.scalars(select(Certificate.user_id).where(Certificate.accreditation_id == accreditation.id))
    )


def test_the_cohort_issue_runs_as_a_core_job_with_progress_and_result(db, cohort_setting, monkeypatch):
    accreditation, cohort, members, registrar = cohort_setting
    seen = []
    real = certificate_jobs.issue_batch

    def watching(*args):
        # The progress committed before each chunk, as the status page would read it.
        row = db.session.scalar(select(Job).where(Job.kind == certificate_jobs.KIND_COHORT).order_by(Job.id.desc()))
        seen.append((row.state, row.done, row.total))
        return real(*args)

    monkeypatch.setattr(certificate_jobs, "issue_batch", watching)
    job = certificate_jobs.start_cohort_issue(registrar, accreditation, cohort, date(2026, 3, 14))

    assert isinstance(job, Job) and job.kind == "certificates.cohort_issue"
    assert seen == [("running", 0, 5), ("running", 2, 5), ("running", 4, 5)]
    assert (job.state, job.done, job.total, job.created_by_id) == (JobState.FINISHED, 5, 5, registrar.id)
    assert job.result == {
        "issued": 5,
        "already_held": 0,
        "url": f"/certificates/manage/issued?accreditation={accreditation.id}",
    }
    assert job.message == "5 issued, 0 held one already."
    assert _holders(db, accreditation) == sorted(u.id for u in members)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificates.cohort_issue_started"))
    assert event.object_id == str(job.id) and event.details["members"] == 5


def test_a_retry_after_a_partial_run_issues_the_rest_only(db, cohort_setting, monkeypatch):
    accreditation, cohort, members, registrar = cohort_setting
    real = certificate_jobs.issue_batch
    calls = []

    def dies_in_the_second_chunk(*args):
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("database went away")
        return real(*args)

    monkeypatch.setattr(certificate_jobs, "issue_batch", dies_in_the_second_chunk)
    job = certificate_jobs.start_cohort_issue(registrar, accreditation, cohort, date(2026, 3, 14))
    assert (job.state, job.attempts, job.done) == (JobState.QUEUED, 1, 2)  # the first chunk is committed
    assert len(_holders(db, accreditation)) == 2
    # While it waits for its retry, starting the same issue again gives the same job.
    again = certificate_jobs.start_cohort_issue(registrar, accreditation, cohort, date(2026, 3, 14))
    assert again.id == job.id

    services.run_due(now=utcnow() + timedelta(hours=1))
    job = db.session.get(Job, job.id, populate_existing=True)
    assert (job.state, job.attempts, job.done) == (JobState.FINISHED, 1, 5)
    assert (job.result["issued"], job.result["already_held"]) == (3, 2)
    assert _holders(db, accreditation) == sorted(u.id for u in members)  # each member once


# The periodic kinds -----------------------------------------------------------------------------------


@pytest.fixture
def expiring_certificate(db, make_course, accredit, academy, other_academy, make_user):  # noqa: F811
    """One certificate expiring in 10 days: its 14-day reminder is due."""
    holder = make_user("holder", roles={academy: ["learner"]})
    course = make_course(title="Expiring")
    accredit(course, other_academy, code="JK-10")
    complete_course(holder, course)
    row = db.session.scalars(select(Certificate).where(Certificate.user_id == holder.id)).one()
    row.expires_on = utcnow().date() + timedelta(days=10)
    db.session.commit()
    return row


def test_expiry_reminders_run_via_enqueue_once_each_and_a_failed_mail_is_retried(
    app, db, expiring_certificate, outbox, monkeypatch
):
    from certificates import expiry

    real_send = expiry.send_mail

    def smtp_down(*args, **kwargs):
        raise OSError("SMTP is down")

    monkeypatch.setattr(expiry, "send_mail", smtp_down)
    job = jobs.enqueue(certificate_jobs.KIND_REMINDERS, params={})
    assert (job.state, job.attempts) == (JobState.QUEUED, 1) and "SMTP is down" in job.message
    assert db.session.scalar(select(func.count(Reminder.id))) == 0  # the claim was released
    monkeypatch.setattr(expiry, "send_mail", real_send)

    services.run_due(now=utcnow() + timedelta(hours=1))
    job = db.session.get(Job, job.id, populate_existing=True)
    assert (job.state, job.result) == (JobState.FINISHED, {"sent": 1})
    assert len(outbox) == 1 and expiring_certificate.serial in outbox[0]["Subject"]

    second = jobs.enqueue(certificate_jobs.KIND_REMINDERS, params={})
    assert second.id != job.id and (second.state, second.result) == (JobState.FINISHED, {"sent": 0})
    assert len(outbox) == 1


def test_close_overdue_runs_via_enqueue(db, make_quiz, learner):  # noqa: F811
    quiz = make_quiz(time_limit_minutes=1)
    attempt = attempts.start_attempt(learner, quiz, now=utcnow() - timedelta(hours=1))
    job = jobs.enqueue(KIND_CLOSE_OVERDUE, params={})
    assert (job.state, job.result) == (JobState.FINISHED, {"closed": 1, "replayed": 0})
    db.session.refresh(attempt)
    assert attempt.state == AttemptState.FINISHED and attempt.finished_by == "overdue"
    assert jobs.enqueue(KIND_CLOSE_OVERDUE, params={}).result == {"closed": 0, "replayed": 0}


# lms jobs enqueue -------------------------------------------------------------------------------------


def test_cli_enqueue_twice_gives_one_job_while_the_first_is_unfinished(app, db, runner, monkeypatch):
    # The thread runner, as in production without Redis: the command only queues, run-due runs it.
    monkeypatch.setitem(app.config, "LMS_JOB_RUNNER", "thread")
    first = runner.invoke(args=["lms", "jobs", "enqueue", KIND_CLOSE_OVERDUE])
    second = runner.invoke(args=["lms", "jobs", "enqueue", KIND_CLOSE_OVERDUE])
    assert first.exit_code == second.exit_code == 0, first.output + second.output
    job_id = int(first.output)
    assert int(second.output) == job_id
    assert db.session.scalar(select(func.count(Job.id)).where(Job.kind == KIND_CLOSE_OVERDUE)) == 1
    assert db.session.get(Job, job_id).state == JobState.QUEUED

    result = runner.invoke(args=["lms", "jobs", "run-due"])
    assert result.exit_code == 0 and f"job {job_id} ({KIND_CLOSE_OVERDUE}): finished" in result.output
    # Once it has ended, the next cron line queues a new one.
    third = runner.invoke(args=["lms", "jobs", "enqueue", KIND_CLOSE_OVERDUE])
    assert third.exit_code == 0 and int(third.output) != job_id


def test_cli_enqueue_passes_params_and_refuses_bad_input(app, db, runner):
    result = runner.invoke(
        args=["lms", "jobs", "enqueue", certificate_jobs.KIND_REMINDERS, "--param", "today=2026-01-01"]
    )
    assert result.exit_code == 0, result.output
    job = db.session.get(Job, int(result.output))
    assert job.params == {"today": "2026-01-01"} and job.state == JobState.FINISHED  # inline: ran already
    result = runner.invoke(args=["lms", "jobs", "enqueue", "no.such_kind"])
    assert result.exit_code == 1 and "no job kind" in result.output
    result = runner.invoke(args=["lms", "jobs", "enqueue", KIND_CLOSE_OVERDUE, "--param", "novalue"])
    assert result.exit_code == 2
