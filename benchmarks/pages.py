"""SQL queries per request and median latency of every main page and export, on the demo set,
the large set and the large set three times over, on SQLite or PostgreSQL.

    .venv/bin/python -m benchmarks.pages                      # demo, large, 3x in scratch SQLite
    .venv/bin/python -m benchmarks.pages --postgres           # the same in scratch PostgreSQL dbs
    .venv/bin/python -m benchmarks.pages --sets large,3x --only "search,partner list"
    .venv/bin/python -m benchmarks.pages --database-url URL   # one existing, seeded database

Requests go through the Flask test client, signed in as the demo manager (who sees every
agreement), in the manager's own language (Persian). Each page is requested once to warm up, then
``--requests`` times; each export is downloaded ``--downloads`` times, and its rows per second
taken from the median. Flagged: a page whose query count differs between sets (an N+1 query), a
median over its budget on the largest set (60 ms a page, 30 ms a global search), a median that
grows more than 1.5 times from the large set to 3x, an export slower than 30,000 rows a second.
``--json FILE`` keeps the numbers, to compare two runs (``--compare FILE``).
"""

import argparse
import json
import statistics
from dataclasses import asdict, dataclass, field
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

RARE = "هاوانا"  # one demo partner (Havana) and its few records
COMMON = "همکاری"  # in every bulk partner's summary: thousands of hits
TWO_LETTERS = "چن"  # a family name (Chen) of thousands of bulk contacts; too short for trigrams

PAGES = [
    ("start page", "/"),
    ("partner list", "/partners/"),
    ("partner list, search", "/partners/?q=هرات"),
    ("partner list, by country", "/partners/?sort=country"),
    ("partner detail", "/partners/{partner}"),
    ("partner lookup", "/partners/lookup?q=بارس"),
    ("contact list", "/contacts/"),
    ("contact list, search", "/contacts/?q=حسینی"),
    ("agreement list", "/agreements/"),
    ("agreement list, search", "/agreements/?q=گردشگری"),
    ("agreement detail", "/agreements/{agreement}"),
    ("activity list", "/activities/"),
    ("activity list, search", "/activities/?q=جلسه"),
    ("my follow-ups", "/activities/mine"),
    ("calendar, month", "/calendar"),
    ("calendar, week", "/calendar?view=week"),
    ("search, rare name", f"/search?q={RARE}"),
    ("search, common word", f"/search?q={COMMON}"),
    ("search, two letters", f"/search?q={TWO_LETTERS}"),
]
EXPORTS = ["partners", "contacts", "agreements", "activities"]  # /<name>/export.csv
SETS = {"demo": ("demo", 1.0), "large": ("large", 1.0), "3x": ("large", 3.0)}
PAGE_BUDGET_MS, SEARCH_BUDGET_MS, GROWTH, EXPORT_ROWS_PER_S = 60.0, 30.0, 1.5, 30_000


@dataclass
class Measure:
    status: int = 0
    queries: list[int] = field(default_factory=list)
    median_ms: float = 0.0
    rows: int = 0  # exports: data rows
    slowest_ms: float = 0.0  # the slowest statement of the last request, and its SQL
    slowest_sql: str = ""

    @property
    def query_text(self) -> str:
        return "/".join(str(q) for q in sorted(set(self.queries)))

    @property
    def rows_per_s(self) -> float:
        return self.rows / (self.median_ms / 1000) if self.median_ms else 0.0


def busiest(app: Flask) -> dict[str, int]:
    """The partner and the agreement with the most activities, so that their pages show as much
    as any page does."""
    from crm.activities.models import Activity

    def top(column) -> int:
        return db.session.execute(
            select(column, func.count())
            .where(column.is_not(None))
            .group_by(column)
            .order_by(func.count().desc(), column)
            .limit(1)
        ).scalar_one()

    with app.app_context():
        return {"partner": top(Activity.partner_id), "agreement": top(Activity.agreement_id)}


class Driver:
    """A test client signed in as the demo manager, timing requests and counting their SQL."""

    def __init__(self, app: Flask):
        self.client = app.test_client()
        with app.app_context():
            self.engine = db.engine
        self.statements: list[list] = []  # [statement, start, milliseconds]
        response = self.client.post(
            "/login", data={"email": demo_email("manager"), "password": DEMO_PASSWORD}
        )
        if response.status_code != 302:
            raise SystemExit(f"Could not sign in as the demo manager ({response.status_code}).")

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append([statement, perf_counter(), 0.0])

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.statements[-1][2] = (perf_counter() - self.statements[-1][1]) * 1000

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def get(self, url: str) -> tuple[int, float, int]:
        """(status, milliseconds to the last byte, data rows of a CSV body)."""
        self.statements.clear()
        started = perf_counter()
        response = self.client.get(url)
        body = response.get_data()
        elapsed = (perf_counter() - started) * 1000
        rows = body.count(b"\n") - 1 if url.endswith(".csv") else 0
        return response.status_code, elapsed, rows

    def measure(self, url: str, times: int) -> Measure:
        self.get(url)  # warm-up: templates compiled, caches filled
        m, timings = Measure(), []
        for _ in range(times):
            m.status, elapsed, m.rows = self.get(url)
            timings.append(elapsed)
            m.queries.append(len(self.statements))
        m.median_ms = statistics.median(timings)
        m.slowest_ms, m.slowest_sql = max(
            ((ms, " ".join(sql.split())[:600]) for sql, _start, ms in self.statements),
            default=(0.0, ""),
        )
        return m


