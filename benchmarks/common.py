"""What the benchmark scripts share: an app on a given database, the schema, scratch databases."""

import argparse
import atexit
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import inspect

from crm import create_app
from crm.config import Config
from crm.extensions import db


def make_app(database_url: str) -> Flask:
    """The app on ``database_url``, configured for driving it with the test client."""
    config = type(
        "BenchmarkConfig",
        (Config,),
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "benchmark-secret-key-0123456789abcdef0123456789",
            "TESTING": True,
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "REMEMBER_COOKIE_SECURE": False,
            "RATELIMIT_STORAGE_URI": "memory://",
            "CRM_EMBEDDED_JOBS": False,  # no sweep beside what is measured
        },
    )
    if "CRM_INSTANCE_PATH" not in os.environ:
        os.environ["CRM_INSTANCE_PATH"] = scratch_folder("crm-bench-instance-")
    return create_app(config)


def ensure_schema(app: Flask) -> bool:
    """Create the tables when they are missing (``flask db upgrade`` is the normal way)."""
    with app.app_context():
        if inspect(db.engine).has_table("users"):
            return False
        db.create_all()
        return True


def seed(app: Flask, size: str, scale: float = 1.0) -> str:
    """Run ``crm seed-demo`` on the app's database and return its output."""
    args = ["crm", "seed-demo", "--size", size, "--scale", str(scale)]
    result = app.test_cli_runner().invoke(args=args, catch_exceptions=False)
    if result.exit_code:
        raise SystemExit(result.output)
    return result.output


def scratch_folder(prefix: str) -> str:
    """A temporary folder, removed when the script ends (kept with ``CRM_BENCH_KEEP=1``, to
    measure its database again with ``--database-url``)."""
    folder = tempfile.mkdtemp(prefix=prefix)
    if os.environ.get("CRM_BENCH_KEEP") != "1":
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def scratch_sqlite(name: str) -> str:
    path = Path(scratch_folder("crm-bench-")) / f"{name}.db"
    return f"sqlite:///{path}"


def scratch_postgres(
    suffix: str = "db", server: str = "127.0.0.1", user: str = "postgres"
) -> tuple[str, str]:
    """Create a scratch PostgreSQL database with ``createdb``; returns (name, URL)."""
    name = f"crm_bench_{os.getpid()}_{suffix}"
    subprocess.run(["createdb", "-h", server, "-U", user, name], check=True)
    return name, f"postgresql+psycopg://{user}@{server}:5432/{name}"


def drop_postgres(name: str, server: str = "127.0.0.1", user: str = "postgres") -> None:
    subprocess.run(["dropdb", "-h", server, "-U", user, "--if-exists", "--force", name], check=True)


def on_large_set(name: str, doc: str, measure: Callable[[Flask, int], object], runs: int) -> None:
    """A benchmark's command line: ``measure(app, runs)`` on an existing seeded database
    (``--database-url``), or on the large set built in a scratch SQLite or PostgreSQL
    (``--postgres``) database, dropped afterwards."""
    from benchmarks.pages import build

    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--database-url", help="measure one existing, seeded database")
    parser.add_argument("--postgres", action="store_true", help="a scratch PostgreSQL db, dropped")
    parser.add_argument("--scale", type=float, default=1.0, help="of the large set")
    parser.add_argument("--runs", type=int, default=runs, help="timed runs of each measure")
    args = parser.parse_args()
    if args.database_url:
        measure(make_app(args.database_url), args.runs)
        return
    scratch = None
    try:
        if args.postgres:
            scratch, url = scratch_postgres(suffix=name)
        else:
            url = scratch_sqlite(name)
        app = build(url, "large", args.scale)
        measure(app, args.runs)
        with app.app_context():
            db.engine.dispose()
    finally:
        if scratch:
            drop_postgres(scratch)
