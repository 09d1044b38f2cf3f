"""A transaction that only read ends with COMMIT on PostgreSQL, so psycopg keeps its prepared statements
(lms/read_only.py); every other transaction is rolled back as before."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text

from lms import read_only
from lms.extensions import db
from lms.models import Academy
from tests.conftest import build_app, needs_postgres

PROBE = "SELECT lms_academy.id FROM lms_academy WHERE lms_academy.slug = :slug"


def _prepared(session) -> list[str]:
    return list(session.execute(text("SELECT statement FROM pg_prepared_statements")).scalars())


def _statements(engine) -> list[str]:
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    return sent


@needs_postgres
def test_statements_stay_prepared_across_requests_that_only_read(committed_app):
    with committed_app.app_context():
        db.engine.dispose()  # one fresh connection, used by every round below
        for _ in range(7):
            db.session.execute(text(PROBE), {"slug": "none"}).all()
            db.session.remove()
        try:
            assert any("FROM lms_academy WHERE lms_academy.slug = $1" in s for s in _prepared(db.session))
        finally:
            db.session.remove()


@needs_postgres
def test_a_transaction_that_wrote_is_rolled_back(committed_app):
    with committed_app.app_context():
        sent = _statements(db.engine)
        db.session.add(Academy(slug="never-kept", name="Never kept", country="BA"))
        db.session.flush()
        db.session.remove()
        assert "COMMIT" not in sent
        assert db.session.scalar(select(Academy).where(Academy.slug == "never-kept")) is None
        db.session.remove()


@needs_postgres
def test_a_read_after_a_write_in_the_same_transaction_is_rolled_back_too(committed_app):
    with committed_app.app_context():
        db.session.execute(text("UPDATE lms_academy SET name = name || ' (changed)'"))
        db.session.add(Academy(slug="kept-not", name="Kept not", country="HR"))
        db.session.flush()
        db.session.execute(text(PROBE), {"slug": "kept-not"}).all()  # the last statement only reads
        db.session.remove()
        assert db.session.scalar(select(Academy.id).where(Academy.slug == "kept-not")) is None
        assert not db.session.scalar(select(Academy.id).where(Academy.name.like("% (changed)")))
        db.session.remove()


@needs_postgres
def test_a_failed_transaction_is_rolled_back_and_the_connection_serves_on(committed_app):
    with committed_app.app_context():
        with pytest.raises(Exception, match="division by zero"):
            db.session.execute(text("SELECT 1 / 0")).all()
        db.session.remove()
        assert db.session.execute(text("SELECT 2")).scalar() == 2
        db.session.remove()


@needs_postgres
def test_prepared_statements_can_be_switched_off(committed_app):
    app = build_app(
        SQLALCHEMY_DATABASE_URI=committed_app.config["SQLALCHEMY_DATABASE_URI"], LMS_DB_PREPARE_THRESHOLD="off"
    )
    with app.app_context():
        try:
            for _ in range(7):
                db.session.execute(text(PROBE), {"slug": "none"}).all()
                db.session.remove()
            assert _prepared(db.session) == []
        finally:
            db.session.remove()
            db.engine.dispose()


def test_sqlite_is_left_as_it_is():
    app = build_app(SQLALCHEMY_DATABASE_URI="sqlite://")
    with app.app_context():
        assert not event.contains(db.engine, "rollback", read_only._rollback)
        db.engine.dispose()


@needs_postgres
def test_a_connection_lost_during_a_reading_transaction_closes_quietly(committed_app):
    """A restart of PostgreSQL invalidates the connection in the middle of a request; ending the request's
    session must then neither commit nor fail (it used to raise PendingRollbackError, a 500)."""
    with committed_app.app_context():
        db.session.execute(text(PROBE), {"slug": "none"}).all()
        db.session.connection().invalidate()
        db.session.remove()
        assert db.session.execute(text("SELECT 3")).scalar() == 3
        db.session.remove()
