"""Imports in the worker: the dry run and the undo of a large file run there too.

- ``imports.job``: what the worker does (or last did) with the import: ``preview`` (the dry
  run), ``commit`` or ``undo``; every import so far was a commit.
- ``imports.preview``: the dry run a worker made of a large file, as its page shows it.

Revision ID: 0021_import_jobs
Revises: 0020

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021_import_jobs'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('imports') as batch:
        batch.add_column(sa.Column('job', sa.String(length=10), nullable=False, server_default='commit'))
        batch.add_column(sa.Column('preview', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('imports') as batch:
        batch.drop_column('preview')
        batch.drop_column('job')
