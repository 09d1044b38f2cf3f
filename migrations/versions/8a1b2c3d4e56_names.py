"""core: names in two scripts

Revision ID: 8a1b2c3d4e56
Revises: 8a1b2c3d4e55
Create Date: 2026-12-03 06:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8a1b2c3d4e56'
down_revision = '8a1b2c3d4e55'
branch_labels = None
depends_on = None


def upgrade():
    # The server default fills the existing rows ("": the name as written, no override) on SQLite and PostgreSQL.
    with op.batch_alter_table('lms_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('certificate_script', sa.String(length=4), server_default='', nullable=False))
        batch_op.add_column(sa.Column('certificate_name', sa.String(length=200), server_default='', nullable=False))


def downgrade():
    with op.batch_alter_table('lms_user', schema=None) as batch_op:
        batch_op.drop_column('certificate_name')
        batch_op.drop_column('certificate_script')
