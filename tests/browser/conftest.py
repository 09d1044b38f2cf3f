"""Browser tests: the app served on loopback by a real server, on its own database, driven by Debian's Chromium
through pytest-playwright. Screenshots go to test-artifacts/screenshots/ (printed at the start)."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import build_app, reset_schema, scratch_database

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


@pytest.fixture(scope="session")
def live_server() -> Iterator[dict]:
    """Serve the app (migrated, demo loaded with a known password) on a free loopback port."""
    from lms.demo import load_demo

    url, cleanup = scratch_database()
    app = build_app(SQLALCHEMY_DATABASE_URI=url, RATELIMIT_ENABLED=False)
    with app.app_context():
        reset_schema()
        accounts, _context = load_demo(DEMO_PASSWORD)
        secrets_ = {a.username: a.totp_secret for a in accounts}
        # These journeys find controls by their English labels, so every demo account reads English here (the
        # demo gives them their own languages, now translated); journeys in the learners' languages: issue 8.
        from sqlalchemy import update

        from lms.extensions import db as _db
        from lms.models import User

        _db.session.execute(update(User).values(language="en"))
        _db.session.commit()
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
