"""Deployment: proxy headers from config, request ids, JSON logs, PostgreSQL engine options, /healthz, the media
store, plugin settings from the environment, and the files in deploy/ agreeing with the app's settings."""

from __future__ import annotations

import io
import json
import logging
import re
import socket
from pathlib import Path

import pytest
import yaml
from flask import url_for
from sqlalchemy import select, text

from courses import enrolment as enrolments
from courses import media
from courses.models import Media
from lms.config import DEFAULTS, engine_options, proxy_fix_options
from lms.extensions import db as _db
from lms.logs import JsonFormatter, clean_request_id, redact_path
from lms.security import access
from tests.conftest import build_app, csrf_token, login, needs_postgres
from tests.courses.test_packages import PNG

ROOT = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _add_url_echo(app):
    @access("public")
    def echo():
        from flask import request

        return {"url": url_for("main.healthz", _external=True), "remote": request.remote_addr}

    app.add_url_rule("/_test/echo", "test_echo", echo)
    return app


# --- ProxyFix ------------------------------------------------------------------------------------------------


def test_proxy_fix_options_are_parsed_and_wrong_values_refused():
    assert proxy_fix_options(None) is None and proxy_fix_options("") is None and proxy_fix_options("0") is None
    assert proxy_fix_options("1") == {"x_for": 1, "x_proto": 1, "x_host": 1, "x_port": 0, "x_prefix": 0}
    assert proxy_fix_options("for=2, proto=1") == {"x_for": 2, "x_proto": 1, "x_host": 0, "x_port": 0, "x_prefix": 0}
    for wrong in ("yes", "for=one", "scheme=1", "for"):
        with pytest.raises(ValueError, match="LMS_PROXY_FIX"):
            proxy_fix_options(wrong)
    with pytest.raises(ValueError, match="LMS_PROXY_FIX"):
        build_app(LMS_PROXY_FIX="proto=x")


def test_forwarded_headers_count_only_when_proxy_fix_is_configured():
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "lms.example.org", "X-Forwarded-For": "203.0.113.9"}
    trusting = _add_url_echo(build_app(LMS_PROXY_FIX="1"))
    body = trusting.test_client().get("/_test/echo", headers=headers).get_json()
    assert body == {"url": "https://lms.example.org/healthz", "remote": "203.0.113.9"}

    plain = _add_url_echo(build_app())
    body = plain.test_client().get("/_test/echo", headers=headers).get_json()
    assert body["url"] == "http://localhost/healthz" and body["remote"] == "127.0.0.1"


# --- request id ----------------------------------------------------------------------------------------------


def test_a_good_request_id_is_echoed_and_a_bad_one_replaced(client):
    given = "0123456789abcdef0123456789abcdef"
    assert client.get("/healthz", headers={"X-Request-ID": given}).headers["X-Request-ID"] == given
    for bad in ("short", "x" * 65, "abc def ghi", 'abcdefgh"}{"level":"ERROR"}'):
        answered = client.get("/healthz", headers={"X-Request-ID": bad}).headers["X-Request-ID"]
        assert answered != bad and re.fullmatch(r"[0-9a-f]{32}", answered)
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert first != second and re.fullmatch(r"[0-9a-f]{32}", first)
    assert clean_request_id("req-2025.05_01") == "req-2025.05_01" and clean_request_id(None) is None


def test_error_pages_carry_the_request_id_too(client):
    response = client.get("/no-such-page", headers={"X-Request-ID": "not-found-check-1"})
    assert response.status_code == 404 and response.headers["X-Request-ID"] == "not-found-check-1"


# --- JSON logs -----------------------------------------------------------------------------------------------


