"""Browser tests: the app served on loopback by a real server, on its own database, driven by Debian's Chromium
through pytest-playwright. Screenshots go to test-artifacts/screenshots/<lang>/ or $LMS_SCREENSHOT_DIR (printed at
the start).

Every page the `page` fixture shows is checked with axe-core (WCAG 2.0/2.1/2.2 A and AA rules): before each action
of the test on it (goto, click, fill, press, select, check, screenshot: so a page is checked before the test
leaves it) and once more after the test on the page it ends on; an unchanged page is checked once. A test with
serious or critical violations fails, listing each page, rule and element. Pages of contexts a test opens itself
are checked when wrapped with `audited(page)`. (Checking from a route or load handler instead deadlocks the sync
API while a navigation is held, so the actions themselves are wrapped.)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from werkzeug.serving import make_server

from tests.conftest import build_app, reset_schema, scratch_database

DEMO_PASSWORD = "Browser-demo-pass-42"
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("LMS_SCREENSHOT_DIR") or ROOT / "test-artifacts" / "screenshots")
AXE_SCRIPT = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_FAILING_IMPACTS = ("serious", "critical")
# Runs in the page: the violations of one axe run, reduced to what a report needs. The page's signature lets an
# unchanged page (the same URL, title, markup size and width) be checked once per test.
RUN_AXE = """async (tags) => {
  if (typeof axe === 'undefined') { return null; }
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map(n => n.target.join(' ')).slice(0, 8)}));
}"""
PAGE_SIGNATURE = (
    "() => [location.href, document.title, document.documentElement.outerHTML.length, innerWidth].join('|')"
)
_AUDITS: list[AxeAudit] = []
# The Playwright actions before which the page they act on is checked (see the module docstring).
PAGE_ACTIONS = ("goto", "reload", "go_back", "click", "fill", "check", "select_option", "press", "screenshot")
LOCATOR_ACTIONS = ("click", "dblclick", "fill", "check", "select_option", "press")


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


@pytest.fixture(scope="session", autouse=True)
def screenshots(request) -> Path:
    """The screenshot folder, printed at the start of the browser tests (past pytest's output capture)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    capture = request.config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print(f"\nbrowser screenshots: {ARTIFACTS}", flush=True)
    return ARTIFACTS


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as <folder>/<the page's language>/<name>.png and return its path."""
    lang = page.evaluate("document.documentElement.lang") or "und"
    path = ARTIFACTS / lang / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_script() -> Path:
    """The path of axe.min.js, installed by scripts/ensure_axe.py when missing; fails clearly without npm."""
    if not AXE_SCRIPT.is_file():
        subprocess.run([sys.executable, str(ROOT / "scripts" / "ensure_axe.py")], check=False)
    if not AXE_SCRIPT.is_file():
        pytest.fail(
            f"axe-core is not installed at {AXE_SCRIPT}: run `python scripts/ensure_axe.py` (it needs npm; "
            "apt-get install npm), or deselect these tests with -m 'not browser'"
        )
    return AXE_SCRIPT


class AxeAudit:
    """Checks each page one Playwright page shows with axe-core and keeps the serious and critical violations."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.seen: set[str] = set()
        self.checked: list[str] = []
        self.violations: list[dict] = []
        self.minor: list[dict] = []  # moderate and minor: kept in the report file, not failing
        self.errors: list[str] = []
        # An init script is not subject to the app's Content-Security-Policy (no inline scripts), a script tag is.
        page.add_init_script(path=str(axe_script()))

    def check(self) -> list[dict]:
        """Run axe on the page shown now (once per unchanged page); return its serious and critical violations."""
        page = self.page
        if page.is_closed() or not page.url.startswith("http://127.0.0.1"):
            return []
        for tries_left in (1, 0):
            try:
                page.wait_for_load_state()
                signature = page.evaluate(PAGE_SIGNATURE)
                if signature in self.seen:
                    return []
                found = page.evaluate(RUN_AXE, AXE_TAGS)
                self.seen.add(signature)
                break
            except PlaywrightError as exc:  # navigating just now: wait for the new page once, then report it
                if not tries_left or page.is_closed():
                    self.errors.append(f"{page.url}: {str(exc).splitlines()[0]}")
                    return []
        if found is None:
            self.errors.append(f"{page.url}: axe-core was not loaded in the page")
            return []
        url = page.url
        self.checked.append(url)
        failing = [dict(v, url=url) for v in found if v["impact"] in AXE_FAILING_IMPACTS]
        self.violations.extend(failing)
        self.minor.extend(dict(v, url=url) for v in found if v["impact"] not in AXE_FAILING_IMPACTS)
        return failing


def audited(page: Page) -> Page:
    """Check every page this Playwright page shows with axe-core; the test fails afterwards on any finding."""
    _AUDITS.append(AxeAudit(page))
    return page


def audit_of(page: Page) -> AxeAudit | None:
    return next((audit for audit in _AUDITS if audit.page is page), None)


def _checked_first(method, page_of):
    def action(self, *args, **kwargs):
        audit = audit_of(page_of(self))
        if audit is not None:
            audit.check()
        return method(self, *args, **kwargs)

    action.__wrapped__ = method
    action.__doc__ = method.__doc__
    return action


for _name in PAGE_ACTIONS:
    setattr(Page, _name, _checked_first(getattr(Page, _name), lambda page: page))
for _name in LOCATOR_ACTIONS:
    setattr(Locator, _name, _checked_first(getattr(Locator, _name), lambda locator: locator.page))


def format_violations(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['url']}: [{v['impact']}] {v['id']}: {v['help']}\n" + "\n".join(f"    {t}" for t in v["targets"])
        for v in violations
    )


@pytest.fixture
def page(page: Page) -> Page:
    """pytest-playwright's page, with every page it shows checked by axe-core."""
    return audited(page)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    _AUDITS.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    try:
        result = yield
    except BaseException:
        _AUDITS.clear()
        raise
    audits = list(_AUDITS)
    _AUDITS.clear()
    for audit in audits:
        audit.check()  # the page the test ended on
    violations = [v for audit in audits for v in audit.violations]
    _write_axe_report(item, audits)
    if violations:
        pytest.fail(
            f"axe-core: {len(violations)} serious or critical accessibility violation(s) on the pages this test "
            f"visited:\n{format_violations(violations)}",
            pytrace=False,
        )
    return result


def _write_axe_report(item, audits: list[AxeAudit]) -> None:
    if not audits:
        return
    folder = ARTIFACTS.parent / "axe"
    folder.mkdir(parents=True, exist_ok=True)
    data = {
        "test": item.nodeid,
        "checked": [url for audit in audits for url in audit.checked],
        "violations": [v for audit in audits for v in audit.violations],
        "moderate_or_minor": [v for audit in audits for v in audit.minor],
        "not_checked": [e for audit in audits for e in audit.errors],
    }
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.nodeid.split("::", 1)[-1])
    (folder / f"{name}.json").write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")


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
