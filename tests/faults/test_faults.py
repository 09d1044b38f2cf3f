"""Fault tests: the app under gunicorn (2 workers, no --preload) on a PostgreSQL server and a Redis of the test's
own, while workers are killed with SIGKILL, PostgreSQL restarts and Redis disappears.

- A worker killed in the middle of a save, of a submission, of a certificate issue and of a bulk-issue job:
  nothing half-done is left, a client that retries succeeds, every acknowledged save is stored exactly once, each
  attempt is graded once, serial numbers have no gap, and the job finishes when run again.
- PostgreSQL restarted while requests flow: 503 for a moment, then 200 again, from the same workers.
- Redis gone: signing in still works (rate limits per process, one warning), /healthz says so (503), and a job
  enqueued meanwhile is not lost.

A kill lands inside a chosen transaction: the test holds a row lock the request needs, waits until the request
waits for it (pg_stat_activity), finds the worker owning that database connection (its local TCP port, in
/proc) and kills that worker. Figures (requests, failures, how long the 503s lasted) are printed, not asserted.
"""

from __future__ import annotations

import contextlib
import random
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, select, text

from tests.conftest import build_app, csrf_from, reset_schema
from tests.faults.conftest import PASSWORD, LocalRedis, served, wait_for, waiting_backend_port

requests = pytest.importorskip("requests")

LEARNERS = 8
COHORT_SIZE = 150  # two chunks of the bulk issue (certificates.jobs.CHUNK = 100)
GIFT = "::sa::Name the model of child-friendly services.{=Barnahus}\n\n::num::Hours in a day?{#24:0}\n\n::tf::Yes?{T}\n"
RETRYABLE = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


# --- the site: data, the served app, a Redis -------------------------------------------------------------------


@dataclass
class Site:
    app: object  # the test process's own app on the same database: set-up and checks
    url: str
    engine: object
    server: object
    redis: LocalRedis
    ids: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        return self.server.base


def _people(academy, prefix: str, count: int, role: str = "learner", password: bool = True) -> list:
    from lms.models import Membership, User, UserStatus
    from lms.passwords import hash_password

    hashed = hash_password(PASSWORD) if password else None
    users = []
    for n in range(count):
        user = User(
            username=f"{prefix}{n:03d}",
            email=f"{prefix}{n:03d}@fault.test",
            display_name=f"{prefix.title()} {n}",
            password_hash=hashed,
            status=UserStatus.ACTIVE,
            profession="police_officer",
            country="RS",
        )
        user.memberships.append(Membership(academy=academy, role=role))
        users.append(user)
    return users


def _make_data() -> dict:
    import pyotp

    from certificates.accreditations import AccreditationFields, create_accreditation
    from courses import authoring as courses
    from courses import enrolment
    from lms.extensions import db
    from lms.models import Academy, Cohort, CohortMember
    from quizzes import authoring, bank
    from quizzes.formats.gift import parse_gift

    academy = Academy(slug="fault", name="Fault Academy", country="RS")
    db.session.add(academy)
    learners = _people(academy, "learner", LEARNERS)
    members = _people(academy, "member", COHORT_SIZE, password=False)
    walk_in = _people(academy, "walkin", 1, password=False)[0]
    registrar = _people(academy, "registrar", 1, role="registrar")[0]
    registrar.totp_secret, registrar.totp_enabled = pyotp.random_base32(), True
    db.session.add_all([*learners, *members, walk_in, registrar])
    db.session.commit()

    def published(slug: str):
        course = courses.create_course(None, academy, courses.CourseFields(title=slug, slug=slug, self_enrolment=True))
        courses.add_lesson(None, courses.add_module(None, course, "M"), courses.LessonFields(title="L"))
        courses.publish(None, course)
        return course

    course = published("quiz-course")
    bank.import_questions(None, course, parse_gift(GIFT).questions)
    quiz = authoring.create_quiz(None, course, authoring.QuizFields(title="Check", slug="check", questions_per_page=1))
    by_name = {q.name: q for q in bank.bank_questions(course)}
    for name in ("sa", "num", "tf"):  # positions 1, 2, 3, one a page
        authoring.add_question_slot(None, quiz, by_name[name], Decimal("1"))
    for learner in learners:
        enrolment.self_enrol(learner, course)

    accredited = published("cert-course")
    accreditation = create_accreditation(
        None, academy, accredited, AccreditationFields(curriculum_code="FT-1", credit_hours=Decimal("8"))
    )
    cohort = Cohort(academy_id=academy.id, name="Intake")
    db.session.add(cohort)
    db.session.flush()
    db.session.add_all([CohortMember(cohort_id=cohort.id, user_id=m.id) for m in members])
    db.session.commit()
    return {
        "academy": academy.id,
        "course_slug": course.slug,
        "quiz": quiz.id,
        "learners": [u.username for u in learners],
        "members": sorted(m.id for m in members),
        "walk_in": walk_in.username,
        "walk_in_id": walk_in.id,
        "registrar": registrar.username,
        "totp": registrar.totp_secret,
        "accreditation": accreditation.id,
        "cohort": cohort.id,
    }


