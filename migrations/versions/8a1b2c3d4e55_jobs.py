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

# At most one unfinished job holds a key (a partial index: SQLite and PostgreSQL both have them).
UNFINISHED = sa.text("state IN ('queued', 'running')")


def upgrade():
    op.create_table('lms_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('academy_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('run_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state IN ('queued', 'running', 'finished', 'failed')", name=op.f('ck_lms_job_state_known')),
    sa.CheckConstraint('done >= 0 AND total >= 0 AND attempts >= 0 AND max_attempts >= 1', name=op.f('ck_lms_job_counts_valid')),
    sa.ForeignKeyConstraint(['academy_id'], ['lms_academy.id'], name=op.f('fk_lms_job_academy_id_lms_academy'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['lms_user.id'], name=op.f('fk_lms_job_created_by_id_lms_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lms_job'))
    )
    with op.batch_alter_table('lms_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_job_academy_id'), ['academy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_job_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index('ix_lms_job_state_run_after', ['state', 'run_after'], unique=False)
        batch_op.create_index(
            'uq_lms_job_key_unfinished', ['key'], unique=True, sqlite_where=UNFINISHED, postgresql_where=UNFINISHED
        )


def downgrade():
    with op.batch_alter_table('lms_job', schema=None) as batch_op:
        batch_op.drop_index('uq_lms_job_key_unfinished')
        batch_op.drop_index('ix_lms_job_state_run_after')
        batch_op.drop_index(batch_op.f('ix_lms_job_created_by_id'))
        batch_op.drop_index(batch_op.f('ix_lms_job_academy_id'))

    op.drop_table('lms_job')
