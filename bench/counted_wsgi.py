"""The app exactly as ``wsgi.py`` builds it, plus, when ``LMS_BENCH_COUNT_QUERIES=1``, two response headers:
``X-Query-Count`` (the SQL statements the request ran) and ``X-App-Ms`` (the time spent in the app, without the
wait for a free worker). Benchmarks only: the listener lives here so that the production entry point
(``wsgi:app``) never carries it.

Serve with ``gunicorn bench.counted_wsgi:app`` (bench/learners_load.py does).
"""

from __future__ import annotations

import os
import time

from flask import Response, g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

from lms import create_app

app = create_app()


def _count_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    # Statements run outside a request (start-up, pool pre-ping) are not any page's.
    if has_request_context():
        g.bench_queries = g.get("bench_queries", 0) + 1


def _start_clock() -> None:
    g.bench_started = time.perf_counter()


def _query_count_header(response: Response) -> Response:
    response.headers["X-Query-Count"] = str(g.get("bench_queries", 0))
    if "bench_started" in g:
        response.headers["X-App-Ms"] = f"{(time.perf_counter() - g.bench_started) * 1000:.1f}"
    return response


if os.environ.get("LMS_BENCH_COUNT_QUERIES") == "1":
    event.listen(Engine, "before_cursor_execute", _count_statement)
    # after_request functions run in reverse order of registration: put this one first in the list so that it
    # runs last and also counts what the app's own after_request hooks execute.
    app.after_request_funcs.setdefault(None, []).insert(0, _query_count_header)
    # before_request functions run in order: first in the list, so the clock starts before the app's own hooks.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_clock)