@pytest.fixture(scope="module")
def site(local_postgres):
    url = local_postgres.create_database()
    app = build_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        reset_schema()
        ids = _make_data()
    redis = LocalRedis()
    redis.start()
    engine = create_engine(url)
    try:
        # Jobs in threads of the web workers (rq would hide them in the worker process); Redis serves the rate
        # limits, as in production.
        with served(url, LMS_REDIS_URL=redis.url, LMS_JOB_RUNNER="thread") as server:
            yield Site(app, url, engine, server, redis, ids)
    finally:
        redis.kill()
        engine.dispose()
        with app.app_context():
            from lms.extensions import db

            db.engine.dispose()


# --- a client that retries ----------------------------------------------------------------------------------------


@dataclass
class Tally:
    requests: int = 0
    failed: int = 0  # connection lost or 5xx: retried
    stale: int = 0  # 409 answers (a retried save refused)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **counts: int) -> None:
        with self.lock:
            for key, value in counts.items():
                setattr(self, key, getattr(self, key) + value)


def retrying(send, tally: Tally | None = None, tries: int = 40):
    """``send()`` until it gets an answer below 500: a lost connection or a 5xx is retried after a short pause
    (a killed worker's requests; the master starts a new worker meanwhile)."""
    for _ in range(tries):
        if tally:
            tally.add(requests=1)
        try:
            response = send()
        except RETRYABLE:
            response = None
        if response is not None and response.status_code < 500:
            return response
        if tally:
            tally.add(failed=1)
        time.sleep(0.2)
    raise AssertionError(f"no answer after {tries} tries")


def sign_in(base: str, username: str, totp: str | None = None, tally: Tally | None = None):
    """A requests session signed in through the real form (and the second factor)."""
    import pyotp

    session = requests.Session()

    def attempt():
        page = session.get(f"{base}/auth/login", timeout=30)
        data = {"login": username, "password": PASSWORD, "csrf_token": csrf_from(page.text)}
        response = session.post(f"{base}/auth/login", data=data, allow_redirects=False, timeout=30)
        if totp and response.status_code == 302 and "/auth/two-factor" in response.headers["Location"]:
            page = session.get(f"{base}/auth/two-factor", timeout=30)
            code = {"code": pyotp.TOTP(totp).now(), "csrf_token": csrf_from(page.text)}
            response = session.post(f"{base}/auth/two-factor", data=code, allow_redirects=False, timeout=30)
        return response

    response = retrying(attempt, tally)
    assert response.status_code == 302 and "/auth/" not in response.headers["Location"], response.text[:500]
    return session


