"""Shared fixtures: the app built by the factory, one database transaction per test, factories, sign-in."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, text

from courses import authoring
from courses.models import CompletionMode
from lms import create_app
from lms.extensions import db as _db
from lms.models import Academy, Membership, User, UserStatus
from lms.passwords import hash_password

TEST_DATABASE_URL = os.environ.get("LMS_TEST_DATABASE_URL") or "sqlite://"
PASSWORD = "Correct-horse-battery-9"

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
    # Cheap Argon2 in tests; tests/lms/test_passwords.py checks the production parameters.
    "LMS_ARGON2_MEMORY_KIB": 1024,
    "LMS_ARGON2_TIME_COST": 1,
    "LMS_ARGON2_PARALLELISM": 1,
    "RATELIMIT_ENABLED": False,
    "LMS_BASE_URL": "http://lms.test",
    # Background jobs run before enqueue returns, inside the test's transaction (lms/jobs/runners.py).
    "LMS_JOB_RUNNER": "inline",
    # Uploaded course files of the whole test run go to one temporary folder, not the project's instance/.
    "COURSES_MEDIA_DIR": tempfile.mkdtemp(prefix="lms-test-media-"),
}


class IsolatedClient(FlaskClient):
    """Each request gets its own app context (and so its own ``g`` and session), as in production, even
    though the test itself runs inside an app context."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


def build_app(**overrides) -> Flask:
    """A new app on the test database (tests that need other settings or plugins use this)."""
    plugins = overrides.pop("plugins", None)
    app = create_app({**BASE_CONFIG, **overrides}, plugins=plugins)
    app.test_client_class = IsolatedClient
    return app


