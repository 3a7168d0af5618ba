"""Time order from an index: activities store ``when_at`` (their start, or the start of their
due day in their owner's time zone, in UTC), and partial indexes over the current rows replace
the single-column ``archived_at`` indexes, which matched nearly every row.

The backfill copies the start of timed activities in SQL and computes the due days' moments in
Python, one UPDATE per owner's zone and due day (``crm.activities.models.moment``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 18:00:00

"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import context, op

import crm.models
from crm.formatting import default_zone, local_to_utc, zone_of


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

CURRENT = 'archived_at IS NULL'
PARTIAL = {  # name: (table, columns, where)
    'ix_activities_current_when': ('activities', ['when_at', 'id'], CURRENT),
    'ix_activities_planned_owner_when': (
        'activities', ['owner_id', 'when_at', 'id'], f"status = 'planned' AND {CURRENT}"
    ),
    'ix_agreements_current_updated': ('agreements', ['updated_at', 'id'], CURRENT),
    'ix_agreement_documents_current_agreement': ('agreement_documents', ['agreement_id'], CURRENT),
    'ix_contacts_current_partner': ('contacts', ['partner_id'], CURRENT),
}
ARCHIVABLE = ('activities', 'agreements', 'agreement_documents', 'partners', 'contacts')


def backfill_when_at(connection) -> None:
    """Fill ``when_at`` of every activity from its start or its owner's due day."""
    activities = sa.table(
        'activities',
        sa.column('owner_id'),
        sa.column('starts_at', crm.models.UTCDateTime()),
        sa.column('due_on', sa.Date()),
        sa.column('when_at', crm.models.UTCDateTime()),
    )
    users = sa.table('users', sa.column('id'), sa.column('timezone'))
    connection.execute(
        activities.update()
        .where(activities.c.starts_at.is_not(None))
        .values(when_at=activities.c.starts_at)
    )
    owners = defaultdict(list)
    for user_id, zone in connection.execute(sa.select(users.c.id, users.c.timezone)):
        owners[zone or default_zone()].append(user_id)
    due = (activities.c.starts_at.is_(None), activities.c.due_on.is_not(None))
    days = connection.scalars(sa.select(activities.c.due_on).where(*due).distinct()).all()
    if not days:
        return
    # an owner's zone, or the application's: one bound value per row, as executemany needs
    # (a list of ids for IN cannot be bound there)
    zoned = sa.select(users.c.id).where(
        sa.func.coalesce(sa.func.nullif(users.c.timezone, ''), sa.bindparam('default'))
        == sa.bindparam('zone')
    )
    groups = [(default_zone(), activities.c.owner_id.is_(None))]
    groups += [(zone, activities.c.owner_id.in_(zoned)) for zone in owners]
    for zone, whose in groups:
        whom = {'zone': zone, 'default': default_zone()}
        connection.execute(
            activities.update()
            .where(*due, whose, activities.c.due_on == sa.bindparam('day'))
            .values(when_at=sa.bindparam('moment')),
            [
                {'day': d, 'moment': local_to_utc(d, None, zone_of(zone)), **whom}
                for d in days
            ],
        )


def upgrade():
    # in place (no batch copy): a copied SQLite table would lose its search triggers (0005)
    op.add_column('activities', sa.Column('when_at', crm.models.UTCDateTime(timezone=True), nullable=True))
    if not context.is_offline_mode():  # the due days' moments are computed in Python
        backfill_when_at(op.get_bind())
    for table in ARCHIVABLE:
        op.drop_index(f'ix_{table}_archived_at', table_name=table)
    for name, (table, columns, where) in PARTIAL.items():
        op.create_index(
            name, table, columns, unique=False,
            sqlite_where=sa.text(where), postgresql_where=sa.text(where),
        )


def downgrade():
    for name, (table, _columns, _where) in PARTIAL.items():
        op.drop_index(name, table_name=table)
    for table in ARCHIVABLE:
        op.create_index(f'ix_{table}_archived_at', table, ['archived_at'], unique=False)
    op.execute('ALTER TABLE activities DROP COLUMN when_at')
