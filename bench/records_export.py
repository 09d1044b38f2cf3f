"""Records export: 200,000 completion rows (``lms records export --kind progress``) to CSV, beside a plain streaming
SQLAlchemy Core loop that writes the same rows (the same statement, ``yield_per``, ``csv.writer`` of the raw
values) in the same run, and the same rows to XLSX (openpyxl write-only). For reference, the naive way too: the
ORM objects in a list, then the course report's formatting (what a first version would do).

Targets: the CSV export within 1.2x of the plain loop's time and under 80 MB of extra memory.

Memory is how far the peak resident set of a fresh subprocess per run rises above its resident set just before
the export: each run starts its own interpreter, builds the app, warms up (imports, one small query), resets the
kernel's peak to its resident set now (/proc/self/clear_refs), exports to a file on disk, and reads its peak
(VmHWM in /proc/self/status; ru_maxrss where there is no /proc). No tracemalloc:
it would slow the runs it measures. The plain loop and the CSV export run ``LMS_BENCH_EXPORT_RUNS`` times each,
alternating, and the median is shown; the XLSX and the naive list run once.

The database: a scratch SQLite file, and a scratch PostgreSQL database next to ``LMS_BENCH_DATABASE_URL`` when
it is set (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), filled with bulk Core inserts:
20 courses of 10 lessons (8 required), 50,000 learners in 4 courses each, about 3 lesson completions per
enrolment.

Run: ``python -m bench.records_export`` (``make bench`` runs every benchmark); ``LMS_BENCH_EXPORT_ROWS`` and
``LMS_BENCH_EXPORT_RUNS`` change the size and the number of runs. Prints a table and writes
bench/results/records_export.md.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

from bench.support import ROOT, write_result

ROWS = int(os.environ.get("LMS_BENCH_EXPORT_ROWS", "200000"))
RUNS = int(os.environ.get("LMS_BENCH_EXPORT_RUNS", "3"))
COURSES = 20
PER_LEARNER = 4
LESSONS = 10
BATCH = 10_000
METHODS = ("core", "csv", "xlsx", "naive")
PROFESSIONS = ("police_officer", "prosecutor", "judge", "social_worker", "teacher")
COUNTRIES = ("AL", "BA", "HR", "XK", "ME", "MK", "RS")


def _app(url: str):
    from lms import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "LMS_BASE_URL": "https://lms.example"})


def _courses(academy) -> list[tuple[int, int, list[int]]]:
    """(course id, version id, required lesson ids) of COURSES published courses."""
    from courses import authoring
    from courses.models import CompletionMode

    made = []
    for n in range(COURSES):
        fields = authoring.CourseFields(title=f"Kurs {n:02d}: Zaštita djece na internetu", slug=f"course-{n}")
        course = authoring.create_course(None, academy, fields)
        module = authoring.add_module(None, course, "Modul 1")
        lessons = [
            authoring.add_lesson(
                None,
                module,
                authoring.LessonFields(
                    title=f"Lekcija {i}", body_markdown="Tekst.", completion_mode=CompletionMode.MARK, required=i < 8
                ),
            )
            for i in range(LESSONS)
        ]
        version = authoring.publish(None, course)
        made.append((course.id, version.id, [lesson.id for lesson in lessons[:8]]))
    return made


def build(url: str, rows: int) -> None:
    """Fill a new database with ``rows`` enrolments (bulk Core inserts, a batch at a time)."""
    from flask_migrate import upgrade
    from sqlalchemy import func, insert, select

    from courses.models import Enrolment, EnrolmentStatus, LessonProgress
    from lms.extensions import db
    from lms.models import Academy, User

    app = _app(url)
    rng = random.Random(7)
    start = datetime(2025, 9, 1, tzinfo=UTC)
    with app.app_context():
        upgrade()
        academy = Academy(slug="police", name="Policijska akademija", country="RS")
        db.session.add(academy)
        db.session.commit()
        courses = _courses(academy)
        learners = rows // PER_LEARNER
        for first in range(0, learners, BATCH):
            db.session.execute(
                insert(User),
                [
                    {
                        "username": f"l{i}",
                        "email": f"l{i}@example.org",
                        "display_name": f"Đorđe Čolić {i}" if i % 3 else f"Милена Петровић {i}",
                        "profession": PROFESSIONS[i % len(PROFESSIONS)],
                        "country": COUNTRIES[i % len(COUNTRIES)],
                    }
                    for i in range(first, min(first + BATCH, learners))
                ],
            )
        db.session.commit()
        user_ids = db.session.scalars(select(User.id).order_by(User.id)).all()
        pending, progress, enrolment_id = [], [], 0
        next_id = (db.session.scalar(select(func.max(Enrolment.id))) or 0) + 1

        def flush() -> None:
            db.session.execute(insert(Enrolment), pending)
            db.session.execute(insert(LessonProgress), progress)
            pending.clear()
            progress.clear()

        for index, user_id in enumerate(user_ids):
            for k in range(PER_LEARNER):
                course_id, version_id, required = courses[(index + k * 5) % COURSES]
                enrolment_id = next_id
                next_id += 1
                enrolled = start + timedelta(minutes=rng.randrange(200_000))
                done = rng.randrange(len(required) + 1) if rng.random() < 0.8 else 0
                completed = enrolled + timedelta(days=3) if done == len(required) else None
                pending.append(
                    {
                        "id": enrolment_id,
                        "user_id": user_id,
                        "course_id": course_id,
                        "version_id": version_id,
                        "status": EnrolmentStatus.COMPLETED if completed else EnrolmentStatus.ACTIVE,
                        "enrolled_at": enrolled,
                        "last_activity_at": enrolled + timedelta(days=2) if done else None,
                        "completed_at": completed,
                    }
                )
                progress.extend(
                    {"enrolment_id": enrolment_id, "lesson_id": lesson, "completed_at": enrolled + timedelta(days=1)}
                    for lesson in required[:done]
                )
            if len(pending) >= BATCH:
                flush()
        if pending:
            flush()
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")
        db.engine.dispose()


# --- one measured run, in its own process ------------------------------------------------------------------


def _plain_core(filters, path: str) -> int:
    """What one would write by hand: the statement streamed with Core, each raw row to csv.writer."""
    import csv

    from lms.extensions import db
    from records.exports import query

    count = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        result = db.session.connection().execute(query("progress", filters), execution_options={"yield_per": 2000})
        for row in result:
            writer.writerow(row)
            count += 1
    return count


def _naive(path: str) -> int:
    """The ORM way: every enrolment object in a list, then the course report's rows and CSV."""
    from sqlalchemy import select

    from courses.models import Enrolment
    from courses.progress import summaries
    from courses.reports import report_csv, report_row_maker
    from lms.extensions import db

    enrolments = list(db.session.scalars(select(Enrolment)))
    make = report_row_maker()
    rows = [
        make(
            s.enrolment.user.display_name,
            s.enrolment.user.email,
            s.enrolment.user.profession,
            s.enrolment.user.country,
            s.enrolment.status,
            s.completed,
            s.required,
            s.enrolment.enrolled_at,
            s.enrolment.last_activity_at,
            s.enrolment.completed_at,
        )
        for s in summaries(enrolments)
    ]
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.writelines(report_csv(rows))
    return len(rows)


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith(field + ":"))
    except (OSError, StopIteration):
        return None


