"""Prepared files: briefing packs and pipeline reports built in the background.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 02:05:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('prepared_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=200), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('touched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_prepared_files_owner_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prepared_files'))
    )
    with op.batch_alter_table('prepared_files', schema=None) as batch_op:
        batch_op.create_index('ix_prepared_files_owner_id_id', ['owner_id', 'id'], unique=False)
        batch_op.create_index('ix_prepared_files_status_touched', ['status', 'touched_at'], unique=False)


def downgrade():
    with op.batch_alter_table('prepared_files', schema=None) as batch_op:
        batch_op.drop_index('ix_prepared_files_status_touched')
        batch_op.drop_index('ix_prepared_files_owner_id_id')

    op.drop_table('prepared_files')
