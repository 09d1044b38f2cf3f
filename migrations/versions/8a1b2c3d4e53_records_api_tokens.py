"""records: API tokens

Revision ID: 8a1b2c3d4e53
Revises: 8a1b2c3d4e52
Create Date: 2026-12-02 13:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8a1b2c3d4e53'
down_revision = '8a1b2c3d4e52'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('records_api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('academy_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['academy_id'], ['lms_academy.id'], name=op.f('fk_records_api_token_academy_id_lms_academy'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['lms_user.id'], name=op.f('fk_records_api_token_created_by_id_lms_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['lms_user.id'], name=op.f('fk_records_api_token_revoked_by_id_lms_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_records_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_records_api_token_token_hash'))
    )
    with op.batch_alter_table('records_api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_records_api_token_academy_id'), ['academy_id'], unique=False)


def downgrade():
    with op.batch_alter_table('records_api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_records_api_token_academy_id'))

    op.drop_table('records_api_token')
