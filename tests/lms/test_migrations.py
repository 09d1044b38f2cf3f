"""One Alembic history builds the schema the models describe, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lms.extensions import db as _db


def test_migrated_schema_matches_the_models(app, db):
    # The session's app built its schema with `flask db upgrade` (tests/conftest.py: reset_schema).
    connection = db.session.connection()
    context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
    diff = compare_metadata(context, _db.metadata)
    assert diff == [], diff


def test_foreign_keys_are_enforced(db, users):
    import pytest
    from sqlalchemy.exc import IntegrityError

    from lms.models import Membership

    db.session.add(Membership(user_id=users["learner"].id, academy_id=987654, role="learner"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
