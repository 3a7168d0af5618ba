"""Search keys with the new normalisation: direction marks dropped, ە as ه, and a joined form
so that a word written joined finds the same word written with a ZWNJ or a space.

No schema change: every stored key of partners, contacts, agreements and activities is computed
again with ``crm.text.search_key``, the function the flush hook uses, a batch of rows at a time.
The downgrade leaves the keys: they hold the old form and more, so the old code still finds
everything it found before.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 16:00:00

"""
import sqlalchemy as sa
from alembic import context, op

from crm.text import search_key


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# The texts each key is made of: the models' search_values() at this revision.
SOURCES = {
    'partners': ('name_en', 'name_fa', 'name_local', 'region', 'website'),
    'contacts': ('name_latin', 'name_fa', 'title', 'department', 'email', 'phone'),
    'agreements': ('title_en', 'title_fa', 'reference', 'signatories'),
    'activities': ('subject', 'notes', 'location', 'outcome'),
}
BATCH = 1000


def rebuild_search_keys(connection, batch: int = BATCH) -> int:
    """Write every record's key as ``search_key`` makes it; returns how many changed."""
    changed = 0
    for name, columns in SOURCES.items():
        table = sa.table(
            name, sa.column('id'), sa.column('search_key'), *(sa.column(c) for c in columns)
        )
        update = (
            table.update()
            .where(table.c.id == sa.bindparam('row_id'))
            .values(search_key=sa.bindparam('new_key'))
        )
        last = 0
        while True:
            rows = connection.execute(
                sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(batch)
            ).all()
            if not rows:
                break
            keys = [
                (row.id, search_key(row._mapping[c] for c in columns), row.search_key)
                for row in rows
            ]
            updates = [{'row_id': i, 'new_key': new} for i, new, old in keys if new != old]
            if updates:
                connection.execute(update, updates)
                changed += len(updates)
            last = rows[-1].id
    return changed


def upgrade():
    if not context.is_offline_mode():  # the keys are computed in Python, from the rows
        rebuild_search_keys(op.get_bind())


def downgrade():
    pass