class Learner:
    """One learner taking the quiz over HTTP: start, autosave, submit."""

    def __init__(self, site: Site, username: str, tally: Tally | None = None) -> None:
        self.site, self.username, self.tally = site, username, tally
        self.session = sign_in(site.base, username, tally=tally)
        self.acked: list[tuple[int, dict]] = []  # (seq answered, the answers) of each acknowledged save

    def start(self) -> None:
        base, ids = self.site.base, self.site.ids
        quiz_url = f"{base}/learn/{ids['course_slug']}/quizzes/{ids['quiz']}"
        page = retrying(lambda: self.session.get(quiz_url, timeout=30), self.tally)
        token = csrf_from(page.text)
        response = retrying(
            lambda: self.session.post(
                quiz_url + "/start", data={"csrf_token": token}, allow_redirects=False, timeout=30
            ),
            self.tally,
        )
        assert response.status_code == 302, response.text[:300]
        self.attempt_id = int(re.search(r"/attempts/(\d+)", response.headers["Location"]).group(1))
        page = retrying(lambda: self.session.get(f"{base}/attempts/{self.attempt_id}", timeout=30), self.tally)
        self.csrf = csrf_from(page.text)
        self.seq = int(re.search(r'name="seq" value="(\d+)"', page.text).group(1))

    def save_data(self, answers: dict[int, str]) -> dict:
        data = {"csrf_token": self.csrf, "seq": str(self.seq), "positions": [str(p) for p in answers]}
        data.update({f"q{p}-answer": value for p, value in answers.items()})
        return data

    def send_save(self, answers: dict[int, str]):
        return self.session.post(
            f"{self.site.base}/attempts/{self.attempt_id}/autosave", data=self.save_data(answers), timeout=30
        )

    def autosave(self, answers: dict[int, str]) -> None:
        """One save, sent again until answered: 200 (the new number) or 409 (refused as stale)."""
        response = retrying(lambda: self.send_save(answers), self.tally)
        if response.status_code == 409:
            if self.tally:
                self.tally.add(stale=1)
            raise AssertionError(f"{self.username}: a retried save was refused as stale: {response.text[:300]}")
        assert response.status_code == 200, response.text[:300]
        self.seq = response.json()["seq"]
        self.acked.append((self.seq, answers))

    def send_submit(self, answers: dict[int, str]):
        return self.session.post(
            f"{self.site.base}/attempts/{self.attempt_id}/submit",
            data=self.save_data(answers),
            allow_redirects=False,
            timeout=30,
        )

    def submit(self, answers: dict[int, str]) -> None:
        response = retrying(lambda: self.send_submit(answers), self.tally)
        assert response.status_code == 302, response.text[:300]
        location = response.headers["Location"]
        assert location.endswith(f"/attempts/{self.attempt_id}/review"), f"{self.username}: sent to {location}"


@contextlib.contextmanager
def holding(site: Site, sql: str, **params):
    """Hold a row lock (``SELECT ... FOR UPDATE``) until the block ends."""
    with site.engine.connect() as conn:
        transaction = conn.begin()
        assert conn.execute(text(sql), params).first() is not None, "nothing to lock"
        try:
            yield
        finally:
            transaction.rollback()