@pytest.fixture
def json_log(make_app):
    """An app with LMS_LOG_FORMAT=json whose JSON handler writes to a buffer; yields (app, read_lines)."""
    from flask.logging import default_handler

    root, app_logger = logging.getLogger(), logging.getLogger("lms")
    level, had_default = root.level, default_handler in app_logger.handlers
    app = make_app(LMS_LOG_FORMAT="json")
    handler = next(h for h in root.handlers if getattr(h, "lms_json", False))
    assert default_handler not in app_logger.handlers  # no second, text copy of each line
    buffer = io.StringIO()
    handler.setStream(buffer)
    try:
        yield app, lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        if had_default:
            app_logger.addHandler(default_handler)


def test_each_request_ends_with_one_json_line_with_its_fields(json_log, users):
    app, lines = json_log
    client = app.test_client()
    login(client, users["learner"])
    client.get("/dashboard", headers={"X-Request-ID": "dash-request-0001"})
    entry = next(e for e in lines() if e.get("request_id") == "dash-request-0001")
    assert entry["logger"] == "lms.request" and entry["level"] == "INFO"
    assert entry["message"] == "GET /dashboard 200"
    assert (entry["method"], entry["path"], entry["status"]) == ("GET", "/dashboard", 200)
    assert entry["user_id"] == users["learner"].id
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", entry["time"])
    assert users["learner"].email not in json.dumps(lines())


def test_app_log_lines_inside_a_request_get_its_id_and_tokens_are_blanked(json_log):
    app, lines = json_log

    @access("public")
    def noisy():
        app.logger.warning("something odd")
        return "ok"

    app.add_url_rule("/_test/noisy", "test_noisy", noisy)
    client = app.test_client()
    client.get("/_test/noisy", headers={"X-Request-ID": "noisy-request-01"})
    client.get("/auth/reset/s3cret-reset-token")
    warning = next(e for e in lines() if e["message"] == "something odd")
    assert warning["level"] == "WARNING" and warning["logger"] == "lms"
    assert warning["request_id"] == "noisy-request-01" and warning["path"] == "/_test/noisy"
    assert "user_id" not in warning  # nobody signed in
    assert "s3cret-reset-token" not in json.dumps(lines())
    assert any(e.get("path") == "/auth/reset/<token>" for e in lines())


def test_json_formatter_writes_exceptions_and_extra_fields():
    logger = logging.getLogger("tests.deploy.formatter")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logger.makeRecord(
            logger.name,
            logging.ERROR,
            __file__,
            1,
            "failed %s",
            ("x",),
            __import__("sys").exc_info(),
            extra={"job_id": 7},
        )
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "failed x" and entry["level"] == "ERROR" and entry["job_id"] == 7
    assert "RuntimeError: boom" in entry["exception"]
    assert redact_path("/auth/invitation/abc/def") == "/auth/invitation/<token>/def"
    assert redact_path("/courses/x") == "/courses/x"


def test_an_unknown_log_format_stops_start_up():
    with pytest.raises(ValueError, match="LMS_LOG_FORMAT"):
        build_app(LMS_LOG_FORMAT="yaml")


# --- database engine options ---------------------------------------------------------------------------------


def test_pool_and_statement_timeout_are_built_for_postgresql_only():
    base = {"pool_pre_ping": True}
    pg = engine_options("postgresql+psycopg://u@db/lms", base, pool_size=3, max_overflow=2, statement_timeout_ms=15000)
    assert pg == {
        "pool_pre_ping": True,
        "pool_size": 3,
        "max_overflow": 2,
        "connect_args": {"options": "-c statement_timeout=15000"},
    }
    assert base == {"pool_pre_ping": True}  # the shared defaults are not changed
    for url in ("sqlite://", "sqlite:////srv/lms/instance/lms.sqlite3"):
        assert engine_options(url, base, pool_size=3, max_overflow=2, statement_timeout_ms=15000) == base
    assert engine_options("postgresql://u@db/lms", base) == base
    keeps = engine_options(
        "postgresql://db/x", {"connect_args": {"options": "-c search_path=lms"}}, statement_timeout_ms=5
    )
    assert keeps["connect_args"]["options"] == "-c search_path=lms -c statement_timeout=5"


