"""Time ``crm seed-demo --size large`` on a scratch SQLite file or a given database.

.venv/bin/python -m benchmarks.seed_large                 # scratch SQLite file
.venv/bin/python -m benchmarks.seed_large --postgres      # scratch PostgreSQL database
.venv/bin/python -m benchmarks.seed_large --database-url postgresql+psycopg://…/db
"""

import argparse
from time import perf_counter

from benchmarks.common import (
    drop_postgres,
    ensure_schema,
    make_app,
    scratch_postgres,
    scratch_sqlite,
    seed,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an existing database (tables made if missing)")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="use a scratch PostgreSQL database on 127.0.0.1, dropped after",
    )
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    pg_name = None
    if args.database_url:
        url = args.database_url
    elif args.postgres:
        pg_name, url = scratch_postgres()
    else:
        url = scratch_sqlite("large")
    try:
        app = make_app(url)
        ensure_schema(app)
        started = perf_counter()
        print(seed(app, "large", args.scale))
        print(
            f"Total seed-demo --size large on {url.split(':')[0]}: {perf_counter() - started:.1f} s"
        )
        with app.app_context():
            from crm.extensions import db

            db.engine.dispose()
    finally:
        if pg_name:
            drop_postgres(pg_name)


if __name__ == "__main__":
    main()
