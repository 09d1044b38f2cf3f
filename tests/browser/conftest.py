"""Browser tests: the app served on loopback by a real server, on its own database, driven by Debian's Chromium
through pytest-playwright. Screenshots go to test-artifacts/screenshots/ (printed at the start)."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from tests.conftest import TEST_DATABASE_URL, build_app, reset_schema

DEMO_PASSWORD = "Browser-demo-pass-42"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail(
            "Debian's chromium is not installed (make test installs it when run as root; "
            "or deselect these tests with -m 'not browser')"
        )
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": chromium_path(),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture(scope="session")
def screenshots() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {ARTIFACTS}")
    return ARTIFACTS


def _browser_database() -> tuple[str, callable]:
    """A database for the served app alone: a temporary SQLite file, or a new PostgreSQL database."""
    if not TEST_DATABASE_URL.startswith("postgresql"):
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"lms-browser-{uuid.uuid4().hex}.sqlite3"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    name = f"lms_browser_{uuid.uuid4().hex[:12]}"
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session")
def live_server() -> Iterator[dict]:
    """Serve the app (migrated, demo loaded with a known password) on a free loopback port."""
    from lms.demo import load_demo

    url, cleanup = _browser_database()
    app = build_app(SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False)
    with app.app_context():
        reset_schema()
        accounts, _context = load_demo(DEMO_PASSWORD)
        secrets_ = {a.username: a.totp_secret for a in accounts}
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield {"url": f"http://127.0.0.1:{server.server_port}", "app": app, "totp": secrets_}
    finally:
        server.shutdown()
        with app.app_context():
            from lms.extensions import db

            db.engine.dispose()
        cleanup()