def test_settings_from_the_environment_reach_the_engine(monkeypatch):
    monkeypatch.setenv("LMS_DB_POOL_SIZE", "7")
    monkeypatch.setenv("LMS_DB_STATEMENT_TIMEOUT_MS", "2500")
    app = build_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/none")
    options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options["pool_size"] == 7 and options["connect_args"] == {"options": "-c statement_timeout=2500"}
    assert DEFAULTS["SQLALCHEMY_ENGINE_OPTIONS"] == {"pool_pre_ping": True}


@needs_postgres
def test_postgresql_sessions_get_the_statement_timeout():
    app = build_app(LMS_DB_STATEMENT_TIMEOUT_MS=1234, LMS_DB_POOL_SIZE=2)
    with app.app_context():
        try:
            assert _db.session.execute(text("SHOW statement_timeout")).scalar() == "1234ms"
            assert _db.engine.pool.size() == 2
        finally:
            _db.session.remove()
            _db.engine.dispose()


# --- /healthz ------------------------------------------------------------------------------------------------


def test_healthz_is_503_when_redis_cannot_be_reached():
    app = build_app(LMS_REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")
    response = app.test_client().get("/healthz")
    with app.app_context():
        _db.engine.dispose()
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error" and body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error")


def test_healthz_is_200_with_the_database_and_no_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok", "checks": {"database": "ok"}}


# --- media store ---------------------------------------------------------------------------------------------


class FakeS3:
    """The three calls of a boto3 S3 client the store uses, over a dict (no network)."""

    class NoSuchKey(Exception):  # noqa: N818 - botocore's name
        response = {"Error": {"Code": "NoSuchKey"}}

    def __init__(self):
        self.objects: dict[tuple[str, str], tuple[bytes, str]] = {}

    def put_object(self, *, Bucket, Key, Body, ContentType):  # noqa: N803 - boto3's argument names
        self.objects[(Bucket, Key)] = (bytes(Body), ContentType)

    def get_object(self, *, Bucket, Key):  # noqa: N803
        if (Bucket, Key) not in self.objects:
            raise self.NoSuchKey(Key)
        return {"Body": io.BytesIO(self.objects[(Bucket, Key)][0])}

    def delete_object(self, *, Bucket, Key):  # noqa: N803
        self.objects.pop((Bucket, Key), None)


@pytest.mark.parametrize("kind", ["folder", "s3"])
def test_the_store_saves_opens_and_deletes_by_key(kind, tmp_path):
    fake = FakeS3()
    store = media.FolderStore(tmp_path / "media") if kind == "folder" else media.S3Store(fake, "lms", "media/")
    store.save("abc123", b"bytes", "image/png")
    with store.open("abc123") as handle:
        assert handle.read() == b"bytes"
    store.delete("abc123")
    store.delete("abc123")  # deleting twice is fine (a retried delete)
    with pytest.raises(FileNotFoundError):
        store.open("abc123")
    for bad in ("../secret_key", "a/b", ""):
        with pytest.raises(ValueError):
            store.save(bad, b"x", "image/png")
    if kind == "folder":
        assert sorted(p.name for p in (tmp_path / "media").iterdir()) == []  # no partial file left
    else:
        assert fake.objects == {}


def test_s3_errors_other_than_a_missing_key_are_not_hidden():
    class Broken(FakeS3):
        def get_object(self, **kwargs):
            raise ConnectionError("no route to host")

    with pytest.raises(ConnectionError):
        media.S3Store(Broken(), "lms").open("abc")


@pytest.fixture
def s3_media(app):
    """The test app's media on a fake S3 bucket for one test."""
    fake = FakeS3()
    previous = app.extensions.get("courses.media_store")
    app.extensions["courses.media_store"] = media.S3Store(fake, "lms-media", "courses/")
    try:
        yield fake
    finally:
        if previous is None:
            app.extensions.pop("courses.media_store", None)
        else:
            app.extensions["courses.media_store"] = previous


