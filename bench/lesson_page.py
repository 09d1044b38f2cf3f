"""Lesson page for a signed-in learner under gunicorn (2 workers), beside a bare Flask app rendering a template
of the same size, in the same run. Target: the lesson page at 60 % or more of the bare figure.

Run: ``python -m bench.lesson_page`` (``make bench`` runs every benchmark). Prints a table and writes
bench/results/lesson_page.md.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

from bench.support import ROOT, bench_database, gunicorn, load, write_result

PASSWORD = "Bench-password-2026"
SECONDS = int(os.environ.get("LMS_BENCH_SECONDS", "10"))

SETUP = r"""
import sys
from lms import create_app
from lms.extensions import db
from flask_migrate import upgrade
from courses import authoring
from courses.enrolment import self_enrol
from lms.demo import load_demo
from lms.models import User
app = create_app()
with app.app_context():
    upgrade()
    load_demo(sys.argv[1])
    academy = db.session.scalar(db.select(__import__("lms.models", fromlist=["Academy"]).Academy).limit(1))
    course = authoring.create_course(None, academy, authoring.CourseFields(title="Bench course", slug="bench",
                                                                            self_enrolment=True))
    paragraph = "Evidence must be documented from the moment it is found. " * 12
    for m in range(5):
        module = authoring.add_module(None, course, f"Module {m + 1}")
        for i in range(10):
            body = "\n\n".join(f"## Section {k}\n\n{paragraph}" for k in range(6))
            fields = authoring.LessonFields(title=f"Lesson {m + 1}.{i + 1}", body_markdown=body)
            authoring.add_lesson(None, module, fields)
    authoring.publish(None, course)
    learner = db.session.scalar(db.select(User).where(User.username == "learner"))
    self_enrol(learner, course)
    print(course.modules[2].lessons[4].id)
"""

BARE_APP = r"""
import os
from flask import Flask, render_template_string
app = Flask(__name__)
TEMPLATE = open(os.environ["BENCH_TEMPLATE"], encoding="utf-8").read()

@app.route("/")
def page():
    return render_template_string(TEMPLATE, title="Lesson", user="Đorđe Čolić")
"""


def _sign_in(base: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    html = opener.open(base + "/auth/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = urllib.parse.urlencode({"login": "learner", "password": PASSWORD, "csrf_token": token}).encode()
    opener.open(base + "/auth/login", data=data)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def main() -> None:
    with bench_database() as url, tempfile.TemporaryDirectory() as tmp:
        env = {
            "LMS_DATABASE_URL": url,
            "LMS_INSTANCE_PATH": tmp,
            "LMS_ENV": "development",
            "LMS_SECRET_KEY": "bench-secret",
            "PYTHONPATH": str(ROOT),
        }
        lesson_id = (
            subprocess.run(
                [sys.executable, "-c", SETUP, PASSWORD],
                env={**os.environ, **env},
                check=True,
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        with gunicorn("wsgi:app", env) as base:
            cookie = _sign_in(base)
            page_url = f"{base}/learn/bench/lessons/{lesson_id}"
            request = urllib.request.Request(page_url, headers={"Cookie": cookie})
            html = urllib.request.urlopen(request).read().decode()
            assert "Lesson 3.5" in html, "the benchmark is not signed in"
            lms = load(page_url, SECONDS, cookie=cookie)
        template = Path(tmp) / "bare.html"
        template.write_text(html.replace("{", "&#123;").replace("}", "&#125;") + "{{ title }} {{ user }}")
        bare_module = Path(tmp) / "bare_app.py"
        bare_module.write_text(BARE_APP)
        with gunicorn("bare_app:app", {"BENCH_TEMPLATE": str(template), "PYTHONPATH": tmp}) as bare_base:
            bare = load(bare_base + "/", SECONDS)
        template_size = template.stat().st_size
    ratio = lms["rps"] / bare["rps"] if bare["rps"] else 0
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    table = (
        f"## Lesson page vs bare Flask (gunicorn, 2 workers, {database}, {SECONDS}s each, {lms['tool']})\n\n"
        f"| page | bytes | requests/s | p50 | p99 | errors |\n|---|---|---|---|---|---|\n"
        f"| lesson page, signed-in learner | {len(html.encode())} | {lms['rps']:.0f} | {lms['p50']} | {lms['p99']} "
        f"| {lms['errors']} |\n"
        f"| bare Flask, same template size | {template_size} | {bare['rps']:.0f} | {bare['p50']} "
        f"| {bare['p99']} | {bare['errors']} |\n\n"
        f"Lesson page at **{ratio:.0%}** of bare Flask (target: at least 60 %).\n"
    )
    print(table)
    write_result("lesson_page", table)


if __name__ == "__main__":
    main()
