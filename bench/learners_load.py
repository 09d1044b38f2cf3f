"""1,000 simulated learners (Moodle's "M" size) against gunicorn (2 workers) on PostgreSQL with Redis: each signs
in, opens the catalog, the course, two lessons and the module's quiz, starts an attempt, autosaves its answers
three times and submits. Prints, per step, requests, requests/s, p50/p95/p99, errors and the median number of
SQL statements per page; writes bench/results/learners_load.md.

Run: ``python -m bench.learners_load`` (``make bench`` runs every benchmark). Settings (environment):
``LMS_BENCH_USERS`` (1000), ``LMS_BENCH_SECONDS`` (a hard stop for the load, 300),
``LMS_BENCH_MAX_REQUESTS`` (users x 16), ``LMS_BENCH_CONCURRENCY`` (learners in flight at once: a quarter of
them, at most 50), ``LMS_BENCH_RAMP`` (seconds over which the learners arrive: 30 ms each),
``LMS_BENCH_ARGON2=production`` (keep the real password-hashing cost).
A smoke run: ``LMS_BENCH_USERS=20 LMS_BENCH_SECONDS=5 python -m bench.learners_load``.

Choices, and why:
- The client is our own (threads on http.client), not locust: no extra dependency, the same shape as the other
  benchmarks here, and far less client CPU than locust's gevent and statistics machinery. That matters because
  the client shares the machine's cores with gunicorn and PostgreSQL, so every figure is a lower bound for the
  server alone.
- Closed loop: at most ``LMS_BENCH_CONCURRENCY`` learners are in flight, with no think time, so the figures are
  throughput at saturation and latency includes queueing for a worker.
- The 1,000 accounts share one password hashed once (bulk insert), with cheap Argon2 parameters set through
  ``LMS_ARGON2_*``: at the production cost (64 MiB, 3 passes) each sign-in spends most of a second of CPU here,
  and the benchmark is about the pages. The output states the cost one production verification has on this
  machine. The sign-in rate limit is raised through ``LMS_LOGIN_RATE_LIMIT``, since every sign-in comes from
  127.0.0.1; the limits are kept in Redis (a spare database, flushed before and after) so both workers share them.
- SQL statements per page come from the ``X-Query-Count`` header that bench/counted_wsgi.py adds (an event
  listener enabled only there, never in ``wsgi:app``).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.client import HTTPConnection, HTTPException
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from bench.support import ROOT, bench_database, gunicorn, write_result

USERS = int(os.environ.get("LMS_BENCH_USERS", "1000"))
SECONDS = float(os.environ.get("LMS_BENCH_SECONDS", "300"))
MAX_REQUESTS = int(os.environ.get("LMS_BENCH_MAX_REQUESTS", str(USERS * 16)))
# In flight at once: a quarter of the learners, at most 50; they arrive over 30 ms per learner (1,000: 30 s).
CONCURRENCY = int(os.environ.get("LMS_BENCH_CONCURRENCY", str(max(2, min(50, USERS // 4)))))
RAMP = float(os.environ.get("LMS_BENCH_RAMP", str(USERS * 0.03)))
PRODUCTION_ARGON2 = os.environ.get("LMS_BENCH_ARGON2", "") == "production"
REDIS_URL = os.environ.get("LMS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/9")
PACKAGE = "digital-forensics-first-responders"
PASSWORD = "Learners-load-2026"
SAVES = 3
STEPS = (
    "login form",
    "sign in",
    "catalog",
    "course page",
    "lesson 1",
    "lesson 2",
    "quiz page",
    "start quiz",
    "attempt page",
    "autosave",
    "submit",
)

SETUP = r"""
import json, sys
from pathlib import Path
from flask_migrate import upgrade
from sqlalchemy import select
from lms import create_app
from lms.extensions import db
from lms.models import Academy, Membership, User
from lms.passwords import hash_password
from courses.enrolment import enrol_users
from courses.models import Course
from courses.packages import import_package
from quizzes.models import Quiz

