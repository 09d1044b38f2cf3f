"""privacy: anonymised users, retention

Revision ID: 8a1b2c3d4e52
Revises: 8a1b2c3d4e51
Create Date: 2026-12-02 13:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8a1b2c3d4e52'
down_revision = '8a1b2c3d4e51'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
