"""The managers' pipeline report over the large demo set: the figures' time and queries, and the
PDF's build time, pages and size, in English and in Persian, for a manager and for staff.

    .venv/bin/python -m benchmarks.pipeline_report                   # builds the large set, SQLite
    .venv/bin/python -m benchmarks.pipeline_report --postgres        # scratch PostgreSQL
    .venv/bin/python -m benchmarks.pipeline_report --database-url URL   # one existing, seeded db

Each measure is taken once cold, then ``--runs`` times; the median is printed. The figures
(``crm.main.figures.pipeline_figures``) are what the start page and a managers' dashboard read:
flagged when they take longer than ``FIGURES_BUDGET_MS``. The PDF (``pipeline_pdf``) is what
the download route and the report job build.
"""

import io
import statistics
from collections.abc import Callable
from time import perf_counter, process_time

from flask import Flask
from pypdf import PdfReader
from sqlalchemy import event, select

from benchmarks.common import on_large_set
from crm.auth.models import User
from crm.demo.small import demo_email
from crm.dossiers.pipeline import pipeline_pdf
from crm.extensions import db
from crm.formatting import Formatter
from crm.main.figures import pipeline_figures

FIGURES_BUDGET_MS = 500.0
LANGUAGES = ("en", "fa")


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    """The median wall and CPU seconds of ``repeat`` runs after a cold one, and the last
    result. (CPU time is this process's: the database server's work is in the wall time only,
    and on a busy machine the wall time also holds the waits for a core.)"""
    result = action()
    walls, cpus = [], []
    for _ in range(repeat):
        started, cpu = perf_counter(), process_time()
        result = action()
        walls.append(perf_counter() - started)
        cpus.append(process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def queries_of(action: Callable[[], object]) -> int:
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        action()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def measure(app: Flask, repeat: int) -> None:
    with app.app_context():
        print(
            f"{'reader':8} {'lang':4} {'figures ms':>10} {'cpu':>5} {'queries':>7} "
            f"{'pdf s':>6} {'cpu':>5} {'pages':>5} {'KB':>5}"
        )
        for role in ("manager", "staff"):
            reader = db.session.scalar(select(User).where(User.email == demo_email(role)))
            for language in LANGUAGES:
                measure_one(reader, Formatter(language, "Asia/Tehran"), role, repeat)
                db.session.rollback()


def measure_one(reader: User, fmt: Formatter, role: str, repeat: int) -> None:
    figures_s, figures_cpu, figures = timed(lambda: pipeline_figures(reader, fmt), repeat)
    queries = queries_of(lambda: pipeline_figures(reader, fmt))
    pdf_s, pdf_cpu, pdf = timed(lambda: pipeline_pdf(reader, fmt), repeat)
    assert isinstance(pdf, bytes)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    flag = "  << over budget" if figures_s * 1000 > FIGURES_BUDGET_MS else ""
    print(
        f"{role:8} {fmt.locale:4} {figures_s * 1000:10.0f} {figures_cpu * 1000:5.0f} "
        f"{queries:7d} {pdf_s:6.2f} {pdf_cpu:5.2f} {pages:5d} {len(pdf) / 1024:5.0f}   "
        f"({getattr(figures, 'agreement_total', 0):,} agreements, "
        f"{getattr(figures, 'expiring_total', 0):,} expiring){flag}",
        flush=True,
    )


def main() -> None:
    on_large_set("pipeline", __doc__ or "", measure, runs=3)


if __name__ == "__main__":
    main()
