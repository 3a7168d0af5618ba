"""Relationship health: each partner's current score and reasons, and one score per day.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 05:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partner_health',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('reasons', sa.JSON(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_health_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partner_id', name=op.f('pk_partner_health'))
    )
    with op.batch_alter_table('partner_health', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_health_score'), ['score'], unique=False)

    op.create_table('partner_health_history',
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_health_history_partner_id_partners'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('partner_id', 'day', name=op.f('pk_partner_health_history'))
    )
    with op.batch_alter_table('partner_health_history', schema=None) as batch_op:
        batch_op.create_index('ix_partner_health_history_day', ['day', 'partner_id'], unique=False)


def downgrade():
    with op.batch_alter_table('partner_health_history', schema=None) as batch_op:
        batch_op.drop_index('ix_partner_health_history_day')

    op.drop_table('partner_health_history')
    with op.batch_alter_table('partner_health', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_health_score'))

    op.drop_table('partner_health')
