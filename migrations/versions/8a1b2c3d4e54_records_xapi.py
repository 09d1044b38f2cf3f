"""records: xAPI statements, LRS settings, export log

Revision ID: 8a1b2c3d4e54
Revises: 8a1b2c3d4e53
Create Date: 2026-12-02 13:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8a1b2c3d4e54'
down_revision = '8a1b2c3d4e53'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('records_lrs_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('academy_id', sa.Integer(), nullable=False),
    sa.Column('endpoint', sa.String(length=500), nullable=False),
    sa.Column('username', sa.String(length=200), nullable=False),
    sa.Column('password_encrypted', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('actor_uses_email', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['academy_id'], ['lms_academy.id'], name=op.f('fk_records_lrs_settings_academy_id_lms_academy'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_records_lrs_settings')),
    sa.UniqueConstraint('academy_id', name=op.f('uq_records_lrs_settings_academy_id'))
    )
    op.create_table('records_xapi_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Uuid(), nullable=False),
    sa.Column('academy_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('verb', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['academy_id'], ['lms_academy.id'], name=op.f('fk_records_xapi_statement_academy_id_lms_academy'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['lms_user.id'], name=op.f('fk_records_xapi_statement_user_id_lms_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_records_xapi_statement')),
    sa.UniqueConstraint('statement_id', name=op.f('uq_records_xapi_statement_statement_id'))
    )
    with op.batch_alter_table('records_xapi_statement', schema=None) as batch_op:
        batch_op.create_index('ix_records_xapi_statement_academy_state', ['academy_id', 'state'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_xapi_statement_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_records_xapi_statement_sent_at'), ['sent_at'], unique=False)


def downgrade():
    with op.batch_alter_table('records_xapi_statement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_records_xapi_statement_sent_at'))
        batch_op.drop_index(batch_op.f('ix_records_xapi_statement_user_id'))
        batch_op.drop_index('ix_records_xapi_statement_academy_state')

    op.drop_table('records_xapi_statement')
    op.drop_table('records_lrs_settings')
