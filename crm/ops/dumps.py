"""Database dumps for ``crm.ops.backup``: SQLite through its online backup API, PostgreSQL
through ``pg_dump``/``pg_restore``; and what a database holds (schema revision, rows a table).

Both dumps are consistent while the app runs: SQLite's backup API copies one snapshot of the
file (the write-ahead log included), and ``pg_dump`` reads the snapshot in which the row counts
of the manifest were taken (``pg_export_snapshot``), so the counts describe exactly the dump.
"""

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

# Rows `flask db upgrade` itself writes: a database whose app tables hold only these counts as
# empty. (SQLite's search indexes keep settings rows of their own: they are not app tables.)
REFERENCE_TABLES = frozenset({"cooperation_areas"})


class BackupError(Exception):
    """A backup or restore that cannot go on; the message tells the operator why."""


def engine_for(url: URL) -> Engine:
    """An engine of its own, holding no connection between uses (a restored SQLite file is
    replaced under it)."""
    return sa.create_engine(url, poolclass=NullPool)


def contents(conn: Connection) -> tuple[str | None, dict[str, int]]:
    """The schema revision (Alembic's, None when the database has none) and the rows of every
    table, by name."""
    names = sorted(sa.inspect(conn).get_table_names())
    counts = {
        name: conn.scalar(sa.select(sa.func.count()).select_from(sa.table(name))) or 0
        for name in names
    }
    revision = None
    if "alembic_version" in names:
        revision = conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
    return revision, counts


def records_in(url: URL, app_tables: set[str]) -> dict[str, int]:
    """The app tables of ``url`` that hold rows, the reference ones aside (empty: none)."""
    if url.get_backend_name() == "sqlite" and not sqlite_path(url).exists():
        return {}
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            _revision, counts = contents(conn)
    finally:
        engine.dispose()
    return {
        name: rows
        for name, rows in counts.items()
        if rows and name in app_tables and name not in REFERENCE_TABLES
    }


def sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("The database is SQLite in memory: there is no file to back up or fill.")
    return Path(url.database).absolute()


def dump_sqlite(url: URL, target: Path) -> tuple[str | None, dict[str, int]]:
    """Copy the database file to ``target`` with SQLite's online backup API."""
    path = sqlite_path(url)
    if not path.is_file():
        raise BackupError(f"There is no SQLite database at {path}.")
    source = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    with closing(source), closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
    engine = engine_for(URL.create("sqlite", database=str(target)))
    try:
        with engine.connect() as conn:
            return contents(conn)
    finally:
        engine.dispose()


def restore_sqlite(url: URL, dump: Path) -> None:
    """Put the dumped file where the app's database is configured."""
    path = sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".restoring")
    shutil.copyfile(dump, partial)
    # the log and the shared memory of the empty file it replaces would be applied to this one
    for suffix in ("-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)
    os.replace(partial, path)


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """The URL for pg_dump/pg_restore and their environment: the password goes in PGPASSWORD,
    never on the command line (which every user of the host can read)."""
    plain = url.set(drivername="postgresql", password=None)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return plain.render_as_string(hide_password=False), env


def _run(program: str, arguments: list[str], url: URL) -> None:
    conninfo, env = _libpq(url)
    try:
        done = subprocess.run(
            [program, *arguments, f"--dbname={conninfo}"], env=env, capture_output=True, text=True
        )
    except FileNotFoundError:
        raise BackupError(
            f"{program} is not installed (or not on PATH): install the PostgreSQL client of the "
            "server's major version (e.g. apt install postgresql-client-15)."
        ) from None
    if done.returncode != 0:
        raise BackupError(f"{program} failed (exit {done.returncode}): {done.stderr.strip()}")


def dump_postgresql(url: URL, target: Path) -> tuple[str | None, dict[str, int]]:
    """``pg_dump`` in its custom format, from the snapshot the counts were taken in."""
    engine = engine_for(url)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
                found = contents(conn)
                options = ["--format=custom", "--no-owner", "--no-acl", f"--snapshot={snapshot}"]
                _run("pg_dump", [*options, f"--file={target}"], url)
    finally:
        engine.dispose()
    return found


def restore_postgresql(url: URL, dump: Path) -> None:
    """Drop the empty tables an earlier ``flask db upgrade`` may have made, then ``pg_restore``
    the dump in one transaction (a failure leaves no half-restored database)."""
    engine = engine_for(url)
    try:
        with engine.begin() as conn:
            quote = conn.dialect.identifier_preparer.quote
            if names := sa.inspect(conn).get_table_names():
                conn.execute(sa.text(f"DROP TABLE {', '.join(map(quote, names))} CASCADE"))
    finally:
        engine.dispose()
    options = ["--no-owner", "--no-acl", "--single-transaction", "--exit-on-error"]
    _run("pg_restore", [*options, str(dump)], url)