def test_upload_serve_and_delete_go_through_the_configured_store(app, s3_media, users, make_course, db):
    course = make_course()
    trainer = app.test_client()
    login(trainer, users["trainer"])
    token = csrf_token(trainer, f"/teach/{course.id}/media")
    data = {"csrf_token": token, "file": (io.BytesIO(PNG), "scheme.png")}
    assert trainer.post(f"/teach/{course.id}/media", data=data, content_type="multipart/form-data").status_code == 302
    item = db.session.scalar(select(Media).where(Media.course_id == course.id))
    assert s3_media.objects == {("lms-media", "courses/" + item.storage_key): (PNG, "image/png")}
    assert not (media.media_dir() / item.storage_key).exists()  # nothing in the folder store

    learner = app.test_client()
    login(learner, users["learner"])
    enrolments.self_enrol(users["learner"], course)
    response = learner.get(f"/learn/{course.slug}/media/scheme.png")
    assert response.status_code == 200 and response.data == PNG
    assert response.headers["ETag"] == f'"{item.sha256}"'
    assert learner.get(f"/learn/{course.slug}/media/scheme.png", headers={"Range": "bytes=0-7"}).data == PNG[:8]

    s3_media.objects.clear()  # the bucket lost the file: a 404, not a server error
    assert learner.get(f"/learn/{course.slug}/media/scheme.png").status_code == 404


def test_a_rolled_back_upload_leaves_nothing_in_the_bucket(app, s3_media, users, make_course, db):
    course = make_course()
    db.session.commit()
    media.store_media(course, "a.png", PNG, users["trainer"])
    assert len(s3_media.objects) == 1
    db.session.rollback()
    assert s3_media.objects == {}


def test_the_store_is_built_from_the_configuration(monkeypatch, tmp_path):
    clients = []
    monkeypatch.setattr(media, "_boto3_installed", lambda: True)
    monkeypatch.setattr(media, "_s3_client", lambda config: clients.append(dict(config)) or FakeS3())
    s3_app = build_app(
        COURSES_MEDIA_STORAGE="s3",
        COURSES_MEDIA_S3_BUCKET="b",
        COURSES_MEDIA_S3_PREFIX="lms/",
        COURSES_MEDIA_S3_ENDPOINT="https://s3.example",
    )
    s3_store = media.media_storage(s3_app)
    assert isinstance(s3_store, media.S3Store) and (s3_store.bucket, s3_store.prefix) == ("b", "lms/")
    assert clients[0]["COURSES_MEDIA_S3_ENDPOINT"] == "https://s3.example"
    folder_app = build_app(COURSES_MEDIA_DIR=str(tmp_path))
    store = media.media_storage(folder_app)
    assert isinstance(store, media.FolderStore) and store.folder == tmp_path
    assert media.media_storage(folder_app) is store  # built once per app


def test_a_misconfigured_store_stops_start_up(monkeypatch):
    from lms.plugins import PluginError

    with pytest.raises(PluginError, match="COURSES_MEDIA_STORAGE"):
        build_app(COURSES_MEDIA_STORAGE="ftp")
    with pytest.raises(PluginError, match="COURSES_MEDIA_S3_BUCKET"):
        build_app(COURSES_MEDIA_STORAGE="s3")
    monkeypatch.setattr(media, "_boto3_installed", lambda: False)
    with pytest.raises(PluginError, match=r"pip install"):
        build_app(COURSES_MEDIA_STORAGE="s3", COURSES_MEDIA_S3_BUCKET="b")


# --- plugin settings from the environment --------------------------------------------------------------------


