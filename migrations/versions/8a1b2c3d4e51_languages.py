"""languages: translations frozen into course versions, name scripts

Revision ID: 8a1b2c3d4e51
Revises: f83784e0ee31
Create Date: 2026-12-02 13:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8a1b2c3d4e51'
down_revision = 'f83784e0ee31'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
