"""quizzes: reactions due after a grade (replayed when the process that graded died before them)

Revision ID: 8a1b2c3d4e57
Revises: 8a1b2c3d4e56
Create Date: 2026-12-03 13:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8a1b2c3d4e57'
down_revision = '8a1b2c3d4e56'
branch_labels = None
depends_on = None


def upgrade():
    # Existing rows get NULL: their reactions ran when they were graded.
    with op.batch_alter_table('quizzes_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reactions_due_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_quizzes_attempt_reactions_due', ['reactions_due_at'], unique=False)


def downgrade():
    with op.batch_alter_table('quizzes_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_quizzes_attempt_reactions_due')
        batch_op.drop_column('reactions_due_at')
