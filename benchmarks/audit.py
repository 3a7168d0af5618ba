"""Latency and SQL queries of the audit trail, and its export, on the large demo set.

    .venv/bin/python -m benchmarks.audit                  # the large set in scratch SQLite
    .venv/bin/python -m benchmarks.audit --postgres       # in a scratch PostgreSQL database

The large set is written with bulk inserts and has no audit log, so this script writes one the
way the flush hook would (Core inserts, a seeded random generator): ``--acts`` acts of one to
eight entries each over the last year, by the demo users, on partners, agreements and
activities of the set, plus one import of 5,000 entries. Each page is then requested
``--requests`` times through the test client, signed in as the demo administrator (median and
95th percentile, and the queries of one request); the exports are streamed whole once cold and
then timed, with tracemalloc's peak on a last download.
"""

import argparse
import random
import statistics
import tracemalloc
from datetime import UTC, datetime, timedelta
from time import perf_counter

from flask import Flask
from sqlalchemy import event, func, insert, select

from benchmarks.common import drop_postgres, scratch_postgres, scratch_sqlite
from benchmarks.exports import lines
from benchmarks.pages import build
from crm.activities.models import Activity
from crm.agreements.models import STAGES, Agreement
from crm.audit import AuditAct, AuditEntry
from crm.auth.models import User
from crm.demo.data import DEMO_PASSWORD
from crm.demo.small import demo_email
from crm.extensions import db
from crm.partners.models import Partner

KINDS = {"partners": Partner, "agreements": Agreement, "activities": Activity}


def _changes(kind: str, rng: random.Random) -> tuple[str, dict]:
    if kind == "agreements":
        old, new = rng.sample(list(STAGES), 2)
        return "update", {"stage": [old, new]}
    if kind == "activities":
        return "update", {"status": ["planned", "done"], "outcome": ["", "Agreed next steps"]}
    return "update", {"region": ["", f"Region {rng.randint(1, 99)}"], "summary": ["", "x" * 300]}


def write_log(app: Flask, acts: int, seed: int = 7) -> tuple[int, int]:
    """Write ``acts`` acts and one import to the audit log; returns the number of entries
    written and the import's act."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with app.app_context():
        users = list(db.session.scalars(select(User.id)))
        first = (db.session.scalar(select(func.max(AuditAct.id))) or 0) + 1  # after the demo's
        ids = {k: list(db.session.scalars(select(m.id).limit(20_000))) for k, m in KINDS.items()}
        act_rows, entry_rows = [], []
        for n in range(acts + 1):
            act_id = first + n
            at = now - timedelta(days=365) + timedelta(seconds=n * 365 * 86400 // (acts + 1))
            user = rng.choice(users)
            act_rows.append(
                {
                    "id": act_id,
                    "at": at,
                    "user_id": user,
                    "via": "cli" if n == acts else "web",
                    "kind": "import" if n == acts else "",
                    "summary": "",
                }
            )
            size = 5000 if n == acts else rng.randint(1, 8)
            for _ in range(size):
                kind = rng.choice(list(KINDS))
                action, changes = _changes(kind, rng)
                entry_rows.append(
                    {
                        "at": at,
                        "user_id": user,
                        "via": act_rows[-1]["via"],
                        "act_id": act_id,
                        "action": action,
                        "object_type": kind,
                        "object_id": rng.choice(ids[kind]),
                        "changes": changes,
                    }
                )
        for start in range(0, len(act_rows), 5000):
            db.session.execute(insert(AuditAct), act_rows[start : start + 5000])
        for start in range(0, len(entry_rows), 5000):
            db.session.execute(insert(AuditEntry), entry_rows[start : start + 5000])
        if db.engine.dialect.name == "postgresql":
            db.session.execute(
                select(func.setval("audit_acts_id_seq", first + acts))  # later acts follow on
            )
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE audit_log; ANALYZE audit_acts")
        return len(entry_rows), first + acts


class Driver:
    def __init__(self, app: Flask) -> None:
        self.client = app.test_client()
        with app.app_context():
            self.engine = db.engine
            self.some_user = db.session.scalar(select(User.id).order_by(User.id.desc()))
            self.some_agreement = db.session.scalar(
                select(AuditEntry.object_id).where(AuditEntry.object_type == "agreements")
            )
        self.queries = 0
        form = {"email": demo_email("admin"), "password": DEMO_PASSWORD}
        assert self.client.post("/login", data=form).status_code == 302
        self.client.post("/locale", data={"locale": "fa", "next": "/"})

    def count(self, *_args) -> None:
        self.queries += 1

    def get(self, url: str, stream: bool = False) -> tuple[float, int, int]:
        """(seconds, queries, CSV rows when ``stream``) of one request."""
        self.queries = 0
        event.listen(self.engine, "before_cursor_execute", self.count)
        try:
            started = perf_counter()
            response = self.client.get(url)
            rows = sum(1 for _ in lines(iter(response.response))) - 1 if stream else 0
            if not stream:
                response.get_data()
            seconds = perf_counter() - started
            assert response.status_code == 200, (url, response.status_code)
            response.close()
        finally:
            event.remove(self.engine, "before_cursor_execute", self.count)
        return seconds, self.queries, rows


def pages(driver: Driver, import_act: int) -> dict[str, str]:
    return {
        "newest acts": "/admin/audit",
        "page 200": "/admin/audit?page=200",
        "one kind": "/admin/audit?kind=agreements",
        "one user": f"/admin/audit?user={driver.some_user}",
        "one record": f"/admin/audit?kind=agreements&record={driver.some_agreement}",
        "a month (Jalali)": "/admin/audit?date_from=1405/03/01&date_to=1405/03/31",
        "the import (5,000)": f"/admin/audit?act={import_act}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="a scratch PostgreSQL database")
    parser.add_argument("--acts", type=int, default=60_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    scratch = None
    if args.postgres:
        scratch, url = scratch_postgres(suffix="audit")
    else:
        url = scratch_sqlite("audit")
    try:
        app = build(url, "large", 1.0)
        started = perf_counter()
        entries, import_act = write_log(app, args.acts)
        print(f"wrote {entries} audit entries in {args.acts + 1} acts in", end=" ")
        print(f"{perf_counter() - started:.1f} s", flush=True)
        driver = Driver(app)
        print(f"\n{'page':<20}{'median ms':>10}{'p95 ms':>8}{'queries':>9}")
        for label, page in pages(driver, import_act).items():
            driver.get(page)  # cold
            runs = [driver.get(page) for _ in range(args.requests)]
            times = sorted(r[0] * 1000 for r in runs)
            queries = "/".join(str(q) for q in sorted({r[1] for r in runs}))
            p95 = times[int(len(times) * 0.95) - 1]
            print(f"{label:<20}{statistics.median(times):>10.1f}{p95:>8.1f}{queries:>9}")
        print(f"\n{'export':<20}{'rows':>8}{'seconds':>9}{'queries':>9}{'traced MB':>10}")
        for label, query in (("one kind", "?kind=agreements"), ("everything", "")):
            page = "/admin/audit/export.csv" + query
            driver.get(page, stream=True)  # cold
            seconds, queries, rows = driver.get(page, stream=True)
            tracemalloc.start()
            driver.get(page, stream=True)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            print(f"{label:<20}{rows:>8}{seconds:>9.2f}{queries:>9}{peak:>10.1f}")
    finally:
        if scratch:
            with app.app_context():
                db.engine.dispose()
            drop_postgres(scratch)


if __name__ == "__main__":
    main()