def measure(app: Flask, requests: int, downloads: int, only: str = "") -> dict[str, Measure]:
    ids = busiest(app)
    words = [word.strip() for word in only.split(",")]

    def wanted(label: str) -> bool:
        return any(word in label for word in words)

    results = {}
    with Driver(app) as driver:
        for label, path in PAGES:
            if wanted(label):
                results[label] = driver.measure(path.format(**ids), requests)
        for name in EXPORTS:
            label = f"{name} export"
            if wanted(label):
                results[label] = driver.measure(f"/{name}/export.csv", downloads)
    return results


def budget(label: str) -> float:
    return SEARCH_BUDGET_MS if label.startswith("search") else PAGE_BUDGET_MS


def report(sets: dict[str, dict[str, Measure]]) -> bool:
    """Print the table; returns True when nothing was flagged."""
    names = list(sets)
    labels = list(dict.fromkeys(label for results in sets.values() for label in results))
    header = f"{'page':<26}" + "".join(f"{n + ' q':>9}{n + ' ms':>11}" for n in names)
    print(header + "  flags")
    print("-" * (len(header) + 30))
    clean, last = True, names[-1]
    for label in labels:
        row, flags = f"{label:<26}", []
        for name in names:
            m = sets[name].get(label)
            if m is None:
                row += f"{'-':>9}{'-':>11}"
                continue
            row += f"{m.query_text:>9}{m.median_ms:>11.1f}"
            if m.status != 200:
                flags.append(f"HTTP {m.status} on {name}")
            if len(set(m.queries)) > 1:
                flags.append(f"query count varies on {name}")
        final = sets[last].get(label)
        if final and label.endswith("export"):
            row += f"  {final.rows:,} rows, {final.rows_per_s:,.0f} rows/s"
            if final.rows > 1000 and final.rows_per_s < EXPORT_ROWS_PER_S:
                flags.append(f"under {EXPORT_ROWS_PER_S:,} rows/s")
        elif final and len(names) > 1 and final.median_ms > budget(label):
            flags.append(f"over {budget(label):.0f} ms on {last}")
        if {"large", "3x"} <= set(names) and label in sets["large"] and label in sets["3x"]:
            growth = sets["3x"][label].median_ms / max(sets["large"][label].median_ms, 0.01)
            if growth > GROWTH and not label.endswith("export"):
                flags.append(f"grows {growth:.1f}x from large to 3x")
        if len({sets[n][label].query_text for n in names if label in sets[n]}) > 1:
            flags.append("QUERY COUNT DIFFERS BETWEEN SETS (N+1?)")
        clean = clean and not flags
        print(row + ("  " + "; ".join(flags) if flags else ""))
    for label, m in sets[last].items():
        if not label.endswith("export") and m.median_ms > budget(label):
            print(f"\n{label} on {last}: slowest statement {m.slowest_ms:.1f} ms:")
            print(f"  {m.slowest_sql}")
    return clean


def compare(before: dict, after: dict[str, dict[str, Measure]]) -> None:
    """Medians of two runs side by side (``--json`` of the first, this run)."""
    print(f"\n{'page':<26}" + "".join(f"{n + ' before → after':>28}" for n in after))
    for label in dict.fromkeys(label for results in after.values() for label in results):
        row = f"{label:<26}"
        for name, results in after.items():
            old = before.get(name, {}).get(label)
            new = results.get(label)
            old_text = f"{old['median_ms']:.1f}" if old else "-"
            row += f"{old_text + ' → ' + (f'{new.median_ms:.1f}' if new else '-'):>28}"
        print(row)


def build(url: str, size: str, scale: float) -> Flask:
    app = make_app(url)
    ensure_schema(app)
    started = perf_counter()
    seed(app, size, scale)
    print(f"built the {size} ×{scale:g} set in {perf_counter() - started:.1f} s", flush=True)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="measure one existing, seeded database")
    parser.add_argument("--postgres", action="store_true", help="scratch PostgreSQL dbs, dropped")
    parser.add_argument("--sets", default="demo,large,3x", help="of: " + ", ".join(SETS))
    parser.add_argument(
        "--only", default="", help="pages whose label contains one of these comma-separated words"
    )
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--downloads", type=int, default=3)
    parser.add_argument("--json", help="write the numbers to this file")
    parser.add_argument("--compare", help="a --json file of an earlier run to compare with")
    args = parser.parse_args()
    sets: dict[str, dict[str, Measure]] = {}
    if args.database_url:
        sets["db"] = measure(make_app(args.database_url), args.requests, args.downloads, args.only)
    else:
        scratch = []
        try:
            for name in args.sets.split(","):
                if args.postgres:
                    db_name, url = scratch_postgres(suffix=name)
                    scratch.append(db_name)
                else:
                    url = scratch_sqlite(name)
                app = build(url, *SETS[name])
                sets[name] = measure(app, args.requests, args.downloads, args.only)
                print(f"measured the {name} set", flush=True)
                with app.app_context():
                    db.engine.dispose()
        finally:
            for db_name in scratch:
                drop_postgres(db_name)
    ok = report(sets)
    print("\nno flags" if ok else "\nflags above need a look")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({n: {k: asdict(m) for k, m in r.items()} for n, r in sets.items()}, out)
    if args.compare:
        with open(args.compare) as old:
            compare(json.load(old), sets)


if __name__ == "__main__":
    main()