count, password, package = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
app = create_app()
with app.app_context():
    upgrade()
    academy = Academy(slug="bench", name="Bench Academy", country="RS")
    admin = User(username="bench-admin", email="bench-admin@example.org", display_name="Bench admin", is_admin=True)
    db.session.add_all([academy, admin])
    db.session.commit()
    slug = import_package(package, academy=academy).slug
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    module = course.modules[0]
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id, Quiz.module_id == module.id))
    digest = hash_password(password)  # one hash for every account: hashing 1,000 times is not what is measured
    learners = []
    for n in range(count):
        user = User(username=f"learner{n}", email=f"learner{n}@example.org", display_name=f"Polaznik {n}",
                    password_hash=digest, profession="police_officer", country="RS")
        user.memberships.append(Membership(academy=academy, role="learner"))
        learners.append(user)
    db.session.add_all(learners)
    db.session.commit()
    enrol_users(admin, course, learners)
    print(json.dumps({"slug": slug, "lessons": [lesson.id for lesson in module.lessons[:2]], "quiz": quiz.id}))
"""

CHECK = r"""
import json
from lms import create_app
from lms.extensions import db
from quizzes.models import Attempt, AttemptQuestion
app = create_app()
with app.app_context():
    attempts = db.session.scalars(db.select(Attempt)).all()
    items = db.session.scalars(db.select(AttemptQuestion).join(Attempt).where(Attempt.state == "finished"))
    saved = sum(1 for i in items if i.response not in (None, "", [], {}))  # in submitted attempts only
    print(json.dumps({"attempts": len(attempts), "finished": sum(a.state.value == "finished" for a in attempts),
                      "saved": saved}))
"""

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


class BudgetSpentError(Exception):
    """The time or request budget is spent: the learner stops where they are (not an error)."""


class StepFailedError(Exception):
    """A step the rest of the journey depends on went wrong (already counted as an error)."""


@dataclass
class Stats:
    """Every learner's timings, shared by the client threads."""

    deadline: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    queries: dict[str, list[int]] = field(default_factory=lambda: {s: [] for s in STEPS})
    app_ms: dict[str, list[float]] = field(default_factory=lambda: {s: [] for s in STEPS})
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STEPS, 0))
    sent: int = 0
    completed: int = 0
    answers: int = 0  # questions answered by the learners who submitted
    client_errors: int = 0  # a reply the client could not use (e.g. no CSRF token, no JSON): journey dropped
    lock: threading.Lock = field(default_factory=threading.Lock)

    def claim(self) -> None:
        with self.lock:
            if self.sent >= MAX_REQUESTS or time.monotonic() >= self.deadline:
                raise BudgetSpentError
            self.sent += 1

    def record(self, step: str, seconds: float, ok: bool, queries: str | None = None, app_ms: str | None = None):
        with self.lock:
            self.latencies[step].append(seconds)
            if queries is not None:
                self.queries[step].append(int(queries))
            if app_ms is not None:
                self.app_ms[step].append(float(app_ms))
            if not ok:
                self.errors[step] += 1


@dataclass
class Reply:
    status: int
    body: str
    location: str


