"""Lesson page for a signed-in learner under gunicorn (2 workers), beside a bare Flask app rendering a template
of the same size, in the same run. Target: the lesson page at 60 % or more of the bare figure.

The bare page renders its template the way every Flask page does, with ``render_template``: compiled once per
worker, then rendered. (Until 2026-12-03 the bare app used ``render_template_string``, which compiles the
template again on every request; that made the bare figure about 2.6 times lower. It is still measured and
printed, labelled, so that the earlier figures can be compared.)

Two more rows say where the lesson page's time goes: a route of this app that returns one byte, for a visitor
and for a signed-in user. The first is the cost of the app's request handling (security headers, request id,
locale, rate limits); the second adds the session and loading the signed-in user from the database.

Use wrk (``apt-get install wrk``; the load helper takes it when installed). Without it the Python client, which
shares the two cores and reaches about 2,800 requests/s on one, bounds the bare page's figure, so every share
of bare reads higher than it is.

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
from flask import Flask, render_template, render_template_string
app = Flask(__name__, template_folder=os.environ["BENCH_TEMPLATES"])
TEMPLATE = open(os.path.join(os.environ["BENCH_TEMPLATES"], "bare.html"), encoding="utf-8").read()

@app.route("/")
def page():
    return render_template("bare.html", title="Lesson", user="Đorđe Čolić")

@app.route("/compiled-per-request")
def compiled_per_request():
    return render_template_string(TEMPLATE, title="Lesson", user="Đorđe Čolić")
"""

# The app with two routes that return one byte, for the rows that split the lesson page's cost.
PROBE_APP = r"""
from flask_login import current_user
from lms import create_app
from lms.security import access

app = create_app()

@app.route("/bench/one-byte")
@access("public")
def one_byte():
    return "x"

@app.route("/bench/one-byte-signed-in")
@access("login")
def one_byte_signed_in():
    return "x" if current_user.is_authenticated else "-"
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
            "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp}",
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
        (Path(tmp) / "bench_probe_app.py").write_text(PROBE_APP)
        with gunicorn("bench_probe_app:app", env) as base:
            cookie = _sign_in(base)
            page_url = f"{base}/learn/bench/lessons/{lesson_id}"
            request = urllib.request.Request(page_url, headers={"Cookie": cookie})
            html = urllib.request.urlopen(request).read().decode()
            assert "Lesson 3.5" in html, "the benchmark is not signed in"
            signed = urllib.request.urlopen(
                urllib.request.Request(base + "/bench/one-byte-signed-in", headers={"Cookie": cookie})
            ).read()
            assert signed == b"x", "the one-byte route is not signed in"
            lms = load(page_url, SECONDS, cookie=cookie)
            one_byte = load(base + "/bench/one-byte", SECONDS)
            one_byte_signed_in = load(base + "/bench/one-byte-signed-in", SECONDS, cookie=cookie)
        templates = Path(tmp) / "bare_templates"
        templates.mkdir()
        template = templates / "bare.html"
        template.write_text(html.replace("{", "&#123;").replace("}", "&#125;") + "{{ title }} {{ user }}")
        bare_module = Path(tmp) / "bare_app.py"
        bare_module.write_text(BARE_APP)
        with gunicorn("bare_app:app", {"BENCH_TEMPLATES": str(templates), "PYTHONPATH": tmp}) as bare_base:
            bare = load(bare_base + "/", SECONDS)
            bare_compiling = load(bare_base + "/compiled-per-request", SECONDS)
        template_size = template.stat().st_size
    ratio = lms["rps"] / bare["rps"] if bare["rps"] else 0
    ratio_compiling = lms["rps"] / bare_compiling["rps"] if bare_compiling["rps"] else 0
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"

    def row(label: str, size: int | str, figures: dict) -> str:
        share = f"{figures['rps'] / bare['rps']:.0%}" if bare["rps"] else "-"
        return (
            f"| {label} | {size} | {figures['rps']:.0f} | {share} | {figures['p50']} | {figures['p99']} "
            f"| {figures['errors']} |\n"
        )

    table = (
        f"## Lesson page vs bare Flask (gunicorn, 2 workers, {database}, {SECONDS}s each, {lms['tool']})\n\n"
        "| page | bytes | requests/s | of bare | p50 | p99 | errors |\n|---|---|---|---|---|---|---|\n"
        + row("**lesson page, signed-in learner**", len(html.encode()), lms)
        + row("**bare Flask, same template size** (render_template)", template_size, bare)
        + row("bare Flask, template compiled on every request (render_template_string)", template_size, bare_compiling)
        + row("this app, a route returning one byte, visitor", 1, one_byte)
        + row("this app, a route returning one byte, signed-in user", 1, one_byte_signed_in)
        + f"\nLesson page at **{ratio:.0%}** of bare Flask (target: at least 60 %); "
        f"{ratio_compiling:.0%} of the bare page that compiles its template on every request (the baseline of "
        "the figures before 2026-12-03).\n"
    )
    print(table)
    write_result("lesson_page", table)


if __name__ == "__main__":
    main()
