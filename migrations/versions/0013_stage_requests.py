"""Stage-approval requests: a staff member's move out of internal approval, for a manager;
and an index of when an agreement entered a stage (the pipeline board's days in a stage).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 05:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agreement_stage_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('from_stage', sa.String(length=20), nullable=False),
    sa.Column('to_stage', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreements.id'], name=op.f('fk_agreement_stage_requests_agreement_id_agreements')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_agreement_stage_requests_decided_by_id_users')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_agreement_stage_requests_requested_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_stage_requests'))
    )
    with op.batch_alter_table('agreement_stage_requests', schema=None) as batch_op:
        batch_op.create_index('ix_agreement_stage_requests_requested_by_id', ['requested_by_id', 'id'], unique=False)
        batch_op.create_index('ix_agreement_stage_requests_status_id', ['status', 'id'], unique=False)
        batch_op.create_index('ux_agreement_stage_requests_pending', ['agreement_id'], unique=True, sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))

    with op.batch_alter_table('agreement_stage_changes', schema=None) as batch_op:
        batch_op.create_index('ix_agreement_stage_changes_entered', ['agreement_id', 'to_stage', 'changed_at'], unique=False)


def downgrade():
    with op.batch_alter_table('agreement_stage_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_agreement_stage_changes_entered')

    with op.batch_alter_table('agreement_stage_requests', schema=None) as batch_op:
        batch_op.drop_index('ux_agreement_stage_requests_pending', sqlite_where=sa.text("status = 'pending'"), postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index('ix_agreement_stage_requests_status_id')
        batch_op.drop_index('ix_agreement_stage_requests_requested_by_id')

    op.drop_table('agreement_stage_requests')
