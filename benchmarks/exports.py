"""Rows, wall time, memory and SQL queries of the four exports, as CSV and as XLSX, in English
and in Persian.

    .venv/bin/python -m benchmarks.exports                   # builds both sets in scratch SQLite
    .venv/bin/python -m benchmarks.exports --postgres        # both sets in scratch PostgreSQL dbs
    .venv/bin/python -m benchmarks.exports --database-url URL   # one existing, seeded database
    .venv/bin/python -m benchmarks.exports --formats xlsx --exports partners   # fewer

Downloads go through the Flask test client, signed in as the demo manager, whose language is
switched with the /locale form. On the large set each export is downloaded once cold, then
``--repeat`` times timed (median wall time to stream the whole body), then once under tracemalloc
(peak growth of Python allocations, and the data rows; not timed, tracing slows Python down; a
workbook is kept in a temporary file meanwhile and its rows counted with openpyxl afterwards).
RSS growth is the ``ru_maxrss`` delta of a download, its peak reset first through
/proc/self/clear_refs: cold (the first download) and warm (the largest of the timed ones). The
query count of each export is also taken on the demo set and flagged when it differs: an export
must not issue more queries for more rows.
"""

import argparse
import codecs
import csv
import gc
import resource
import statistics
import tempfile
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter

from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import event

from benchmarks.common import drop_postgres, make_app, scratch_postgres, scratch_sqlite
from benchmarks.pages import build
from crm.demo.data import DEMO_PASSWORD
from crm.demo.small import demo_email
from crm.extensions import db

EXPORTS = ("activities", "partners", "contacts", "agreements")  # /<name>/export.<format>
LANGUAGES = ("en", "fa")
FORMATS = ("csv", "xlsx")


@dataclass
class Measure:
    rows: int = 0
    queries: set[int] | None = None
    median_s: float = 0.0
    rss_cold_mb: float = 0.0
    rss_warm_mb: float = 0.0
    traced_mb: float = 0.0

    @property
    def query_text(self) -> str:  # "12", or "12/13" when the runs differ
        return "/".join(str(q) for q in sorted(self.queries or ()))


def reset_peak_rss() -> bool:
    """Reset the process's peak RSS (and so ``ru_maxrss``); False where Linux does not let us."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def lines(chunks):
    """The text lines of a byte stream, whole even when a chunk ends in the middle of one."""
    tail = ""
    for text in codecs.iterdecode(chunks, "utf-8-sig"):
        parts = (tail + text).splitlines(keepends=True)
        tail = parts.pop() if parts and not parts[-1].endswith(("\n", "\r")) else ""
        yield from parts
    if tail:
        yield tail


class Driver:
    """A test client signed in as the demo manager, counting the SQL of each download."""

    def __init__(self, app: Flask):
        self.client = app.test_client()
        with app.app_context():
            self.engine = db.engine
        self.statements = 0
        self.post("/login", email=demo_email("manager"), password=DEMO_PASSWORD)

    def post(self, url: str, **data) -> None:
        """Sign in, or switch the user's language (``locale``): both answer with a redirect."""
        response = self.client.post(url, data=data | {"next": "/"})
        if response.status_code != 302:
            raise SystemExit(f"POST {url} {data.get('locale', '')}: HTTP {response.status_code}")

    def count(self, *_args) -> None:
        self.statements += 1

    def download(self, url: str, parse: bool = False, keep=None) -> tuple[int, int]:
        """Stream the whole body of ``url``; returns (queries, CSV data rows if ``parse`` else
        0). ``keep``: a binary file the body is written to."""
        self.statements = 0
        event.listen(self.engine, "before_cursor_execute", self.count)
        try:
            response = self.client.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url}: HTTP {response.status_code}")
            chunks = iter(response.response)
            rows = sum(1 for _ in csv.reader(lines(chunks))) - 1 if parse else 0
            for chunk in chunks:  # consume it all (the only pass when not parsing)
                if keep is not None:
                    keep.write(chunk)
            response.close()
        finally:
            event.remove(self.engine, "before_cursor_execute", self.count)
        return self.statements, rows


def rss_growth(driver: Driver, url: str) -> tuple[int, float, float]:
    """Download ``url``; returns (queries, seconds, peak RSS growth in MB)."""
    gc.collect()
    reset_peak_rss()
    before, started = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, perf_counter()
    queries, _rows = driver.download(url)
    seconds = perf_counter() - started
    return queries, seconds, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024


