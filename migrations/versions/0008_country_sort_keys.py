"""Country order from an index: partners store their country's name as a sort key per reader's
language (``sort_country_en``, ``sort_country_fa``), with an index over current partners.

The list sorted by country used to rank the countries with a CASE of some 250 branches, which
no index holds, so the database sorted every partner. The keys are the ``sort_key`` of the
country's name in each language (``crm.formatting.country_sort_key``); a partner without a
country gets a key after every name, so it still sorts last. The existing rows' keys are
computed in Python, a batch of rows at a time, with the function the flush hook uses; on
PostgreSQL the table is vacuumed afterwards, outside the migration's transaction.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 21:00:00

"""
import sqlalchemy as sa
from alembic import context, op

from crm.formatting import country_sort_key
from crm.text import SORT_KEY_LENGTH


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

KEYS = {'sort_country_en': 'en', 'sort_country_fa': 'fa'}
BATCH = 1000
CURRENT = sa.text('archived_at IS NULL')


def fill_country_keys(connection, batch: int = BATCH) -> int:
    """Write every partner's country keys; returns how many rows changed."""
    partners = sa.table('partners', sa.column('id'), sa.column('country'), *map(sa.column, KEYS))
    update = (
        partners.update()
        .where(partners.c.id == sa.bindparam('row_id'))
        .values({key: sa.bindparam(f'new_{key}') for key in KEYS})
    )
    changed, last = 0, 0
    while True:
        rows = connection.execute(
            sa.select(partners).where(partners.c.id > last).order_by(partners.c.id).limit(batch)
        ).all()
        if not rows:
            return changed
        updates = []
        for row in rows:
            new = {key: country_sort_key(row.country, locale) for key, locale in KEYS.items()}
            if any(row._mapping[key] != value for key, value in new.items()):
                updates.append({'row_id': row.id} | {f'new_{k}': v for k, v in new.items()})
        if updates:
            connection.execute(update, updates)
            changed += len(updates)
        last = rows[-1].id


def upgrade():
    key_type = sa.String(length=SORT_KEY_LENGTH).with_variant(
        sa.String(length=SORT_KEY_LENGTH, collation='C'), 'postgresql'
    )
    for key in KEYS:  # ALTER TABLE ADD COLUMN: the SQLite table keeps its search triggers
        op.add_column('partners', sa.Column(key, key_type, server_default='', nullable=False))
    if not context.is_offline_mode():  # the keys are computed in Python, from the rows
        fill_country_keys(op.get_bind())
    for key in KEYS:
        op.create_index(
            f'ix_partners_{key}_current',
            'partners',
            [key, 'id'],
            sqlite_where=CURRENT,
            postgresql_where=CURRENT,
        )
    if context.get_context().dialect.name == 'postgresql':
        # Every row was rewritten: the old versions take as much room as the table until a
        # vacuum frees them (autovacuum may be slow to come, or off), and the planner needs
        # statistics of the new columns. VACUUM cannot run inside the migration's transaction.
        with context.get_context().autocommit_block():
            op.execute('VACUUM ANALYZE partners')


def downgrade():
    for key in KEYS:
        op.drop_index(f'ix_partners_{key}_current', table_name='partners')
    for key in KEYS:  # in place: a copied SQLite table would lose its search triggers
        op.execute(f'ALTER TABLE partners DROP COLUMN {key}')