class AttemptForm(HTMLParser):
    """The fields of the attempt page's form: its hidden values and, per answer field, the values one may pick."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.hidden: list[tuple[str, str]] = []
        self.fields: list[list] = []  # [name, kind, options]; a select is one entry per element
        self._select: list | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "form" and a.get("id") == "attempt-form":
            self.inside = True
        elif tag == "option" and self._select is not None and a.get("value"):
            self._select[2].append(a["value"])  # the empty option is "Choose…"
        name = a.get("name")
        if not self.inside or not name:
            return
        kind = a.get("type", "text")
        if tag == "input" and kind == "hidden":
            self.hidden.append((name, a.get("value", "")))
        elif tag == "input" and kind in ("radio", "checkbox"):
            group = next((f for f in self.fields if f[0] == name), None)
            if group is None:
                self.fields.append(group := [name, kind, []])
            group[2].append(a.get("value", ""))
        elif tag in ("input", "textarea"):
            self.fields.append([name, "number" if a.get("inputmode") == "decimal" else "text", []])
        elif tag == "select":
            self._select = [name, "select", []]
            self.fields.append(self._select)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form":
            self.inside = False

    def answers(self, round_: int) -> list[tuple[str, str]]:
        """What a learner changing their mind picks on save number ``round_``: a different choice each time."""
        picked, seen = [], {}
        for name, kind, options in self.fields:
            index = seen[name] = seen.get(name, -1) + 1  # the n-th select of an ordering question
            if kind in ("radio", "checkbox", "select") and options:
                picked.append((name, options[(round_ + index) % len(options)]))
            elif kind == "number":
                picked.append((name, str(round_ + 1)))
            elif kind == "text":
                picked.append((name, f"answer {round_ + 1}"))
        return picked


class Learner:
    """One simulated learner with their own cookies and connection, walking the journey once."""

    def __init__(self, host: str, port: int, n: int, plan: dict, stats: Stats) -> None:
        self.conn = HTTPConnection(host, port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.n, self.plan, self.stats = n, plan, stats

    def request(self, step: str, method: str, path: str, form: list | dict | None = None, expect=(200,)) -> Reply:
        self.stats.claim()
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            text = response.read().decode()
        except (OSError, HTTPException):  # refused, reset, timed out, or a broken reply
            self.conn.close()
            self.stats.record(step, time.perf_counter() - start, ok=False)
            raise StepFailedError from None
        self.stats.record(step, time.perf_counter() - start, response.status in expect,
                          response.getheader("X-Query-Count"), response.getheader("X-App-Ms"))  # fmt: skip
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel.value and morsel["max-age"] != "0":
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        if response.status not in expect:
            raise StepFailedError
        return Reply(response.status, text, urlsplit(response.getheader("Location") or "").path)

    def journey(self) -> None:
        slug, quiz = self.plan["slug"], self.plan["quiz"]
        page = self.request("login form", "GET", "/auth/login")
        credentials = {"login": f"learner{self.n}", "password": PASSWORD, "csrf_token": _token(page.body)}
        self.request("sign in", "POST", "/auth/login", credentials, expect=(302, 303))
        self.request("catalog", "GET", "/catalog")
        self.request("course page", "GET", f"/courses/{slug}")
        for number, lesson in enumerate(self.plan["lessons"], 1):
            self.request(f"lesson {number}", "GET", f"/learn/{slug}/lessons/{lesson}")
        page = self.request("quiz page", "GET", f"/learn/{slug}/quizzes/{quiz}")
        started = self.request(
            "start quiz", "POST", f"/learn/{slug}/quizzes/{quiz}/start", {"csrf_token": _token(page.body)}, (302, 303)
        )
        attempt_url = started.location
        form = AttemptForm()
        form.feed(self.request("attempt page", "GET", attempt_url).body)
        hidden = dict(form.hidden)
        fixed = [(k, v) for k, v in form.hidden if k not in ("seq",)]
        seq = hidden.get("seq", "0")
        for round_ in range(SAVES):
            reply = self.request("autosave", "POST", attempt_url + "/autosave", [*fixed, ("seq", seq),
                                                                              *form.answers(round_)])  # fmt: skip
            seq = str(json.loads(reply.body)["seq"])
        self.request("submit", "POST", attempt_url + "/submit", [*fixed, ("seq", seq), *form.answers(SAVES)],
                     expect=(302, 303))  # fmt: skip
        with self.stats.lock:
            self.stats.completed += 1
            self.stats.answers += sum(1 for name, _value in form.hidden if name == "positions")


def _token(html: str) -> str:
    match = CSRF.search(html)
    if match is None:
        raise LookupError("no CSRF token on the page")
    return match.group(1) or match.group(2)


def _run_learner(host: str, port: int, n: int, plan: dict, stats: Stats, not_before: float) -> None:
    time.sleep(max(0.0, not_before - time.monotonic()))
    learner = Learner(host, port, n, plan, stats)
    try:
        learner.journey()
    except (BudgetSpentError, StepFailedError):
        pass
    except Exception:  # an unexpected page: count it rather than lose it in the thread pool
        with stats.lock:
            stats.client_errors += 1
    finally:
        learner.conn.close()


def run_load(base: str, plan: dict) -> tuple[Stats, float, float]:
    """Learners arrive evenly over ``RAMP`` seconds, at most ``CONCURRENCY`` at once; returns the stats, the wall
    time and the client's own CPU time."""
    parts = urlsplit(base)
    start, cpu = time.monotonic(), time.process_time()
    stats = Stats(deadline=start + SECONDS)
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        for n in range(USERS):
            pool.submit(_run_learner, parts.hostname, parts.port, n, plan, stats, start + RAMP * n / max(USERS, 1))
    return stats, time.monotonic() - start, time.process_time() - cpu


