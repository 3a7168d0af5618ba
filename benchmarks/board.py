"""The pipeline board on the demo set and the large set: median latency and SQL queries per
request, for the demo manager (who sees every agreement) and the demo staff member, in Persian.

    .venv/bin/python -m benchmarks.board                      # demo and large, scratch SQLite
    .venv/bin/python -m benchmarks.board --postgres           # the same in scratch PostgreSQL
    .venv/bin/python -m benchmarks.board --sets large,3x      # the large set and three times it
    .venv/bin/python -m benchmarks.board --database-url URL   # one existing, seeded database

Each URL is requested once to warm up, then ``--requests`` times; the median wall time is
printed with the median CPU time of this process (on SQLite the database's work is in it too;
on a busy machine the wall time also holds the waits for a core, the CPU time does not).
Flagged: a median over ``BUDGET_MS`` on the largest set, a query count that varies between
requests or between sets (it must not grow with the data).
"""

import argparse
import statistics
from time import perf_counter, process_time

from flask import Flask
from sqlalchemy import event

from benchmarks.common import drop_postgres, make_app, scratch_postgres, scratch_sqlite
from benchmarks.pages import SETS, build
from crm.demo.data import DEMO_PASSWORD
from crm.demo.small import demo_email
from crm.extensions import db

BUDGET_MS = 150.0
URLS = [
    ("board", "/agreements/board"),
    ("board, by expiry", "/agreements/board?order=expires_on"),
    ("board, by title", "/agreements/board?order=title"),
    ("board, cities domain", "/agreements/board?domain=cities"),
    ("awaiting approval", "/agreements/requests"),
]
ROLES = ("manager", "staff")


def measure(app: Flask, requests: int) -> dict[tuple[str, str], tuple[float, float, list[int]]]:
    """(role, label) → (median ms, median CPU ms, the query count of each request)."""
    with app.app_context():
        engine = db.engine
    results = {}
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    for role in ROLES:
        client = app.test_client()
        response = client.post(
            "/login", data={"email": demo_email(role), "password": DEMO_PASSWORD}
        )
        if response.status_code != 302:
            raise SystemExit(f"Could not sign in as the demo {role} ({response.status_code}).")
        client.post("/locale", data={"locale": "fa"})
        event.listen(engine, "before_cursor_execute", record)
        try:
            for label, url in URLS:
                if role != "manager" and label == "awaiting approval":
                    continue
                assert client.get(url).status_code == 200, url  # warm-up
                timings, cpus, queries = [], [], []
                for _ in range(requests):
                    statements.clear()
                    started, cpu = perf_counter(), process_time()
                    response = client.get(url)
                    response.get_data()
                    timings.append((perf_counter() - started) * 1000)
                    cpus.append((process_time() - cpu) * 1000)
                    queries.append(len(statements))
                    assert response.status_code == 200, url
                results[role, label] = (
                    statistics.median(timings),
                    statistics.median(cpus),
                    queries,
                )
        finally:
            event.remove(engine, "before_cursor_execute", record)
    return results


def report(sets: dict[str, dict]) -> bool:
    names = list(sets)
    header = f"{'reader':8} {'page':22}" + "".join(
        f"{n + ' q':>9}{n + ' ms':>11}{n + ' cpu':>11}" for n in names
    )
    print(header + "  flags")
    print("-" * (len(header) + 20))
    clean = True
    for key in sets[names[0]]:
        role, label = key
        row, flags = f"{role:8} {label:22}", []
        for name in names:
            median, cpu, queries = sets[name][key]
            row += f"{'/'.join(map(str, sorted(set(queries)))):>9}{median:>11.1f}{cpu:>11.1f}"
            if len(set(queries)) > 1:
                flags.append(f"query count varies on {name}")
        if len({tuple(sorted(set(sets[n][key][2]))) for n in names}) > 1:
            flags.append("QUERY COUNT DIFFERS BETWEEN SETS")
        if sets[names[-1]][key][0] > BUDGET_MS:
            flags.append(f"over {BUDGET_MS:.0f} ms on {names[-1]}")
        clean = clean and not flags
        print(row + ("  " + "; ".join(flags) if flags else ""))
    return clean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="measure one existing, seeded database")
    parser.add_argument("--postgres", action="store_true", help="scratch PostgreSQL dbs, dropped")
    parser.add_argument("--sets", default="demo,large", help="of: " + ", ".join(SETS))
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    sets = {}
    if args.database_url:
        sets["db"] = measure(make_app(args.database_url), args.requests)
    else:
        scratch = []
        try:
            for name in args.sets.split(","):
                if args.postgres:
                    db_name, url = scratch_postgres(suffix=f"board_{name}")
                    scratch.append(db_name)
                else:
                    url = scratch_sqlite(name)
                app = build(url, *SETS[name])
                sets[name] = measure(app, args.requests)
                print(f"measured the {name} set", flush=True)
                with app.app_context():
                    db.engine.dispose()
        finally:
            for db_name in scratch:
                drop_postgres(db_name)
    print("\nno flags" if report(sets) else "\nflags above need a look")


if __name__ == "__main__":
    main()
