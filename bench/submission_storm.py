"""A submission storm: 300 simulated learners sign in, start a timed quiz, then save answers and submit within
the last minute before the deadline, against gunicorn (2 workers) on PostgreSQL (SQLite when no PostgreSQL
answers). Prints requests/s, p50/p99 per step, and the count of answers saved vs sent, which must be equal
(zero lost), and of attempts graded, which must equal the learners (zero double-graded).

Run: ``python -m bench.submission_storm`` (``LMS_BENCH_LEARNERS`` changes the count). Bounded: every request
has a 30 s timeout and the run stops after the deadline. Sign-ins use cheap Argon2 parameters here (set through
the environment), since the benchmark is about quiz saves, not password hashing.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.cookiejar import CookieJar

from bench.support import ROOT, bench_database, gunicorn, write_result

LEARNERS = int(os.environ.get("LMS_BENCH_LEARNERS", "300"))
CONCURRENCY = 32
SAVES_PER_LEARNER = 3
PASSWORD = "Storm-password-2026"

SETUP = r"""
import sys
from decimal import Decimal
from flask_migrate import upgrade
from lms import create_app
from lms.extensions import db
from lms.models import Academy, Membership, User
from lms.passwords import hash_password
from courses import authoring
from courses.enrolment import self_enrol
from quizzes import authoring as quiz_authoring, bank
from quizzes.formats.gift import parse_gift

count, password = int(sys.argv[1]), sys.argv[2]
app = create_app()
with app.app_context():
    upgrade()
    academy = Academy(slug="storm", name="Storm Academy", country="RS")
    db.session.add(academy)
    db.session.commit()
    course = authoring.create_course(None, academy, authoring.CourseFields(title="Storm", slug="storm",
                                                                            self_enrolment=True))
    module = authoring.add_module(None, course, "M")
    authoring.add_lesson(None, module, authoring.LessonFields(title="L"))
    authoring.publish(None, course)
    gift = "\n\n".join(f"::q{i}::Name number {i}.{{=answer{i}}}" for i in range(5))
    bank.import_questions(None, course, parse_gift(gift).questions)
    quiz = quiz_authoring.create_quiz(None, course, quiz_authoring.QuizFields(
        title="Timed", slug="timed", time_limit_minutes=2, questions_per_page=0))
    for question in bank.bank_questions(course):
        quiz_authoring.add_question_slot(None, quiz, question, Decimal("1"))
    digest = hash_password(password)
    for n in range(count):
        user = User(username=f"storm{n}", email=f"storm{n}@example.org", display_name=f"Učenik {n}",
                    password_hash=digest)
        user.memberships.append(Membership(academy=academy, role="learner"))
        db.session.add(user)
    db.session.commit()
    for user in db.session.scalars(db.select(User).where(User.username.like("storm%"))):
        self_enrol(user, course)
    print(quiz.id)
"""

CHECK = r"""
import json, sys
from lms import create_app
from lms.extensions import db
from quizzes.models import Attempt, AttemptQuestion
app = create_app()
with app.app_context():
    attempts = db.session.scalars(db.select(Attempt)).all()
    items = db.session.scalars(db.select(AttemptQuestion)).all()
    saved = sum(1 for i in items if i.response)
    right = sum(1 for i in items if i.response and i.fraction == 1)
    print(json.dumps({"attempts": len(attempts), "finished": sum(a.state.value == "finished" for a in attempts),
                      "saved": saved, "right": right, "graded": sum(a.marks is not None for a in attempts)}))
