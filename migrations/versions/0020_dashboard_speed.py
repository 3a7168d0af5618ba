"""The dashboard at speed: stage spells with their ends, parties by partner, planner statistics.

- ``agreement_stage_changes.left_at``: when the agreement moved on from the stage (the next
  change's time), set from now on after every flush that adds a change
  (``crm.agreements.models.close_spells``). The days spent in each stage were a window over the
  whole stage history on every dashboard; they are now read from one index,
  ``ix_agreement_stage_changes_spells``, which replaces the window's
  ``ix_agreement_stage_changes_agreement_order``.
- ``ix_agreement_parties_partner_agreement`` replaces the index on ``partner_id`` alone: a
  partner's agreements (counts per domain and per country) from the index, not the rows.
- ``ANALYZE``: a database that was never analysed is planned by the shape of its indexes alone
  (``crm.maintenance``); from now on the nightly job refreshes the statistics.

Revision ID: 0020
Revises: 0019

"""
import sqlalchemy as sa
from alembic import op

import crm.models


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agreement_stage_changes') as batch:
        batch.add_column(sa.Column('left_at', crm.models.UTCDateTime(timezone=True), nullable=True))
    changes = sa.table(
        'agreement_stage_changes',
        sa.column('id'), sa.column('agreement_id'), sa.column('changed_at'), sa.column('left_at'),
    )
    later = changes.alias('later')
    next_change = (
        sa.select(sa.func.min(later.c.changed_at))
        .where(
            later.c.agreement_id == changes.c.agreement_id,
            sa.tuple_(later.c.changed_at, later.c.id)
            > sa.tuple_(changes.c.changed_at, changes.c.id),
        )
        .scalar_subquery()
    )
    op.execute(changes.update().values(left_at=next_change))
    op.create_index(
        'ix_agreement_stage_changes_spells',
        'agreement_stage_changes',
        ['to_stage', 'agreement_id', 'changed_at', 'left_at'],
    )
    op.drop_index(
        'ix_agreement_stage_changes_agreement_order', table_name='agreement_stage_changes'
    )
    op.create_index(
        'ix_agreement_parties_partner_agreement', 'agreement_parties', ['partner_id', 'agreement_id']
    )
    op.drop_index('ix_agreement_parties_partner_id', table_name='agreement_parties')
    op.execute('ANALYZE')


def downgrade():
    op.create_index('ix_agreement_parties_partner_id', 'agreement_parties', ['partner_id'])
    op.drop_index('ix_agreement_parties_partner_agreement', table_name='agreement_parties')
    op.create_index(
        'ix_agreement_stage_changes_agreement_order',
        'agreement_stage_changes',
        ['agreement_id', 'changed_at', 'id', 'to_stage'],
    )
    op.drop_index('ix_agreement_stage_changes_spells', table_name='agreement_stage_changes')
    with op.batch_alter_table('agreement_stage_changes') as batch:
        batch.drop_column('left_at')