def test_plugin_settings_come_from_the_environment_below_explicit_config(monkeypatch):
    monkeypatch.setenv("COURSES_UPLOAD_MAX_BYTES", "12345")
    monkeypatch.setenv("COURSES_MEDIA_STORAGE", "folder")
    app = build_app()
    assert app.config["COURSES_UPLOAD_MAX_BYTES"] == 12345 and app.config["COURSES_MEDIA_STORAGE"] == "folder"
    assert build_app(COURSES_UPLOAD_MAX_BYTES=99).config["COURSES_UPLOAD_MAX_BYTES"] == 99
    monkeypatch.setenv("COURSES_UPLOAD_MAX_BYTES", "lots")
    from lms.plugins import PluginError

    with pytest.raises(PluginError, match="COURSES_UPLOAD_MAX_BYTES"):
        build_app()


# --- the files in deploy/ ------------------------------------------------------------------------------------


def test_nginx_accepts_the_bodies_the_app_accepts():
    conf = (ROOT / "deploy" / "nginx.conf.example").read_text()
    size = re.search(r"client_max_body_size\s+(\d+)m;", conf)
    assert size and int(size.group(1)) * 1024 * 1024 == DEFAULTS["MAX_CONTENT_LENGTH"]
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-ID"):
        assert f"proxy_set_header {header}" in conf
    assert "Strict-Transport-Security" in conf and "ssl_certificate" in conf


def test_compose_runs_the_app_the_worker_postgresql_and_redis_with_healthchecks():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) >= {"app", "worker", "postgres", "redis"}
    assert all("healthcheck" in services[name] for name in ("app", "postgres", "redis"))
    assert "lms worker" in " ".join(services["worker"]["command"])
    assert services["postgres"]["image"].startswith("postgres:16") and services["redis"]["image"].startswith("redis:7")
    assert any(v.split(":")[0] in compose["volumes"] for v in services["postgres"]["volumes"])


def test_gunicorn_config_caps_workers_and_logs_json_access_lines(monkeypatch):
    from types import SimpleNamespace

    pytest.importorskip("gunicorn")
    from datetime import timedelta

    from gunicorn.config import Config

    monkeypatch.setenv("GUNICORN_MAX_WORKERS", "2")
    monkeypatch.delenv("GUNICORN_WORKERS", raising=False)
    settings: dict = {"__file__": "gunicorn.conf.py"}
    exec(compile((ROOT / "deploy" / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), settings)  # noqa: S102
    assert settings["workers"] == 2 and settings["max_requests_jitter"] > 0 and settings["graceful_timeout"] > 0
    assert settings["timeout"] > 0 and settings["accesslog"] == "-"

    cfg = Config()
    cfg.set("accesslog", "-")
    logger = settings["JsonLogger"](cfg)
    buffer = io.StringIO()
    logger.access_log.handlers[0].setStream(buffer)
    response = SimpleNamespace(status="200 OK", sent=42, headers=[("X-Request-ID", "gunicorn-req-01")])
    request = SimpleNamespace(headers=[("User-Agent", "curl/8")])
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/auth/reset/tok?x=1",
        "PATH_INFO": "/auth/reset/tok",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": "curl/8",
    }
    logger.access(response, request, environ, timedelta(milliseconds=12))
    line = json.loads(buffer.getvalue())
    assert line["request_id"] == "gunicorn-req-01" and line["status"] == 200 and line["bytes"] == 42
    assert line["path"] == "/auth/reset/<token>" and line["duration_ms"] == 12.0 and line["logger"] == "gunicorn.access"


def test_the_prepare_threshold_reaches_psycopg():
    base = {"pool_pre_ping": True}
    assert engine_options("postgresql://db/x", base, prepare_threshold="off")["connect_args"] == {
        "prepare_threshold": None
    }
    assert engine_options("postgresql://db/x", base, prepare_threshold=" 3 ")["connect_args"] == {
        "prepare_threshold": 3
    }
    assert "connect_args" not in engine_options("postgresql://db/x", base, prepare_threshold="")
    assert engine_options("sqlite://", base, prepare_threshold="off") == base
    with pytest.raises(ValueError, match="LMS_DB_PREPARE_THRESHOLD must be a whole number or off"):
        engine_options("postgresql://db/x", base, prepare_threshold="sometimes")