def _start_peak() -> int:
    """The resident set now, with the kernel's peak (VmHWM) reset to it (Linux: ``5`` to /proc/self/clear_refs),
    so the peak read afterwards is the export's own, not one left by the warm-up or the imports. Elsewhere, the
    peak so far (ru_maxrss) is the base, which can only understate the growth."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return _status_kib("VmRSS") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _peak() -> int:
    return _status_kib("VmHWM") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(method: str, url: str) -> dict:
    from records import exports
    from records.filters import ExportFilters

    app = _app(url)
    folder = tempfile.mkdtemp(prefix="lms-bench-export-")
    path = os.path.join(folder, "out")
    try:
        with app.app_context():
            filters = ExportFilters()
            exports.preview(None, "progress", filters, 5)  # imports, connection, translations: warm
            before = _start_peak()
            start, cpu = time.perf_counter(), time.process_time()
            if method == "core":
                count = _plain_core(filters, path)
            elif method == "naive":
                count = _naive(path)
            else:
                with open(path, "wb") as out:
                    count = exports.export(None, "progress", method, filters, out)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            after = _peak()
        size = os.path.getsize(path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "method": method,
        "seconds": seconds,
        "cpu": cpu,
        "extra_mb": (after - before) / 1024,
        "rows": count,
        "bytes": size,
    }


def _run(method: str, url: str) -> dict:
    """One measured run in a fresh interpreter; a run that fails is reported by its last error line."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.records_export", "--measure", method, url],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if "Error" in line] or [f"exit status {done.returncode}"]
        return {"error": lines[-1].strip()[:160]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def figures(url: str) -> dict[str, dict]:
    """The plain loop and the CSV export RUNS times each, alternating; the XLSX and the naive list once (they
    take many times longer, and are there for their order of magnitude)."""
    runs: dict[str, list[dict]] = {m: [] for m in METHODS}
    for _ in range(RUNS):
        for method in ("core", "csv"):
            runs[method].append(_run(method, url))
    for method in ("xlsx", "naive"):
        runs[method].append(_run(method, url))
    return {method: _summary(rs) for method, rs in runs.items()}


def _summary(runs: list[dict]) -> dict:
    failed = [r["error"] for r in runs if "error" in r]
    if failed:
        return {"error": failed[0], "runs": len(runs)}
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "extra_mb": max(r["extra_mb"] for r in runs),
        "rows": runs[0]["rows"],
        "mb": runs[0]["bytes"] / 1e6,
        "runs": len(runs),
    }