"""

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


class Learner:
    def __init__(self, base: str, n: int) -> None:
        self.base, self.n = base, n
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        self.seq, self.attempt_url, self.csrf, self.positions = 0, "", "", []

    def request(self, path: str, data: dict | list | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, body, timeout=30) as response:
                return response.status, response.read().decode(), response.geturl()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), path

    def token(self, html: str) -> str:
        match = CSRF.search(html)
        return match.group(1) or match.group(2)

    def sign_in_and_start(self, quiz_id: int) -> None:
        _s, html, _u = self.request("/auth/login")
        self.request("/auth/login", {"login": f"storm{self.n}", "password": PASSWORD, "csrf_token": self.token(html)})
        _s, html, _u = self.request(f"/learn/storm/quizzes/{quiz_id}")
        _s, html, url = self.request(f"/learn/storm/quizzes/{quiz_id}/start", {"csrf_token": self.token(html)})
        self.attempt_url = urllib.parse.urlsplit(url).path
        self.csrf = self.token(html)
        self.positions = sorted({int(p) for p in re.findall(r'name="positions" value="(\d+)"', html)})
        self.texts = re.findall(r"Name number (\d+)\.", html)

    def answers(self) -> dict:
        # The attempt page lists the questions by position; each text says which answer is right.
        return {f"q{pos}-answer": f"answer{num}" for pos, num in zip(self.positions, self.texts, strict=True)}

    def save(self) -> int:
        data = {"csrf_token": self.csrf, "seq": self.seq, "positions": self.positions, **self.answers()}
        status, body, _u = self.request(self.attempt_url + "/autosave", data)
        if status == 200:
            self.seq = int(re.search(r'"seq":\s*(\d+)', body).group(1))
        return status

    def submit(self) -> int:
        data = {"csrf_token": self.csrf, "seq": self.seq, "positions": self.positions, **self.answers()}
        status, _body, _u = self.request(self.attempt_url + "/submit", data)
        return status


def timed(fn, timings: list[float], errors: list[int], lock: threading.Lock):
    start = time.perf_counter()
    status = fn()
    with lock:
        timings.append(time.perf_counter() - start)
        if status >= 400:
            errors.append(status)


def run_step(learners: list[Learner], fn_name: str) -> dict:
    timings, errors, lock = [], [], threading.Lock()
    start = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        for learner in learners:
            pool.submit(timed, getattr(learner, fn_name), timings, errors, lock)
    elapsed = time.perf_counter() - start
    timings.sort()
    return {
        "requests": len(timings),
        "rps": len(timings) / elapsed,
        "p50": statistics.median(timings) * 1000,
        "p99": timings[int(0.99 * (len(timings) - 1))] * 1000,
        "errors": len(errors),
    }


def main() -> None:
    with bench_database() as url, tempfile.TemporaryDirectory(prefix="lms-storm-") as instance:
        env = {
            "LMS_DATABASE_URL": url,
            "LMS_INSTANCE_PATH": instance,
            "LMS_SECRET_KEY": "storm-secret",
            "LMS_ENV": "development",
            "LMS_ARGON2_MEMORY_KIB": "1024",
            "LMS_ARGON2_TIME_COST": "1",
            "LMS_LOGIN_RATE_LIMIT": "100000 per minute",
            "PYTHONPATH": str(ROOT),
        }
        setup = subprocess.run(
            [sys.executable, "-c", SETUP, str(LEARNERS), PASSWORD], env={**os.environ, **env},
            capture_output=True, text=True, check=True, cwd=ROOT,
        )  # fmt: skip
        quiz_id = int(setup.stdout.strip().splitlines()[-1])
        with gunicorn("wsgi:app", env) as base:
            learners = [Learner(base, n) for n in range(LEARNERS)]
            started = time.perf_counter()
            with ThreadPoolExecutor(CONCURRENCY) as pool:
                list(pool.map(lambda learner: learner.sign_in_and_start(quiz_id), learners))
            setup_seconds = time.perf_counter() - started
            steps = {f"save {i + 1}": run_step(learners, "save") for i in range(SAVES_PER_LEARNER)}
            steps["submit"] = run_step(learners, "submit")
            storm_seconds = time.perf_counter() - started - setup_seconds
        check = subprocess.run(
            [sys.executable, "-c", CHECK],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
    import json

    counts = json.loads(check.stdout.strip().splitlines()[-1])
    sent = sum(len(learner.positions) for learner in learners)
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    rows = "\n".join(
        f"| {name} | {s['requests']} | {s['rps']:.0f} | {s['p50']:.1f} ms | {s['p99']:.1f} ms | {s['errors']} |"
        for name, s in steps.items()
    )
    table = (
        f"{LEARNERS} learners, {CONCURRENCY} at a time, gunicorn 2 workers on {database}; sign-in and start took "
        f"{setup_seconds:.1f} s, the storm {storm_seconds:.1f} s (deadline: 2 minutes after start)\n\n"
        "| step | requests | requests/s | p50 | p99 | errors |\n|---|---|---|---|---|---|\n"
        f"{rows}\n\n"
        "| answers sent | answers saved | saved right | attempts | finished | graded |\n|---|---|---|---|---|---|\n"
        f"| {sent} | {counts['saved']} | {counts['right']} | {counts['attempts']} | {counts['finished']} "
        f"| {counts['graded']} |\n"
    )
    print("\nSubmission storm\n" + table)
    write_result("submission_storm", "# Submission storm\n\n" + table)
    if counts["saved"] != sent or counts["finished"] != LEARNERS or counts["attempts"] != LEARNERS:
        raise SystemExit("answers or attempts lost: see the table")


if __name__ == "__main__":
    main()
