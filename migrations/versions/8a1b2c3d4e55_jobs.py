"""core: background jobs

Revision ID: 8a1b2c3d4e55
Revises: 8a1b2c3d4e54
Create Date: 2026-12-03 06:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8a1b2c3d4e55'
down_revision = '8a1b2c3d4e54'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
