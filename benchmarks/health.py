"""Relationship health over the large demo set: the nightly recompute, one partner's recompute
on change, and the pages that show health (the falling list, its export, the partner list
sorted by health).

    .venv/bin/python -m benchmarks.health                   # builds the large set, SQLite
    .venv/bin/python -m benchmarks.health --postgres        # a scratch PostgreSQL db
    .venv/bin/python -m benchmarks.health --database-url URL   # one existing, seeded db

Each measure is taken once cold, then ``--runs`` times; the median is printed. Before the
pages are measured, every partner is given a score 30 days earlier (random, seeded), so that
about half of them are falling.
"""

import random
from time import perf_counter

from flask import Flask
from sqlalchemy import func, insert, select

from benchmarks.common import on_large_set
from benchmarks.pages import Driver
from benchmarks.pipeline_report import queries_of, timed
from crm.extensions import db
from crm.health.lists import compared_day
from crm.health.models import PartnerHealth, PartnerHealthHistory
from crm.health.services import recompute, recompute_all
from crm.partners.models import Partner

PAGES = (
    ("falling list", "/partners/health/falling"),
    ("falling list, by name", "/partners/health/falling?sort=name"),
    ("falling list, page 20", "/partners/health/falling?page=20"),
    ("falling export (CSV)", "/partners/health/falling.csv"),
    ("partner list, by health", "/partners/?sort=health"),
    ("partner list, by name", "/partners/"),
)


def measure(app: Flask, repeat: int) -> None:
    with app.app_context():
        partners = db.session.scalar(select(func.count()).where(Partner.archived_at.is_(None)))
        started = perf_counter()
        first = recompute_all()
        cold = perf_counter() - started
        print(f"nightly recompute, cold: {cold:.2f} s for {first['scored']:,} of {partners:,}")
        wall, cpu, done = timed(recompute_all, repeat)
        queries = queries_of(recompute_all)
        print(
            f"nightly recompute: median {wall:.2f} s (cpu {cpu:.2f} s), {queries} statements, "
            f"{done['scored']:,} partners scored"  # type: ignore[index]
        )
        busiest = db.session.scalar(
            select(PartnerHealth.partner_id).order_by(PartnerHealth.score.desc()).limit(1)
        )

        def one() -> int:
            scored = recompute(db.session(), {busiest})
            db.session.commit()
            return scored

        wall, cpu, _ = timed(one, repeat * 5)
        print(
            f"one partner on change: median {wall * 1000:.1f} ms (cpu {cpu * 1000:.1f} ms), "
            f"{queries_of(one)} statements"
        )
        falling_history(app)
    with Driver(app) as driver:
        print(f"{'page':28} {'median ms':>9} {'queries':>7} {'rows':>6}")
        for label, url in PAGES:
            times = 3 if url.endswith(".csv") else repeat * 5
            m = driver.measure(url, times)
            print(f"{label:28} {m.median_ms:9.0f} {max(m.queries):7d} {m.rows:6d}   ({m.status})")


def falling_history(app: Flask) -> None:
    """Every current partner's score 30 days earlier: its score now plus -20…+40 (seeded)."""
    rng = random.Random(30)
    table = PartnerHealthHistory.__table__
    day = compared_day()
    db.session.execute(table.delete().where(table.c.day == day))
    rows = [
        {"partner_id": pid, "day": day, "score": max(0, min(100, score + rng.randint(-20, 40)))}
        for pid, score in db.session.execute(select(PartnerHealth.partner_id, PartnerHealth.score))
    ]
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(table), rows[start : start + 1000])
    db.session.commit()
    falling = sum(1 for row in rows if row["score"] > 0)
    print(f"history 30 days earlier written for {len(rows):,} partners (up to {falling:,} fell)")


def main() -> None:
    on_large_set("health", __doc__ or "", measure, runs=3)


if __name__ == "__main__":
    main()
