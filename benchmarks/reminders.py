"""Reminders: the sweep's time over the large demo set, with the plans of its statements; and a
soak of 1,000 reminders due at once through two worker processes, one killed mid-delivery, and
a Redis restarted once.

    .venv/bin/python -m benchmarks.reminders --sweep                 # scratch SQLite, large set
    .venv/bin/python -m benchmarks.reminders --sweep --postgres      # scratch PostgreSQL
    .venv/bin/python -m benchmarks.reminders --sweep --database-url URL   # a seeded database
    .venv/bin/python -m benchmarks.reminders --soak [--postgres]

--sweep builds the large set (``seed-demo --size large``: 100,000 activities, 5,000 agreements)
unless given a database, adds a ledger history (``--history`` sent rows, removed after), and
times ``sweep(now)`` at 10:00 Tehran time after a minute, a day and a week since the last
sweep, and as a database's first sweep; then prints each statement of a day's sweep with its
time and plan (EXPLAIN QUERY PLAN, or EXPLAIN ANALYZE on PostgreSQL). Flagged: a sweep over one
second, an activity rule that does not read ``ix_activities_current_when``. What it writes to
a given database (ledger rows, sweep log) it removes, but its sweep log must be its own: use a
copy.

--soak (``benchmarks/reminders_soak.py``) runs its own redis-server and SMTP sink on loopback
and ``flask crm worker`` processes; see there.
"""

import argparse
import os
import statistics
from datetime import UTC, datetime, time, timedelta
from time import perf_counter
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import delete, event, func, insert, select

from benchmarks.common import (
    drop_postgres,
    ensure_schema,
    make_app,
    scratch_postgres,
    scratch_sqlite,
    seed,
)
from crm.auth.models import User
from crm.demo.small import tehran_today
from crm.extensions import db
from crm.formatting import local_to_utc
from crm.reminders.models import Reminder, SweepRun
from crm.reminders.sweep import sweep

SWEEP_BUDGET_S = 1.0
ACTIVITY_INDEX = "ix_activities_current_when"
GAPS = [  # since the last sweep; None: the first sweep of a database
    ("a minute since the last sweep", timedelta(minutes=1)),
    ("the first sweep of a database", None),
    ("a day of downtime", timedelta(days=1)),
    ("a week of downtime", timedelta(days=7)),
]
PLANNED = "a day of downtime"  # the sweep whose statements are explained


