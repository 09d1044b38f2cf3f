"""Shared helpers for benchmarks: a throw-away database, a gunicorn server on loopback, a load client."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PG_ADMIN_URL = os.environ.get("LMS_BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def bench_database() -> Iterator[str]:
    """A new PostgreSQL database when the local server answers, else a temporary SQLite file."""
    from sqlalchemy import create_engine, text

    name = f"lms_bench_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception:  # no PostgreSQL here: fall back to SQLite
        folder = tempfile.mkdtemp(prefix="lms-bench-")
        yield f"sqlite:///{folder}/bench.sqlite3"
        shutil.rmtree(folder, ignore_errors=True)
        return
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def gunicorn(app_spec: str, env: dict[str, str], workers: int = 2) -> Iterator[str]:
    """Serve ``app_spec`` (module:variable) with gunicorn on a free loopback port; yields the base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-w",
        str(workers),
        "-b",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--chdir",
        str(ROOT),
        app_spec,
    ]
    process = subprocess.Popen(command, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz" if "wsgi" in app_spec else base + "/", timeout=1)
                break
            except Exception:
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def load(url: str, seconds: int = 10, connections: int = 8, cookie: str | None = None, warmup: int = 3) -> dict:
    """Requests per second and latency for GET ``url``: wrk when installed, else a Python keep-alive client.

    ``warmup`` seconds of the same load go first and are not counted: every gunicorn worker compiles its
    templates and fills its caches (SQLAlchemy's compiled statements, the published outlines) on its first
    requests, which a production server does once a deployment, not once a measurement."""
    if warmup:
        load(url, warmup, connections, cookie, warmup=0)
    if shutil.which("wrk"):
        command = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
        out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
        p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return {"tool": "wrk", "rps": rps, "p50": p50, "p99": p99, "errors": int(non2xx.group(1)) if non2xx else 0}
    return _python_load(url, seconds, connections, cookie)


def _python_load(url: str, seconds: int, connections: int, cookie: str | None) -> dict:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    deadline = time.monotonic() + seconds
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()

    def worker() -> None:
        conn = HTTPConnection(parts.hostname, parts.port, timeout=10)
        headers = {"Cookie": cookie} if cookie else {}
        local = []
        while time.monotonic() < deadline:
            start = time.perf_counter()
            conn.request("GET", parts.path, headers=headers)
            response = conn.getresponse()
            response.read()
            local.append(time.perf_counter() - start)
            if response.status >= 400:
                errors[0] += 1
        with lock:
            latencies.extend(local)

    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    pick = lambda q: f"{latencies[int(q * (len(latencies) - 1))] * 1000:.2f}ms"  # noqa: E731
    return {"tool": "python", "rps": len(latencies) / seconds, "p50": pick(0.5), "p99": pick(0.99), "errors": errors[0]}


def write_result(name: str, markdown: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.md"
    path.write_text(markdown)
    return path


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
