"""Audit acts: how each change was made (web, job, command) and operations grouped as one act.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 14:42:41.072863

"""
import sqlalchemy as sa
from alembic import op

import crm.models


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_acts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', crm.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_acts_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_acts'))
    )
    with op.batch_alter_table('audit_acts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_acts_at'), ['at'], unique=False)

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('via', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('act_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_audit_log_act_id'), ['act_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_audit_log_act_id_audit_acts'), 'audit_acts', ['act_id'], ['id'])



def downgrade():
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_log_act_id_audit_acts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_audit_log_act_id'))
        batch_op.drop_column('act_id')
        batch_op.drop_column('via')

    with op.batch_alter_table('audit_acts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_acts_at'))

    op.drop_table('audit_acts')
