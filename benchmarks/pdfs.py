"""Wall time, pages and memory of the PDFs: the busiest partner's briefing and a pack of 20.

    .venv/bin/python -m benchmarks.pdfs                     # the large set in scratch SQLite
    .venv/bin/python -m benchmarks.pdfs --postgres          # ... in scratch PostgreSQL
    .venv/bin/python -m benchmarks.pdfs --database-url URL  # a database with the large set

The reader is the demo manager (who sees confidential agreements too, so the most rows). The
busiest partner is the one with the most activities, and the pack holds the 20 busiest. The
briefing is timed twice: built directly (``briefing_pdf``) and downloaded through the Flask test
client (``/partners/<id>/briefing.pdf``, signed in); each once cold, then ``--repeat`` times,
median reported. The pack is built ``--pack-repeat`` times (median), then once in a forked
process, as RQ's work horse builds it (its peak RSS), then once under tracemalloc (peak of
Python allocations; not timed, tracing slows Python down). Targets: a briefing under 1 s, a
pack of 20 under 10 s.
"""

import argparse
import gc
import io
import os
import statistics
import tracemalloc
from collections.abc import Callable
from time import perf_counter
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select

from benchmarks.common import drop_postgres, make_app, scratch_postgres, scratch_sqlite
from benchmarks.pages import build
from crm.activities.models import Activity
from crm.auth.models import User
from crm.demo.data import DEMO_PASSWORD
from crm.demo.small import demo_email
from crm.dossiers.briefing import briefing_pdf
from crm.dossiers.pack import pack_pdf
from crm.extensions import db
from crm.formatting import Formatter

LANGUAGES = ("fa", "en")
TARGETS = {"briefing": 1.0, "pack": 10.0}  # seconds


def page_count(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def busiest(count: int) -> list[int]:
    """The ids of the ``count`` partners with the most activities."""
    stmt = (
        select(Activity.partner_id)
        .where(Activity.partner_id.is_not(None))
        .group_by(Activity.partner_id)
        .order_by(func.count().desc(), Activity.partner_id)
        .limit(count)
    )
    return list(db.session.scalars(stmt))


def timed(make: Callable[[], bytes], repeat: int) -> tuple[float, float, bytes]:
    """(cold seconds, median warm seconds, the last result)."""
    started = perf_counter()
    data = make()
    cold = perf_counter() - started
    runs = []
    for _ in range(repeat):
        started = perf_counter()
        data = make()
        runs.append(perf_counter() - started)
    return cold, statistics.median(runs), data


def memory(app: Flask, make: Callable[[], bytes]) -> tuple[float, float]:
    """(peak RSS of a forked process that builds it, tracemalloc peak of one more build) in MB.

    RQ's worker runs each job in a fork of itself (its work horse), so the fork's peak RSS is
    what a worker uses to build the document: the inherited pages it touches and what it adds.
    """
    pid = os.fork()
    if pid == 0:  # the child: connections of its own, then the build
        try:
            with app.app_context():
                db.engine.dispose(close=False)
            make()
        finally:
            os._exit(0)
    _pid, _status, usage = os.wait4(pid, 0)
    rss = usage.ru_maxrss / 1024
    gc.collect()
    tracemalloc.start()
    make()
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return rss, traced


def sign_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    form = {"email": demo_email("manager"), "password": DEMO_PASSWORD}
    response = client.post("/login", data=form)
    if response.status_code != 302:
        raise SystemExit(f"sign-in as the demo manager failed: HTTP {response.status_code}")
    return client


def as_manager(app: Flask, build_pdf: Callable[[Any], bytes]) -> Callable[[], bytes]:
    """``build_pdf(reader)`` in an app context of its own, as a worker's job runs it."""

    def make() -> bytes:
        with app.app_context():
            reader = db.session.scalar(select(User).where(User.email == demo_email("manager")))
            return build_pdf(reader)

    return make


def measure(app: Flask, repeat: int, pack_repeat: int, pack_size: int) -> bool:
    """Print the numbers; True when every target is met."""
    ok = True
    client = sign_in(app)
    with app.app_context():
        ids = busiest(pack_size)
        if not ids:
            raise SystemExit("no partner has activities: seed the large set first")
        top = ids[0]
        activities = db.session.scalar(select(func.count()).where(Activity.partner_id == top))
    print(f"busiest partner: #{top} with {activities} activities; reader: the demo manager")
    print(f"\n{'what':<24}{'lang':<5}{'pages':>6}{'cold s':>8}{'median s':>10}{'target':>8}")
    for locale in LANGUAGES:
        rows = {
            "briefing (direct)": as_manager(
                app, lambda reader, locale=locale: briefing_pdf(top, reader, Formatter(locale))
            ),
            "briefing (download)": lambda locale=locale: (
                client.get(f"/partners/{top}/briefing.pdf?lang={locale}").data
            ),
        }
        for label, make in rows.items():
            cold, median, data = timed(make, repeat)
            met = median < TARGETS["briefing"]
            ok = ok and met
            print(
                f"{label:<24}{locale:<5}{page_count(data):>6}{cold:>8.2f}{median:>10.2f}"
                f"{'ok' if met else 'MISSED':>8}"
            )
    for locale in LANGUAGES:
        make_pack = as_manager(
            app, lambda reader, locale=locale: pack_pdf(ids, reader, Formatter(locale))
        )
        cold, median, data = timed(make_pack, pack_repeat)
        rss, traced = memory(app, make_pack)
        met = median < TARGETS["pack"]
        ok = ok and met
        print(
            f"{f'pack of {len(ids)}':<24}{locale:<5}{page_count(data):>6}{cold:>8.2f}"
            f"{median:>10.2f}{'ok' if met else 'MISSED':>8}"
            f"   worker fork's peak RSS {rss:.0f} MB, traced peak {traced:.1f} MB"
        )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="measure one existing database with the large set")
    parser.add_argument("--postgres", action="store_true", help="a scratch PostgreSQL db, dropped")
    parser.add_argument("--scale", type=float, default=1.0, help="size of the large set")
    parser.add_argument("--repeat", type=int, default=7, help="timed briefings of each kind")
    parser.add_argument("--pack-repeat", type=int, default=3, help="timed packs")
    parser.add_argument("--pack-size", type=int, default=20, help="partners in the pack")
    args = parser.parse_args()
    scratch = None
    try:
        if args.database_url:
            app = make_app(args.database_url)
        else:
            if args.postgres:
                scratch, url = scratch_postgres(suffix="pdfs")
            else:
                url = scratch_sqlite("pdfs")
            app = build(url, "large", args.scale)
        ok = measure(app, args.repeat, args.pack_repeat, args.pack_size)
    finally:
        if scratch:
            drop_postgres(scratch)
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
