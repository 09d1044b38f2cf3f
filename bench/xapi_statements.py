"""xAPI statements: the time to stream every statement of the enrolments and lesson progress of
``LMS_BENCH_XAPI_ROWS`` enrolments (``records.xapi.statements.iter_statements``, what ``lms records export
--format xapi`` writes) and to serialise them to JSON, beside the plain SQLAlchemy Core read of the same rows, in
the same run. The database is the export benchmark's (bench/records_export.build: bulk inserts into a scratch
SQLite file). No target: the figures show what building statements costs over reading the rows.

Run: ``python -m bench.xapi_statements``. Prints a table and writes bench/results/xapi_statements.md.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.records_export import _app, build
from bench.support import write_result

ROWS = int(os.environ.get("LMS_BENCH_XAPI_ROWS", "40000"))
RUNS = int(os.environ.get("LMS_BENCH_XAPI_RUNS", "3"))


def _statements(kind: str) -> int:
    from records.filters import ExportFilters
    from records.xapi.statements import iter_statements

    return sum(len(json.dumps(s)) > 0 for s in iter_statements(ExportFilters(), kind))


def _plain(kind: str) -> int:
    from sqlalchemy import select

    from courses.models import Enrolment, LessonProgress
    from lms.extensions import db

    table = Enrolment if kind == "enrolments" else LessonProgress
    query = select(*table.__table__.columns).execution_options(yield_per=500)
    return sum(1 for _row in db.session.execute(query))


def main() -> None:
    path = Path(tempfile.mkdtemp(prefix="lms-bench-xapi-")) / "bench.sqlite3"
    url = f"sqlite:///{path}"
    build(url, ROWS)
    app = _app(url)
    lines = [
        "| kind | rows read (plain) | statements | plain s | statements + JSON s | per statement µs |",
        "|---|---|---|---|---|---|",
    ]
    with app.app_context():
        for kind in ("enrolments", "progress"):
            plain_times, xapi_times, rows, count = [], [], 0, 0
            for _ in range(RUNS):
                start = time.perf_counter()
                rows = _plain(kind)
                plain_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                count = _statements(kind)
                xapi_times.append(time.perf_counter() - start)
            plain, xapi = statistics.median(plain_times), statistics.median(xapi_times)
            per = xapi / count * 1e6 if count else 0
            lines.append(f"| {kind} | {rows} | {count} | {plain:.2f} | {xapi:.2f} | {per:.0f} |")
    text = f"{ROWS} enrolments on SQLite, median of {RUNS} runs.\n\n" + "\n".join(lines) + "\n"
    print(text)
    write_result("xapi_statements", text)
    path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