# --- databases ---------------------------------------------------------------------------------------------


def _databases():
    """(label, url, cleanup) of each database to measure on."""
    folder = tempfile.mkdtemp(prefix="lms-bench-")
    yield "SQLite", f"sqlite:///{folder}/bench.sqlite3", lambda: shutil.rmtree(folder, ignore_errors=True)
    server = os.environ.get("LMS_BENCH_DATABASE_URL")
    if server:
        from sqlalchemy import create_engine, text

        name = f"lms_bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

        yield "PostgreSQL", server.rsplit("/", 1)[0] + "/" + name, drop


def main() -> None:
    sections = []
    for label, url, cleanup in _databases():
        try:
            start = time.perf_counter()
            build(url, ROWS)
            built = time.perf_counter() - start
            sections.append((label, built, figures(url)))
        finally:
            cleanup()
    table = (
        f"## Records export: {ROWS:,} completion rows (kind progress)\n\n"
        "Memory: the peak RSS (VmHWM, reset just before) of a fresh subprocess above its RSS just before the export. "
        "CPU: the exporting process's own (on PostgreSQL the server's work is not in it), steadier than wall time on a "
        "busy machine.\n\n"
        "| database | method | runs | seconds (median) | vs plain Core | CPU s (this process) | extra MB | rows "
        "| file MB |\n"
        "|---|---|---|---|---|---|---|---|---|\n"
    )
    names = {
        "core": "plain Core loop, raw values to csv.writer",
        "csv": "**records export, CSV**",
        "xlsx": "records export, XLSX (write-only)",
        "naive": "naive: ORM objects in a list",
    }
    for label, _built, result in sections:
        base = result["core"].get("seconds") or float("nan")
        for method in METHODS:
            r = result[method]
            if "error" in r:
                table += f"| {label} | {names[method]} | {r['runs']} | failed: {r['error']} | | | | | |\n"
                continue
            table += (
                f"| {label} | {names[method]} | {r['runs']} | {r['seconds']:.2f} | {r['seconds'] / base:.2f}x | "
                f"{r['cpu']:.2f} | "
                f"{r['extra_mb']:.0f} | {r['rows']:,} | {r['mb']:.1f} |\n"
            )
    table += "\nBuilt with bulk Core inserts in " + ", ".join(f"{b:.0f} s ({lbl})" for lbl, b, _r in sections)
    table += ". Targets: CSV within 1.2x of the plain loop's time, under 80 MB extra.\n"
    print(table)
    write_result("records_export", table)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        print(json.dumps(measure(sys.argv[2], sys.argv[3])))
    else:
        main()
