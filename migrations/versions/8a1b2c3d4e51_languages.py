"""languages: translations frozen into course versions, the language of a quiz attempt

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
    with op.batch_alter_table('courses_version_module', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('courses_version_lesson', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('translated_bodies', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('quizzes_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('quizzes_attempt', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('courses_version_lesson', schema=None) as batch_op:
        batch_op.drop_column('translated_bodies')
        batch_op.drop_column('translations')
    with op.batch_alter_table('courses_version_module', schema=None) as batch_op:
        batch_op.drop_column('translations')
