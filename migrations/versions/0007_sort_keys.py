"""Alphabetical sort keys: stored per reader's language, with an index for each list's name sort.

Partners, contacts and agreements get ``sort_en`` and ``sort_fa`` (the name an English or a
Persian reader sees, as ``crm.text.sort_key`` makes it sortable), activities ``sort_subject``;
on PostgreSQL they compare byte by byte (``COLLATE "C"``). The keys of the existing rows are
computed in Python, a batch of rows at a time, with the functions the flush hook uses. Each key
gets an index with the id, over current (not archived) records; a partner's over every partner,
as the contact list sorted by partner shows the contacts of archived partners too.

The single-column ``archived_at`` indexes, which SQLite's planner would take over these, are
already gone (0006).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 18:00:00

"""
import sqlalchemy as sa
from alembic import context, op

from crm.formatting import pick
from crm.text import SORT_KEY_LENGTH, sort_key


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The names each table's keys are made of (English, Persian, then the others), as the models'
# sort_keys() take them at this revision.
NAMES = {
    'partners': ('name_en', 'name_fa', 'name_local'),
    'contacts': ('name_latin', 'name_fa'),
    'agreements': ('title_en', 'title_fa'),
}
KEYS = {name: ('sort_en', 'sort_fa') for name in NAMES} | {'activities': ('sort_subject',)}
BATCH = 1000
CURRENT = sa.text('archived_at IS NULL')


def _keys(table: str, row) -> dict:
    if table == 'activities':
        return {'sort_subject': sort_key(row.subject)}
    names = [row._mapping[c] for c in NAMES[table]]
    return {'sort_en': sort_key(pick('en', *names)), 'sort_fa': sort_key(pick('fa', *names))}


def fill_sort_keys(connection, batch: int = BATCH) -> int:
    """Write every record's sort keys; returns how many rows changed."""
    changed = 0
    for name, keys in KEYS.items():
        sources = NAMES.get(name, ('subject',))
        table = sa.table(name, sa.column('id'), *(sa.column(c) for c in sources + keys))
        update = (
            table.update()
            .where(table.c.id == sa.bindparam('row_id'))
            .values({key: sa.bindparam(f'new_{key}') for key in keys})
        )
        last = 0
        while True:
            rows = connection.execute(
                sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(batch)
            ).all()
            if not rows:
                break
            updates = []
            for row in rows:
                new = _keys(name, row)
                if any(row._mapping[key] != value for key, value in new.items()):
                    updates.append({'row_id': row.id} | {f'new_{k}': v for k, v in new.items()})
            if updates:
                connection.execute(update, updates)
                changed += len(updates)
            last = rows[-1].id
    return changed


def _key_type():
    return sa.String(length=SORT_KEY_LENGTH).with_variant(
        sa.String(length=SORT_KEY_LENGTH, collation='C'), 'postgresql'
    )


def upgrade():
    for name, keys in KEYS.items():
        for key in keys:  # ALTER TABLE ADD COLUMN: the SQLite table keeps its search triggers
            op.add_column(name, sa.Column(key, _key_type(), server_default='', nullable=False))
    if not context.is_offline_mode():  # the keys are computed in Python, from the rows
        fill_sort_keys(op.get_bind())
    for name, keys in KEYS.items():
        for key in keys:
            if name == 'partners':
                op.create_index(f'ix_{name}_{key}', name, [key, 'id'])
            else:
                op.create_index(
                    f'ix_{name}_{key}_current',
                    name,
                    [key, 'id'],
                    sqlite_where=CURRENT,
                    postgresql_where=CURRENT,
                )
    if context.get_context().dialect.name == 'postgresql':  # every row was rewritten
        for name in KEYS:
            op.execute(f'ANALYZE {name}')


def downgrade():
    for name, keys in KEYS.items():
        for key in keys:
            suffix = '' if name == 'partners' else '_current'
            op.drop_index(f'ix_{name}_{key}{suffix}', table_name=name)
        for key in keys:  # in place: a copied SQLite table would lose its search triggers
            op.execute(f'ALTER TABLE {name} DROP COLUMN {key}')