def kill_inside(site: Site, lock_sql: str, send, **params):
    """Send a request (``send`` in a thread) that runs into the row ``lock_sql`` locks, kill -9 the worker
    serving it while it waits inside its transaction, release the row; returns what the client got (the
    response, or the exception) and the killed pid."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["result"] = send()
        except Exception as exc:  # what the client sees of the killed worker
            outcome["result"] = exc

    with holding(site, lock_sql, **params):
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        port = waiting_backend_port(site.engine)
        pid = wait_for(lambda: site.server.worker_with_local_port(port), what="the worker of that connection")
        site.server.kill_worker(pid)
    thread.join(timeout=30)
    return outcome.get("result"), pid


def attempt_row(site: Site, attempt_id: int) -> dict:
    with site.engine.connect() as conn:
        row = conn.execute(
            text("SELECT seq, state, finished_by, marks FROM quizzes_attempt WHERE id = :id"), {"id": attempt_id}
        ).one()
        items = conn.execute(
            text(
                "SELECT position, response, fraction FROM quizzes_attempt_question WHERE attempt_id = :id "
                "ORDER BY position"
            ),
            {"id": attempt_id},
        ).all()
    return {"seq": row.seq, "state": row.state, "by": row.finished_by, "marks": row.marks, "items": items}


# --- 1. quiz saves and submissions ------------------------------------------------------------------------------

ITEM_SQL = "SELECT 1 FROM quizzes_attempt_question WHERE attempt_id = :attempt AND position = :position FOR UPDATE"
ATTEMPT_SQL = "SELECT 1 FROM quizzes_attempt WHERE id = :attempt FOR UPDATE"


def test_a_worker_killed_inside_a_save_or_a_submission_loses_nothing(site):
    learner = Learner(site, site.ids["learners"][0])
    learner.start()
    seq0 = learner.seq

    # Killed inside the save's transaction: nothing stored; the same request again is stored once.
    got, _pid = kill_inside(site, ATTEMPT_SQL, lambda: learner.send_save({1: "Barnahus"}), attempt=learner.attempt_id)
    assert isinstance(got, RETRYABLE), got
    assert attempt_row(site, learner.attempt_id)["seq"] == seq0
    learner.autosave({1: "Barnahus", 2: "24"})
    assert learner.seq == seq0 + 1

    # Killed while grading, after the last page's save committed: the answer is stored, the attempt not yet
    # finished. The same submission sent again is the same save (not a stale one) and grades the attempt once.
    got, _pid = kill_inside(
        site, ITEM_SQL, lambda: learner.send_submit({3: "true"}), attempt=learner.attempt_id, position=1
    )
    assert isinstance(got, RETRYABLE), got
    row = attempt_row(site, learner.attempt_id)
    assert (row["state"], row["seq"], row["items"][2].response) == ("in_progress", seq0 + 2, True)
    learner.submit({3: "true"})
    row = attempt_row(site, learner.attempt_id)
    assert (row["state"], row["by"], row["marks"], row["seq"]) == ("finished", "learner", Decimal("3"), seq0 + 2)
    assert all(item.fraction == 1 for item in row["items"])


def test_learners_saving_and_submitting_while_workers_are_killed(site):
    tally = Tally()
    learners = [Learner(site, name, tally) for name in site.ids["learners"][1:]]
    done = threading.Event()
    kills: list[int] = []
    errors: list[str] = []

    def killer() -> None:
        # A worker every 0.7 s (even both at once: their requests wait in the master's socket meanwhile).
        rng = random.Random(7)
        while not done.wait(0.7) and len(kills) < 4:
            pids = site.server.worker_pids()
            if pids:
                pid = rng.choice(pids)
                with contextlib.suppress(ProcessLookupError, AssertionError):
                    site.server.kill_worker(pid)
                    kills.append(pid)

    def take(learner: Learner) -> None:
        try:
            learner.start()
            for k in range(6):
                learner.autosave({1: f"draft {learner.username} {k}", 2: str(k)})
                time.sleep(0.1)
            learner.autosave({1: "Barnahus", 2: "24"})
            learner.submit({3: "true"})
        except Exception as exc:  # collected: a thread's exception would not fail the test
            errors.append(f"{learner.username}: {exc!r}")

    threads = [threading.Thread(target=take, args=(learner,)) for learner in learners]
    kill_thread = threading.Thread(target=killer)
    kill_thread.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    done.set()
    kill_thread.join()
    print(
        f"\nfaults: {len(learners)} learners, {tally.requests} requests, {tally.failed} failed and retried, "
        f"{tally.stale} refused as stale, {len(kills)} workers killed"
    )
    assert errors == []

    for learner in learners:
        row = attempt_row(site, learner.attempt_id)
        # Each acknowledged save was applied exactly once: the numbers answered are 1, 2, 3 ... in order.
        assert [seq for seq, _answers in learner.acked] == list(range(1, len(learner.acked) + 1))
        # The last acknowledged answers are stored (later ones were the submission's), graded once.
        assert [item.response for item in row["items"]] == ["Barnahus", "24", True]
        assert (row["state"], row["by"], row["marks"]) == ("finished", "learner", Decimal("3"))
        assert row["seq"] == len(learner.acked) + 1
    with site.engine.connect() as conn:
        per_user = conn.execute(
            text("SELECT user_id, count(*) FROM quizzes_attempt WHERE quiz_id = :q GROUP BY user_id"),
            {"q": site.ids["quiz"]},
        ).all()
    assert len(per_user) == LEARNERS and all(count == 1 for _user, count in per_user)


# --- 2. certificates ------------------------------------------------------------------------------------------------


def _serials(site: Site) -> tuple[list[int], int, list]:
    from certificates.accreditations import issuer_for
    from certificates.codes import format_serial
    from certificates.models import Certificate, SerialCounter
    from lms.extensions import db
    from lms.models import Academy

    with site.app.app_context():
        year = date.today().year
        rows = db.session.scalars(
            select(Certificate).where(Certificate.academy_id == site.ids["academy"]).order_by(Certificate.number)
        ).all()
        counter = db.session.get(SerialCounter, (site.ids["academy"], year))
        prefix = issuer_for(db.session.get(Academy, site.ids["academy"])).serial_prefix
        # Every certificate is whole: its serial is its number, it has a code and its holder's name.
        for c in rows:
            assert c.serial == format_serial(prefix, c.year, c.number) and c.code and c.holder_name, c.serial
        return [c.number for c in rows], (counter.last_number if counter else 0), [c.user_id for c in rows]


def test_a_worker_killed_inside_a_certificate_issue_leaves_no_gap(site):
    registrar = sign_in(site.base, site.ids["registrar"], totp=site.ids["totp"])
    issue_url = f"{site.base}/certificates/manage/accreditations/{site.ids['accreditation']}/issue"
    page = retrying(lambda: registrar.get(issue_url, timeout=30))
    numbers_before, _last, _users = _serials(site)
    one = {
        "one-csrf_token": csrf_from(page.text, "one-csrf_token"),
        "one-person": site.ids["walk_in"],
        "one-completed_on": date.today().isoformat(),
    }

    def send_one():
        return registrar.post(issue_url, data=one, allow_redirects=False, timeout=30)

    user_sql = "SELECT 1 FROM lms_user WHERE id = :user FOR UPDATE"
    got, _pid = kill_inside(site, user_sql, send_one, user=site.ids["walk_in_id"])
    assert isinstance(got, RETRYABLE), got
    assert _serials(site)[0] == numbers_before  # nothing issued, the number not used up
    response = retrying(send_one)
    assert response.status_code == 302 and "/certificates/" in response.headers["Location"]
    numbers, last, holders = _serials(site)
    assert numbers == list(range(1, len(numbers_before) + 2)) and last == numbers[-1]
    assert holders.count(site.ids["walk_in_id"]) == 1
    with site.engine.connect() as conn:  # its audit event was written once, with it (the killed try wrote none)
        issued = text("SELECT count(*) FROM lms_audit_event WHERE action = 'certificates.issued'")
        assert conn.execute(issued).scalar() == 1

    # The bulk issue for the cohort, in a thread of the worker that took the request: killed in its second chunk
    # of 100, after the first chunk committed.
    page = retrying(lambda: registrar.get(issue_url, timeout=30))
    cohort = {
        "cohort-csrf_token": csrf_from(page.text, "cohort-csrf_token"),
        "cohort-cohort": str(site.ids["cohort"]),
        "cohort-completed_on": date.today().isoformat(),
    }
    member = site.ids["members"][120]

    def start_job():
        response = registrar.post(issue_url, data=cohort, allow_redirects=False, timeout=30)
        assert response.status_code == 302, response.text[:300]
        return response

    got, _pid = kill_inside(site, user_sql, start_job, user=member)
    job_id = int(re.search(r"/jobs/(\d+)", got.headers["Location"]).group(1))
    numbers, last, holders = _serials(site)
    members = set(site.ids["members"])
    assert sum(1 for h in holders if h in members) == 100
    assert numbers == list(range(1, len(numbers) + 1)) and last == numbers[-1]

    from lms.extensions import db
    from lms.jobs.models import Job
    from lms.jobs.services import run_due
    from lms.models.base import utcnow

    with site.app.app_context():
        stuck = db.session.get(Job, job_id)
        assert (stuck.state, stuck.done) == ("running", 100)
        # What `lms jobs run-due` does once the job has made no progress for LMS_JOB_STALE_MINUTES.
        run_due(now=utcnow() + timedelta(hours=1))
        job = db.session.get(Job, job_id, populate_existing=True)
        assert (job.state, job.done, job.attempts) == ("finished", COHORT_SIZE, 1)
        assert (job.result["issued"], job.result["already_held"]) == (COHORT_SIZE - 100, 100)
    numbers, last, holders = _serials(site)
    assert sorted(h for h in holders if h in members) == site.ids["members"]  # each member once
    assert numbers == list(range(1, len(numbers) + 1)) and last == numbers[-1]


# --- 3. PostgreSQL restarted ----------------------------------------------------------------------------------------


def test_postgresql_restarting_gives_503_then_the_same_workers_recover(site, local_postgres):
    site.server.wait_ready()  # the workers killed by the tests before are replaced
    learner = sign_in(site.base, site.ids["learners"][0])
    workers = site.server.worker_pids()
    seen: list[tuple[float, str, object]] = []
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            for path in ("/healthz", "/dashboard"):
                try:
                    status = learner.get(site.base + path, timeout=30, allow_redirects=False).status_code
                except requests.RequestException as exc:
                    status = type(exc).__name__
                seen.append((time.monotonic(), path, status))
            time.sleep(0.02)

    client = threading.Thread(target=loop)
    client.start()
    try:
        wait_for(lambda: len(seen) >= 10, what="requests before the restart")
        restarted_at = time.monotonic()
        local_postgres.restart()
        back_at = time.monotonic()

        def recovered() -> bool:
            last = [s for t, p, s in seen if t > back_at][-10:]
            return len(last) == 10 and all(s == 200 for s in last)

        wait_for(recovered, timeout=60, what="200 again after the restart")
    finally:
        stop.set()
        client.join(timeout=30)
    failed = [(t, p, s) for t, p, s in seen if s != 200]
    unavailable = [t for t, _p, s in failed if s == 503]
    span = f"{unavailable[-1] - unavailable[0]:.2f}s" if unavailable else "-"
    print(
        f"\nfaults: PostgreSQL restart took {back_at - restarted_at:.2f}s; {len(seen)} requests, {len(failed)} not "
        f"200 ({len(unavailable)} answered 503, over {span}); first 200 after it "
        f"{next((t for t, _p, s in seen if t > back_at and s == 200), back_at) - back_at:.2f}s after pg_ctl returned"
    )
    # Never a 500, never a dropped connection.
    assert {s for _t, _p, s in failed} <= {503}, f"{failed}\n{site.server.log()[-4000:]}"
    assert unavailable, "no request met the restart"
    assert site.server.worker_pids() == workers and site.server.process.poll() is None  # nobody restarted


# --- 4. Redis gone ----------------------------------------------------------------------------------------------------

FALLBACK_WARNING = "Rate limit storage unreachable - falling back to in-memory storage"


def test_without_redis_sign_in_works_healthz_says_so_and_jobs_are_kept(site):
    log_start = len(site.server.log())
    site.redis.kill()
    try:
        for name in site.ids["learners"][:3]:
            session = sign_in(site.base, name)
            assert session.get(site.base + "/dashboard", timeout=30, allow_redirects=False).status_code == 200
        health = requests.get(site.base + "/healthz", timeout=30)
        assert health.status_code == 503
        assert health.json()["checks"]["redis"].startswith("error") and health.json()["checks"]["database"] == "ok"
        warnings = site.server.log()[log_start:].count(FALLBACK_WARNING)
        assert 1 <= warnings <= site.server.workers  # once per worker process, not once per request

        from certificates import jobs as certificate_jobs
        from certificates.models import Accreditation
        from lms import jobs
        from lms.extensions import db
        from lms.jobs.models import Job
        from lms.models import Cohort

        # Jobs enqueued meanwhile by an app that would hand them to RQ: the request does not fail, the row is
        # kept, and the job is done (in a thread of the process, with a warning).
        app = build_app(
            SQLALCHEMY_DATABASE_URI=site.url,
            LMS_REDIS_URL=site.redis.url,
            LMS_JOB_RUNNER="auto",
        )
        with app.app_context():
            job_id = jobs.enqueue("privacy.purge", params={"dry_run": True}).id
            row = wait_for(
                lambda: (j := db.session.get(Job, job_id, populate_existing=True)).state == "finished" and j,
                timeout=60,
                what="the job to finish",
            )
            assert row.result["dry_run"] is True
            accreditation = db.session.get(Accreditation, site.ids["accreditation"])
            cohort = db.session.get(Cohort, site.ids["cohort"])
            job_id = certificate_jobs.start_cohort_issue(None, accreditation, cohort, date.today()).id
            row = wait_for(
                lambda: (j := db.session.get(Job, job_id, populate_existing=True)).state == "finished" and j,
                timeout=60,
                what="the certificates job to finish",
            )
            assert row.total == COHORT_SIZE
            db.session.remove()
            db.engine.dispose()
    finally:
        site.redis.start()  # the same port again, for whatever runs after
    assert requests.get(site.base + "/healthz", timeout=30).status_code == 200