def production_verify_ms() -> float:
    """What one password check costs here at the production Argon2 parameters (lms/config.py defaults)."""
    from argon2 import PasswordHasher

    from lms.config import DEFAULTS

    hasher = PasswordHasher(
        time_cost=DEFAULTS["LMS_ARGON2_TIME_COST"],
        memory_cost=DEFAULTS["LMS_ARGON2_MEMORY_KIB"],
        parallelism=DEFAULTS["LMS_ARGON2_PARALLELISM"],
    )
    digest = hasher.hash(PASSWORD)
    start = time.perf_counter()
    for _ in range(3):
        hasher.verify(digest, PASSWORD)
    return (time.perf_counter() - start) / 3 * 1000


def _flush_redis() -> bool:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=2).flushdb()
        return True
    except Exception:  # no Redis here: each worker keeps its own in-memory limits
        return False


def _percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, round(q * (len(values) - 1)))] * 1000


def _row(name: str, latencies: list[float], queries: list[int], app_ms: list[float], errors: int, seconds: float):
    if not latencies:
        return f"| {name} | 0 | 0 | – | – | – | {errors} | – | – |"
    values = sorted(latencies)
    sql = f"{statistics.median(queries):g}" if queries else "–"
    in_app = f"{statistics.median(app_ms):.0f} ms" if app_ms else "–"
    return (
        f"| {name} | {len(values)} | {len(values) / seconds:.1f} | {_percentile(values, 0.5):.0f} ms "
        f"| {_percentile(values, 0.95):.0f} ms | {_percentile(values, 0.99):.0f} ms | {errors} | {sql} | {in_app} |"
    )


def report(stats: Stats, seconds: float, client_cpu: float, counts: dict, notes: list[str]) -> str:
    rows = [_row(s, stats.latencies[s], stats.queries[s], stats.app_ms[s], stats.errors[s], seconds) for s in STEPS]
    every = [t for s in STEPS for t in stats.latencies[s]]
    queries = [q for s in STEPS for q in stats.queries[s]]
    app_ms = [t for s in STEPS for t in stats.app_ms[s]]
    rows.append(_row("**all**", every, queries, app_ms, sum(stats.errors.values()), seconds))
    return (
        "| step | requests | req/s | p50 | p95 | p99 | errors | SQL/page (median) | in the app (median) |\n"
        "|---|---|---|---|---|---|---|---|---|\n" + "\n".join(rows) + "\n\n"
        f"Learners: {USERS} arriving over {RAMP:g} s, at most {CONCURRENCY} at once, no think time; "
        f"{stats.completed} finished the journey, {counts['finished']} attempts finished in the database "
        f"(of {counts['attempts']} started); answers submitted {stats.answers}, saved in the database "
        f"{counts['saved']}; journeys dropped on a reply the client could not use: {stats.client_errors}. "
        f"{stats.sent} requests in {seconds:.1f} s "
        f"(bounds: {SECONDS:g} s, {MAX_REQUESTS} requests). req/s per step is its requests over the whole run; "
        "p50/p95/p99 are as the client saw them (with the wait for a free worker), the last column is the time "
        "inside Flask (bench/counted_wsgi.py).\n\n" + "\n".join(f"- {note}" for note in notes) + "\n"
    )


