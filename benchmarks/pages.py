"""SQL queries per request and median latency of the main pages, on the demo and the large set.

    .venv/bin/python -m benchmarks.pages                   # builds both sets in scratch SQLite
    .venv/bin/python -m benchmarks.pages --postgres        # both sets in scratch PostgreSQL dbs
    .venv/bin/python -m benchmarks.pages --database-url URL   # one existing, seeded database

Requests go through the Flask test client, signed in as the demo manager (who sees every
agreement). A page whose query count differs between the two sets has an N+1 somewhere: it is
flagged, and so is a median over the latency budget.
"""

import argparse
import statistics
from dataclasses import dataclass
from time import perf_counter

from flask import Flask
from sqlalchemy import event, func, select

from benchmarks.common import (
    drop_postgres,
    ensure_schema,
    make_app,
    scratch_postgres,
    scratch_sqlite,
    seed,
)
from crm.demo.data import DEMO_PASSWORD
from crm.demo.small import demo_email
from crm.extensions import db

PAGES = [
    ("partner list", "/partners/"),
    ("partner detail", "/partners/{partner}"),
    ("agreement list", "/agreements/"),
    ("my follow-ups", "/activities/mine"),
]
BUDGET_MS = 100.0


@dataclass
class Measure:
    status: int
    queries: set[int]
    median_ms: float
    slowest: tuple[float, str] = (0.0, "")  # the slowest statement of the last request

    @property
    def query_text(self) -> str:
        return "/".join(str(q) for q in sorted(self.queries))


def busiest_partner(app: Flask) -> int:
    """The partner with the most activities (in the large set also many contacts and
    agreements), so the detail page shows as much as any."""
    from crm.activities.models import Activity

    with app.app_context():
        return db.session.execute(
            select(Activity.partner_id, func.count().label("n"))
            .where(Activity.partner_id.is_not(None))
            .group_by(Activity.partner_id)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar_one()


def measure(app: Flask, requests: int = 30) -> dict[str, Measure]:
    """Sign in as the demo manager and time each page ``requests`` times after a warm-up."""
    partner = busiest_partner(app)
    with app.app_context():
        engine = db.engine
    statements: list[list] = []  # [statement, start, milliseconds]

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append([statement, perf_counter(), 0.0])

    def after(conn, cursor, statement, parameters, context, executemany):
        statements[-1][2] = (perf_counter() - statements[-1][1]) * 1000

    client = app.test_client()
    response = client.post(
        "/login", data={"email": demo_email("manager"), "password": DEMO_PASSWORD}
    )
    if response.status_code != 302:
        raise SystemExit(f"Could not sign in as the demo manager ({response.status_code}).")
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    results = {}
    try:
        for label, path in PAGES:
            url = path.format(partner=partner)
            status = client.get(url).status_code  # warm-up: templates compiled, caches filled
            timings, queries = [], set()
            for _ in range(requests):
                statements.clear()
                started = perf_counter()
                status = client.get(url).status_code
                timings.append((perf_counter() - started) * 1000)
                queries.add(len(statements))
            slowest = max(((ms, sql) for sql, _start, ms in statements), default=(0.0, ""))
            results[label] = Measure(status, queries, statistics.median(timings), slowest)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    return results


def report(sets: dict[str, dict[str, Measure]]) -> bool:
    """Print the table; returns True when nothing was flagged."""
    names = list(sets)
    header = f"{'page':<16}" + "".join(f"{n + ' queries':>16}{n + ' median':>16}" for n in names)
    print(header + "  flags")
    print("-" * (len(header) + 20))
    clean = True
    for label, _path in PAGES:
        row, flags = f"{label:<16}", []
        for name in names:
            m = sets[name][label]
            row += f"{m.query_text:>16}{m.median_ms:>13.1f} ms"
            if m.status != 200:
                flags.append(f"HTTP {m.status} on {name}")
            if m.median_ms > BUDGET_MS:
                flags.append(f"over {BUDGET_MS:.0f} ms on {name}")
            if len(m.queries) > 1:
                flags.append(f"query count varies on {name}")
        if len({sets[n][label].query_text for n in names}) > 1:
            flags.append("QUERY COUNT DIFFERS BETWEEN SETS (N+1?)")
        clean = clean and not flags
        print(row + ("  " + "; ".join(flags) if flags else ""))
    for name in names:
        for label, m in sets[name].items():
            if m.median_ms > BUDGET_MS:
                sql = " ".join(m.slowest[1].split())
                print(f"\n{label} on {name}: slowest statement {m.slowest[0]:.1f} ms:")
                print(f"  {sql[:600]}")
    return clean


def build(url: str, size: str, scale: float) -> Flask:
    app = make_app(url)
    ensure_schema(app)
    started = perf_counter()
    seed(app, size, scale)
    print(f"built the {size} set in {perf_counter() - started:.1f} s ({url.split(':')[0]})")
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="measure one existing, seeded database")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="build the two sets in scratch PostgreSQL databases (dropped after)",
    )
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--scale", type=float, default=1.0, help="size of the large set")
    args = parser.parse_args()
    if args.database_url:
        app = make_app(args.database_url)
        report({"db": measure(app, args.requests)})
        return
    scratch = []
    try:
        urls = {}
        for name in ("demo", "large"):
            if args.postgres:
                db_name, urls[name] = scratch_postgres(suffix=name)
                scratch.append(db_name)
            else:
                urls[name] = scratch_sqlite(name)
        apps = {
            "demo": build(urls["demo"], "demo", 1.0),
            "large": build(urls["large"], "large", args.scale),
        }
        sets = {name: measure(app, args.requests) for name, app in apps.items()}
        for app in apps.values():
            with app.app_context():
                db.engine.dispose()
        ok = report(sets)
        print("\nno flags" if ok else "\nflags above need a look")
    finally:
        for db_name in scratch:
            drop_postgres(db_name)


if __name__ == "__main__":
    main()
