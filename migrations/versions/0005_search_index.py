"""Search index: pg_trgm GIN indexes on PostgreSQL, FTS5 tables kept by triggers on SQLite.

Every searchable table's ``search_key`` gets a trigram index (words of three letters or more,
anywhere in the key) and a word index (shorter words, at the start of a word); see crm/search.py
for how queries use them. Existing rows are indexed here. PostgreSQL needs the pg_trgm extension
(contrib) and a database whose LC_CTYPE is not C or POSIX: there pg_trgm takes Persian letters
for non-word characters and finds nothing, so the upgrade stops with a message instead.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 18:00:00

"""
from alembic import op

from crm.search import postgres_ddl, sqlite_ddl


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

TABLES = ('partners', 'contacts', 'agreements', 'activities')


def check_ctype(connection) -> None:
    """Refuse a PostgreSQL database whose character classes know only ASCII."""
    ctype = connection.exec_driver_sql(
        'SELECT datctype FROM pg_database WHERE datname = current_database()'
    ).scalar()
    if ctype in ('C', 'POSIX'):
        raise RuntimeError(
            f'This database has LC_CTYPE={ctype}: pg_trgm cannot index Persian text there, so '
            'search would find nothing. Create the database with a UTF-8 LC_CTYPE (for example '
            "CREATE DATABASE crm TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' "
            "LC_CTYPE 'C.UTF-8'), restore the data into it and run the upgrade again."
        )


def upgrade():
    if op.get_context().dialect.name == 'postgresql':
        check_ctype(op.get_bind())
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for table in TABLES:
            for statement in postgres_ddl(table):
                op.execute(statement)
    else:
        for table in TABLES:
            for statement in sqlite_ddl(table):
                op.execute(statement)
            for copy in ('trigrams', 'words'):  # index the rows already there
                op.execute(f"INSERT INTO {table}_{copy}({table}_{copy}) VALUES ('rebuild')")


def downgrade():
    for table in TABLES:
        if op.get_context().dialect.name == 'postgresql':
            op.execute(f'DROP INDEX ix_{table}_search_trigrams')
            op.execute(f'DROP INDEX ix_{table}_search_words')
        else:
            for trigger in ('insert', 'delete', 'update'):
                op.execute(f'DROP TRIGGER {table}_search_{trigger}')
            op.execute(f'DROP TABLE {table}_trigrams')
            op.execute(f'DROP TABLE {table}_words')
    # pg_trgm stays: other databases objects may use it, and dropping needs more rights.