def scratch_database() -> tuple[str, callable]:
    """A database of its own, for tests that need real commits (concurrency, a served app): a temporary SQLite
    file, or a new PostgreSQL database next to the test database. Returns (url, cleanup)."""
    import uuid
    from pathlib import Path

    from sqlalchemy import create_engine

    if not is_postgres():
        path = Path(os.environ.get("TMPDIR", "/tmp")) / f"lms-scratch-{uuid.uuid4().hex}.sqlite3"
        return f"sqlite:///{path}", lambda: path.unlink(missing_ok=True)
    name = f"lms_scratch_{uuid.uuid4().hex[:12]}"
    admin = create_engine(TEST_DATABASE_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name, drop


@pytest.fixture
def committed_app():
    """An app on a scratch database where commits are real (no rolled-back test transaction)."""
    url, cleanup = scratch_database()
    app = build_app(SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        reset_schema()
    try:
        yield app
    finally:
        with app.app_context():
            _db.engine.dispose()
        cleanup()


def is_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgresql")


def needs_postgres(test):
    """Mark ``test`` as one for PostgreSQL only (``-m postgres``); it is skipped on SQLite, and CI's second run,
    on PostgreSQL, runs it."""
    skip = pytest.mark.skipif(not is_postgres(), reason="needs PostgreSQL (LMS_TEST_DATABASE_URL)")
    return pytest.mark.postgres(skip(test))


def reset_schema() -> None:
    """Empty the test database and build it with the migrations (so the migrations are what is tested)."""
    from flask_migrate import upgrade

    with _db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        else:
            for table in reversed(inspect(conn).get_table_names()):
                conn.execute(text(f'DROP TABLE IF EXISTS "{table}"'))
    upgrade()


@pytest.fixture(scope="session")
def app() -> Iterator[Flask]:
    app = build_app()
    with app.app_context():
        reset_schema()
    yield app


@pytest.fixture(autouse=True)
def _transaction(request) -> Iterator[None]:
    """Run each test that uses the app in one transaction rolled back at teardown (commits are savepoints)."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        engines = _db.engines
        engine = engines[None]
        connection = engine.connect()
        outer = connection.begin()
        engines[None] = connection
        original_session = _db.session
        _db.session = _db._make_scoped_session({"join_transaction_mode": "create_savepoint"})
        app.extensions.pop("lms.outbox", None)
        app.extensions["tests.connection"] = connection
        try:
            yield
        finally:
            _db.session.remove()
            _db.session = original_session
            engines[None] = engine
            outer.rollback()
            connection.close()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def make_app(app):
    """Build another app (other settings or plugins) that works inside this test's transaction."""

    def make(**overrides) -> Flask:
        other = build_app(**overrides)
        with other.app_context():
            _db.engines[None] = app.extensions["tests.connection"]
        return other

    return make


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def outbox(app) -> list:
    """Messages "sent" during the test (no mail server in tests: they are kept in memory)."""
    return app.extensions.setdefault("lms.outbox", [])


@pytest.fixture
def make_academy(db):
    counter = iter(range(1, 10_000))

    def make(slug: str | None = None, name: str | None = None, country: str = "BA") -> Academy:
        n = next(counter)
        academy = Academy(slug=slug or f"academy-{n}", name=name or f"Academy {n}", country=country)
        db.session.add(academy)
        db.session.commit()
        return academy

    return make


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(
        username: str | None = None,
        *,
        roles: dict[Academy, list[str]] | None = None,
        admin: bool = False,
        password: str | None = PASSWORD,
        status: UserStatus = UserStatus.ACTIVE,
        totp: bool | None = None,
        display_name: str | None = None,
        profession: str = "police_officer",
        country: str = "RS",
        language: str | None = None,
    ) -> User:
        n = next(counter)
        username = username or f"user{n}"
        user = User(
            username=username,
            email=f"{username}@example.org",
            display_name=display_name or f"User {n}",
            password_hash=hash_password(password) if password else None,
            status=status,
            is_admin=admin,
            profession=profession,
            country=country,
            language=language,
        )
        for academy, names in (roles or {}).items():
            for role in names:
                user.memberships.append(Membership(academy=academy, role=role))
        db.session.add(user)
        db.session.flush()
        if totp if totp is not None else user.needs_two_factor:
            user.totp_secret = pyotp.random_base32()
            user.totp_enabled = True
        db.session.commit()
        return user

    return make


CSRF_RE = re.compile(
    r'name="(?P<name>[\w-]*csrf_token)" type="hidden" value="(?P<value>[^"]+)"|'
    r'type="hidden" name="(?P<name2>[\w-]*csrf_token)" value="(?P<value2>[^"]+)"|'
    r'name="(?P<name3>[\w-]*csrf_token)" value="(?P<value3>[^"]+)"'
)


def csrf_from(html: str, field: str = "csrf_token") -> str:
    """The value of the hidden CSRF field ``field`` in a page."""
    for m in CSRF_RE.finditer(html):
        name = m.group("name") or m.group("name2") or m.group("name3")
        if name == field:
            return m.group("value") or m.group("value2") or m.group("value3")
    raise AssertionError(f"no {field} in the page")


def csrf_token(client: FlaskClient, url: str = "/auth/login", field: str = "csrf_token") -> str:
    return csrf_from(client.get(url).get_data(as_text=True), field)


def totp_now(user: User, offset_steps: int = 0) -> str:
    totp = pyotp.TOTP(user.totp_secret)
    import time

    return totp.at(time.time() + offset_steps * totp.interval)


def login(
    client: FlaskClient,
    user: User,
    password: str = PASSWORD,
    remember: bool = False,
    follow: bool = False,
    **extra,
):
    """Sign ``user`` in through the real form (and the second factor when set up)."""
    token = csrf_token(client)
    data = {"login": user.username, "password": password, "csrf_token": token, **extra}
    if remember:
        data["remember"] = "y"
    response = client.post("/auth/login", data=data)
    if user.totp_enabled and response.status_code == 302 and "/auth/two-factor" in response.headers["Location"]:
        token = csrf_token(client, "/auth/two-factor")
        response = client.post("/auth/two-factor", data={"code": totp_now(user), "csrf_token": token})
    if follow and response.status_code == 302:
        response = client.get(response.headers["Location"])
    return response


def post_form(
    client: FlaskClient,
    url: str,
    data: dict | None = None,
    page: str | None = None,
    field: str = "csrf_token",
    **kwargs,
):
    """POST ``data`` to ``url`` with the CSRF token taken from ``page`` (default: the same URL)."""
    token = csrf_token(client, page or url, field)
    return client.post(url, data={**(data or {}), field: token}, **kwargs)


@pytest.fixture
def academy(make_academy):
    return make_academy("police", "Police Academy", "RS")


@pytest.fixture
def other_academy(make_academy):
    return make_academy("judicial", "Judicial Academy", "BA")


@pytest.fixture
def users(make_user, academy):
    """One user per role, all in ``academy``."""
    return {
        "learner": make_user("learner1", roles={academy: ["learner"]}),
        "trainer": make_user("trainer1", roles={academy: ["trainer", "learner"]}),
        "registrar": make_user("registrar1", roles={academy: ["registrar"]}),
        "admin": make_user("admin1", admin=True),
    }


# --- courses (used by the courses, quizzes and certificates tests) ---


@pytest.fixture
def make_course(db, academy):
    counter = iter(range(1, 10_000))

    def make(
        *, modules: int = 2, lessons: int = 2, academy_=None, publish: bool = True, sequential: bool = False, **fields
    ):
        n = next(counter)
        spec = authoring.CourseFields(
            title=fields.pop("title", f"Course {n}"),
            slug=fields.pop("slug", f"course-{n}"),
            self_enrolment=fields.pop("self_enrolment", True),
            **fields,
        )
        course = authoring.create_course(None, academy_ or academy, spec)
        previous = None
        for m in range(modules):
            module = authoring.add_module(
                None, course, f"Module {m + 1}", requires=[previous.id] if sequential and previous else []
            )
            for i in range(lessons):
                authoring.add_lesson(
                    None,
                    module,
                    authoring.LessonFields(
                        title=f"Lesson {m + 1}.{i + 1}",
                        body_markdown=f"## Part {i}\n\nText of lesson {m + 1}.{i + 1}.",
                        completion_mode=CompletionMode.MARK,
                    ),
                )
            previous = module
        if publish:
            authoring.publish(None, course)
        return course

    return make
