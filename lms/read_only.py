"""A transaction that only read ends with COMMIT on PostgreSQL, so that psycopg keeps its prepared statements.

Every request ends its transaction: the session closes and SQLAlchemy rolls back what was not committed. For a
transaction that ran nothing but SELECTs, ROLLBACK and COMMIT do the same on the server: nothing was written,
and either one releases the transaction's locks and snapshot. They differ in psycopg: after a ROLLBACK it
forgets every statement it had prepared on the connection (the rolled-back transaction could have dropped or
changed what they refer to). With a ROLLBACK at the end of every page nothing is ever prepared, and PostgreSQL
parses and plans the same few statements (the signed-in user, the enrolment, the progress) on every request.
After a COMMIT the statements stay prepared: from its fifth run on one connection (psycopg's
``prepare_threshold``), a statement is planned once for that connection.

So, when SQLAlchemy is about to roll back a transaction in which every statement began with ``SELECT``, and
the connection is in a healthy transaction, this module commits it first; SQLAlchemy's ROLLBACK then finds no
transaction and sends nothing. Any other statement (INSERT, UPDATE, DELETE, SET, SAVEPOINT, a WITH query, DDL)
or a failed transaction leaves the ROLLBACK as it was. The ORM's own rollback events still run (the media
store's clean-up of files written in a rolled-back change does not depend on this).

With PgBouncer in transaction pooling mode, prepared statements need PgBouncer 1.21 or later with
``max_prepared_statements`` set, or ``LMS_DB_PREPARE_THRESHOLD=off`` (see docs/deploy.md).
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

WROTE = "lms.read_only.wrote"


def install(engine: Engine) -> None:
    """Track, on ``engine``, whether each transaction only read, and commit those that did. PostgreSQL with
    psycopg only: other drivers keep what they prepared across a ROLLBACK, or prepare nothing."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return
    if event.contains(engine, "begin", _begin):
        return
    event.listen(engine, "begin", _begin)
    event.listen(engine, "before_cursor_execute", _before_cursor_execute)
    event.listen(engine, "rollback", _rollback)


def _begin(conn: Connection) -> None:
    conn.info[WROTE] = False


def _before_cursor_execute(conn: Connection, _cursor, statement: str, _parameters, _context, _many) -> None:
    if not conn.info.get(WROTE) and statement.lstrip()[:6].upper() != "SELECT":
        conn.info[WROTE] = True


def _rollback(conn: Connection) -> None:
    import psycopg
    from psycopg.pq import TransactionStatus

    if conn.invalidated or conn.info.get(WROTE, True):
        return  # (an invalidated connection, lost in a restart, has no transaction left to end)
    dbapi_connection = conn.connection.dbapi_connection
    if dbapi_connection is None or dbapi_connection.info.transaction_status != TransactionStatus.INTRANS:
        return  # no transaction, a failed one, or a broken connection: SQLAlchemy's ROLLBACK handles it
    try:
        dbapi_connection.commit()
    except psycopg.Error:  # the connection broke: SQLAlchemy's ROLLBACK that follows finds it and drops it
        return