class Statements:
    """The SQL an engine runs while the block runs: [statement, parameters, milliseconds]."""

    def __init__(self, engine):
        self.engine, self.found = engine, []

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self.found.append([statement, None if executemany else parameters, perf_counter()])

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.found[-1][2] = (perf_counter() - self.found[-1][2]) * 1000

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def add_history(count: int, now: datetime) -> int:
    """``count`` sent rows of past daily digests (in-app and e-mail, each user, day after day
    back from ``now``), as years of sweeps leave the ledger."""
    users = list(db.session.scalars(select(User.id)))
    rows = []
    for n in range(count):
        user, day = users[(n // 2) % len(users)], now - timedelta(days=1 + n // (2 * len(users)))
        rows.append(
            {
                "rule": "digest",
                "record_kind": "user",
                "record_id": user,
                "occurrence": f"{day:%Y-%m-%d}",
                "recipient_id": user,
                "channel": ("in_app", "email")[n % 2],
                "due_at": day,
                "status": "sent",
                "sent_at": day,
                "created_at": day,
            }
        )
    for start in range(0, len(rows), 5000):
        db.session.execute(insert(Reminder), rows[start : start + 5000])
    db.session.commit()
    return len(rows)


def reset(base: tuple[int, int], now: datetime, gap: timedelta | None) -> None:
    """Remove the ledger rows and sweep runs after ``base`` (ids), then log a sweep ``gap``
    before ``now``."""
    db.session.execute(delete(Reminder).where(Reminder.id > base[0]))
    db.session.execute(delete(SweepRun).where(SweepRun.id > base[1]))
    if gap is not None:
        db.session.add(SweepRun(started_at=now - gap, until=now - gap))
    db.session.commit()


def explain(statement: str, parameters, dialect: str) -> list[str]:
    words = statement.lstrip().split(None, 1)[0].upper()
    if dialect == "sqlite":
        prefix = "EXPLAIN QUERY PLAN "
    else:
        prefix = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if words == "SELECT" else "EXPLAIN "
    connection = db.session.connection()
    rows = connection.exec_driver_sql(prefix + statement, parameters or ()).all()
    db.session.rollback()  # an EXPLAIN ANALYZE of a SELECT changes nothing; leave no transaction
    return [str(row[-1] if dialect == "sqlite" else row[0]) for row in rows]


def fetch_ms(statement: str, parameters) -> float:
    """Milliseconds to run ``statement`` and fetch its rows (the best of three)."""
    connection, best = db.session.connection(), float("inf")
    for _ in range(3):
        started = perf_counter()
        connection.exec_driver_sql(statement, parameters).all()
        best = min(best, (perf_counter() - started) * 1000)
    db.session.rollback()
    return best


def measure_sweeps(app: Flask, runs: int, history: int) -> bool:
    """Time the sweeps; print the table and the plans. True when nothing was flagged."""
    with app.app_context():
        dialect = db.engine.dialect.name
        now = local_to_utc(tehran_today(), time(10), ZoneInfo("Asia/Tehran"))
        base = (
            db.session.scalar(select(func.coalesce(func.max(Reminder.id), 0))),
            db.session.scalar(select(func.coalesce(func.max(SweepRun.id), 0))),
        )
        added = add_history(history, now) if history else 0
        print(f"{dialect}: sweeps at {now:%Y-%m-%d %H:%M} UTC over a ledger of {added:,} rows")
        clean, planned = True, []
        print(f"{'sweep':<32}{'median s':>10}{'min s':>8}{'written':>9}{'skipped':>9}{'ready':>7}")
        for label, gap in GAPS:
            if gap is None and base[1]:
                continue  # the database has a sweep log of its own
            timings = []
            for _ in range(runs):
                reset(base, now, gap)
                with Statements(db.engine) as statements:
                    started = perf_counter()
                    result = sweep(now)
                    timings.append(perf_counter() - started)
            median = statistics.median(timings)
            flag = f"  OVER {SWEEP_BUDGET_S:.0f} s" if median > SWEEP_BUDGET_S else ""
            clean = clean and not flag
            print(
                f"{label:<32}{median:>10.3f}{min(timings):>8.3f}{result.written:>9,}"
                f"{result.skipped:>9,}{len(result.ready):>7,}{flag}"
            )
            if label == PLANNED:
                planned = statements.found
        print(f"\nthe statements of a sweep after {PLANNED} ({dialect}); a SELECT's time is")
        print("that of running it again and fetching its rows:")
        for statement, parameters, ms in planned:
            text = " ".join(statement.split())
            select_ = text.upper().startswith("SELECT") and parameters is not None
            if select_:
                ms = fetch_ms(statement, parameters)
            print(f"\n{ms:8.1f} ms  {text[:300]}{'…' if len(text) > 300 else ''}")
            if parameters is None or not (select_ or text.upper().startswith("UPDATE")):
                continue
            plan = explain(statement, parameters, dialect)
            for line in plan:
                print(f"{'':12}{line[:160]}{'…' if len(line) > 160 else ''}")
            if "FROM activities" in text and not any(ACTIVITY_INDEX in line for line in plan):
                print(f"{'':12}FLAG: the activity rule does not read {ACTIVITY_INDEX}")
                if dialect == "sqlite":
                    forced = statement.replace(
                        "FROM activities", f"FROM activities INDEXED BY {ACTIVITY_INDEX}", 1
                    )
                    print(
                        f"{'':12}with INDEXED BY {ACTIVITY_INDEX}: "
                        f"{fetch_ms(forced, parameters):.1f} ms"
                    )
                clean = False
        reset(base, now, None)  # and the history with the rest
        db.engine.dispose()
    return clean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true", help="time the sweep on the large set")
    parser.add_argument("--soak", action="store_true", help="the soak with workers and Redis")
    parser.add_argument("--database-url", help="an existing database (seeded, for --sweep)")
    parser.add_argument("--postgres", action="store_true", help="a scratch PostgreSQL database")
    parser.add_argument("--runs", type=int, default=5, help="sweeps timed per case")
    parser.add_argument("--history", type=int, default=100_000, help="sent rows in the ledger")
    parser.add_argument("--reminders", type=int, default=1000, help="of the soak")
    parser.add_argument("--rate-reminders", type=int, default=500, help="for one worker's rate")
    parser.add_argument(
        "--sink-delay", type=float, default=0.02, help="seconds the SMTP sink takes to reply"
    )
    args = parser.parse_args()
    if not (args.sweep or args.soak):
        parser.error("choose --sweep, --soak or both")
    print(f"load average at the start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    started = datetime.now(UTC)
    ok = True
    if args.sweep:
        ok = run_sweep(args) and ok
    if args.soak:
        from benchmarks.reminders_soak import run_soak

        ok = run_soak(args) and ok
    print(f"\nload average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"took {(datetime.now(UTC) - started).total_seconds():.0f} s")
    print("no flags" if ok else "FLAGS above need a look")
    raise SystemExit(0 if ok else 1)


def run_sweep(args) -> bool:
    pg_name = None
    if args.database_url:
        url = args.database_url
    elif args.postgres:
        pg_name, url = scratch_postgres(suffix="sweep")
    else:
        url = scratch_sqlite("sweep")
    try:
        app = make_app(url)
        if ensure_schema(app) or not args.database_url:
            started = perf_counter()
            seed(app, "large")
            print(f"built the large set in {perf_counter() - started:.0f} s", flush=True)
        return measure_sweeps(app, args.runs, args.history)
    finally:
        if pg_name:
            drop_postgres(pg_name)


if __name__ == "__main__":
    main()
