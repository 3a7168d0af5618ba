"""Indexes that answer the dashboard's figures by themselves.

The dashboard counts current activities per month and domain over a year (and, for staff and
viewers, leaves out those about confidential agreements): an index on the time, the domain and
the agreement of current activities answers it without reading the rows (SQLite takes a partial
index as covering only when it holds the columns of its condition, hence ``archived_at``). The
days spent in each stage walk each agreement's moves in order: an index on (agreement, time, id,
stage) gives them without sorting or reading the rows. Current partners per country: an index
on (country, archived_at), as the one per domain.

Revision ID: 0015
Revises: 0014

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

CURRENT = 'archived_at IS NULL'
INDEXES = {  # name: (table, columns, over current rows only)
    'ix_activities_current_when_domain': (
        'activities', ['when_at', 'domain', 'agreement_id', 'archived_at'], True
    ),
    'ix_agreement_stage_changes_agreement_order': (
        'agreement_stage_changes', ['agreement_id', 'changed_at', 'id', 'to_stage'], False
    ),
    'ix_partners_country_archived': ('partners', ['country', 'archived_at'], False),
}


def upgrade():
    for name, (table, columns, current) in INDEXES.items():
        where = {'sqlite_where': sa.text(CURRENT), 'postgresql_where': sa.text(CURRENT)}
        op.create_index(name, table, columns, unique=False, **(where if current else {}))


def downgrade():
    for name, (table, _columns, _current) in INDEXES.items():
        op.drop_index(name, table_name=table)
