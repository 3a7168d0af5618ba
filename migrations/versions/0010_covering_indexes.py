"""Indexes that answer the start page's counts and a record's activities by themselves.

The start page counts current partners per domain and current agreements per stage (of those
its reader may see); with an index on the domain or the stage alone, both databases read every
row of the table for ``archived_at`` (and ``confidentiality``). A partner's or an agreement's
page shows its latest activities; with an index on ``partner_id`` alone, PostgreSQL walked the time index of every activity backwards to find
them, and SQLite sorted all of them: a partial index per kind of record, over current
activities, by time, gives them in order. The single-column indexes on the domain and the
stage are replaced by ones that start with the same column, so the filters still find them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27 22:40:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

CURRENT = 'archived_at IS NULL'
REPLACED = {  # old index: (table, new index, its columns)
    'ix_partners_domain': ('partners', 'ix_partners_domain_archived', ['domain', 'archived_at']),
    'ix_agreements_stage': (
        'agreements', 'ix_agreements_stage_archived', ['stage', 'archived_at', 'confidentiality']
    ),
}
PARTIAL = {  # name: (table, columns), over current rows
    'ix_activities_partner_when': ('activities', ['partner_id', 'when_at', 'id']),
    'ix_activities_agreement_when': ('activities', ['agreement_id', 'when_at', 'id']),
}


def upgrade():
    for old, (table, new, columns) in REPLACED.items():
        op.create_index(new, table, columns, unique=False)
        op.drop_index(old, table_name=table)
    for name, (table, columns) in PARTIAL.items():
        op.create_index(
            name, table, columns, unique=False,
            sqlite_where=sa.text(CURRENT), postgresql_where=sa.text(CURRENT),
        )


def downgrade():
    for name, (table, _columns) in PARTIAL.items():
        op.drop_index(name, table_name=table)
    for old, (table, new, columns) in REPLACED.items():
        op.create_index(old, table, columns[:1], unique=False)
        op.drop_index(new, table_name=table)