def main() -> None:
    verify_ms = production_verify_ms()
    with bench_database() as url, tempfile.TemporaryDirectory(prefix="lms-load-") as instance:
        redis_ok = _flush_redis()
        env = {
            "LMS_DATABASE_URL": url,
            "LMS_INSTANCE_PATH": instance,
            "LMS_SECRET_KEY": "learners-load-secret",
            "LMS_ENV": "production",
            "LMS_LOG_LEVEL": "WARNING",
            "LMS_LOGIN_RATE_LIMIT": "1000000 per minute",
            "LMS_BENCH_COUNT_QUERIES": "1",
            "PYTHONPATH": str(ROOT),
        }
        if redis_ok:
            env["LMS_REDIS_URL"] = REDIS_URL
        if not PRODUCTION_ARGON2:
            env |= {"LMS_ARGON2_MEMORY_KIB": "1024", "LMS_ARGON2_TIME_COST": "1", "LMS_ARGON2_PARALLELISM": "1"}
        started = time.monotonic()
        setup = subprocess.run(
            [sys.executable, "-c", SETUP, str(USERS), PASSWORD, str(ROOT / "content" / PACKAGE)],
            env={**os.environ, **env}, capture_output=True, text=True, cwd=ROOT,
        )  # fmt: skip
        if setup.returncode:
            raise SystemExit("set-up failed:\n" + setup.stderr[-3000:])
        plan = json.loads(setup.stdout.strip().splitlines()[-1])
        setup_seconds = time.monotonic() - started
        try:
            load_before = os.getloadavg()[0]
            with gunicorn("bench.counted_wsgi:app", env) as base:
                stats, seconds, client_cpu = run_load(base, plan)
            load_after = os.getloadavg()[0]
        finally:
            if redis_ok:
                _flush_redis()
        check = subprocess.run(
            [sys.executable, "-c", CHECK], env={**os.environ, **env}, capture_output=True, text=True, check=True,
            cwd=ROOT,
        )  # fmt: skip
    counts = json.loads(check.stdout.strip().splitlines()[-1])
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite (no PostgreSQL answered)"
    argon2 = (
        "production Argon2 parameters"
        if PRODUCTION_ARGON2
        else f"cheap Argon2 for the bench (LMS_ARGON2_MEMORY_KIB=1024, TIME_COST=1); at the production parameters "
        f"one password check costs {verify_ms:.0f} ms of CPU here, so {USERS} sign-ins would add about "
        f"{USERS * verify_ms / 1000:.0f} CPU-seconds"
    )
    notes = [
        f"gunicorn 2 sync workers (bench.counted_wsgi:app) on {database}; "
        + (f"rate limits in Redis ({REDIS_URL}, flushed before and after)" if redis_ok else "no Redis answered"),
        f"sign-in rate limit raised (LMS_LOGIN_RATE_LIMIT={env['LMS_LOGIN_RATE_LIMIT']}): every sign-in comes "
        "from 127.0.0.1; " + argon2,
        f"course: the demo curriculum {plan['slug']} (content/), its first module's two first lessons and quiz; "
        f"{USERS} accounts bulk-inserted with one precomputed hash and enrolled in {setup_seconds:.0f} s of set-up",
        f"the client runs on the same {os.cpu_count()} cores as gunicorn and PostgreSQL: it used {client_cpu:.1f} "
        f"CPU-seconds in {seconds:.1f} s, so these are lower bounds for the server alone; the 1-minute load "
        f"average was {load_before:.1f} before the run and {load_after:.1f} at its end (anything above "
        f"{os.cpu_count()} means other processes competed for the cores)",
    ]
    text = report(stats, seconds, client_cpu, counts, notes)
    print("\nLearners load\n\n" + text)
    write_result("learners_load", f"# Learners load ({USERS} learners)\n\n" + text)


if __name__ == "__main__":
    main()
