"""The database's statistics for its query planner, refreshed after bulk loads and nightly.

Without them SQLite picks an index by its shape alone: the dashboard's overdue follow-ups per
owner walked every planned activity through the index on their status (35,000 rows on the
large set) instead of the range of those already due. ``ANALYZE`` tells it how selective each
index is. It takes about half a second on the large demo set (a sample, SQLite's
``analysis_limit``, was quicker but misled the planner on that same query); PostgreSQL samples
by itself (its autovacuum analyses too, but only after enough rows changed: a bulk load is
planned blind until then).
"""

from sqlalchemy import text

from crm.extensions import db


def refresh_statistics() -> str:
    """Analyse every table of the app's database; the database's name, for a log line.

    PostgreSQL also vacuums: its index-only scans (the dashboard's counts) read the table rows
    all the same until a vacuum marks their pages visible to all, and autovacuum comes to a bulk
    load only later."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.execute(text("VACUUM (ANALYZE)"))  # not allowed in a transaction
        else:
            connection.execute(text("ANALYZE"))
            connection.commit()
        return connection.dialect.name