def measure(driver: Driver, url: str, repeat: int) -> Measure:
    queries, _seconds, cold = rss_growth(driver, url)
    m = Measure(queries={queries}, rss_cold_mb=cold)
    timings = []
    for _ in range(repeat):
        queries, seconds, warm = rss_growth(driver, url)
        m.queries.add(queries)
        timings.append(seconds)
        m.rss_warm_mb = max(m.rss_warm_mb, warm)
    m.median_s = statistics.median(timings)
    gc.collect()
    with tempfile.TemporaryFile() as kept:
        xlsx = url.endswith(".xlsx")
        tracemalloc.start()
        queries, m.rows = driver.download(url, parse=not xlsx, keep=kept if xlsx else None)
        m.traced_mb = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        if xlsx:
            kept.seek(0)
            workbook = load_workbook(kept, read_only=True)
            m.rows = sum(1 for _ in workbook.active.iter_rows(values_only=True)) - 1
            workbook.close()
    m.queries.add(queries)
    return m


def measure_set(
    app: Flask, repeat: int, formats, exports=EXPORTS, count_only: bool = False
) -> dict:
    """{(export, language, format): Measure}; with ``count_only`` one download each, for its
    queries."""
    driver, results = Driver(app), {}
    for locale in LANGUAGES:
        driver.post("/locale", locale=locale)
        for name in exports:
            for kind in formats:
                url = f"/{name}/export.{kind}"
                if count_only:
                    results[name, locale, kind] = Measure(queries={driver.download(url)[0]})
                else:
                    results[name, locale, kind] = measure(driver, url, repeat)
                    print(f"  measured {name} in {locale} as {kind}", flush=True)
    driver.post("/locale", locale="en")
    return results


def report(large: dict, demo: dict | None, rss_how: str, formats, exports=EXPORTS) -> bool:
    """Print the table; returns True when nothing was flagged."""
    print(f"\nRSS growth: ru_maxrss delta, {rss_how}; traced: tracemalloc peak.")
    header = (
        f"{'export':<11}{'lang':<5}{'fmt':<5}{'rows':>7}{'median s':>9}{'rows/s':>8}{'RSS cold':>9}"
    )
    header += f"{'RSS warm':>9}{'traced':>8}{'queries':>8}{'demo q':>7}"
    print(header + "  flags (MB for memory)\n" + "-" * (len(header) + 24))
    clean = True
    for name, locale, kind in ((n, lo, k) for n in exports for k in formats for lo in LANGUAGES):
        m = large[name, locale, kind]
        demo_q = demo[name, locale, kind].query_text if demo else "-"
        flags = ["query count varies between runs"] if len(m.queries) > 1 else []
        if demo_q not in ("-", m.query_text):  # one more query per row, or per batch?
            extra = max(max(m.queries) - int(demo_q), 1)
            flags.append(f"QUERIES GROW WITH ROWS (one more per ~{m.rows // extra} rows)")
        clean = clean and not flags
        print(
            f"{name:<11}{locale:<5}{kind:<5}{m.rows:>7}{m.median_s:>9.2f}"
            f"{m.rows / m.median_s:>8.0f}"
            f"{m.rss_cold_mb:>9.1f}{m.rss_warm_mb:>9.1f}{m.traced_mb:>8.1f}"
            f"{m.query_text:>8}{demo_q:>7}" + ("  " + "; ".join(flags) if flags else "")
        )
    return clean


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="measure one existing, seeded database")
    parser.add_argument("--postgres", action="store_true", help="scratch PostgreSQL dbs, dropped")
    parser.add_argument("--repeat", type=int, default=3, help="timed downloads of each export")
    parser.add_argument("--scale", type=float, default=1.0, help="size of the large set")
    parser.add_argument("--formats", default=",".join(FORMATS), help="csv, xlsx or both")
    parser.add_argument("--exports", default=",".join(EXPORTS), help="which lists to export")
    args = parser.parse_args()
    formats = [kind for kind in args.formats.split(",") if kind in FORMATS]
    exports = [name for name in args.exports.split(",") if name in EXPORTS]
    rss_how = "peak reset before each download" if reset_peak_rss() else "peak NOT reset"
    if args.database_url:
        app = make_app(args.database_url)
        report(measure_set(app, args.repeat, formats, exports), None, rss_how, formats, exports)
        return
    scratch, apps = [], {}
    try:
        for name in ("demo", "large"):
            if args.postgres:
                db_name, url = scratch_postgres(suffix=name)
                scratch.append(db_name)
            else:
                url = scratch_sqlite(name)
            apps[name] = build(url, name, 1.0 if name == "demo" else args.scale)
        demo = measure_set(apps["demo"], 0, formats, exports, count_only=True)
        large = measure_set(apps["large"], args.repeat, formats, exports)
        for app in apps.values():
            with app.app_context():
                db.engine.dispose()
        clean = report(large, demo, rss_how, formats, exports)
        print("\nno flags" if clean else "\nflags above need a look")
    finally:
        for db_name in scratch:
            drop_postgres(db_name)


if __name__ == "__main__":
    main()
