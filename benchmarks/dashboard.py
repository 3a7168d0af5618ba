"""The dashboard (``/dashboard``) over the large demo set: the page's median latency and query
count for a manager and for staff, and the figures' own (``crm.main.figures.
dashboard_figures``) in English and in Persian.

    .venv/bin/python -m benchmarks.dashboard                   # builds the large set, SQLite
    .venv/bin/python -m benchmarks.dashboard --postgres        # scratch PostgreSQL
    .venv/bin/python -m benchmarks.dashboard --database-url URL   # one existing, seeded db
    .venv/bin/python -m benchmarks.dashboard --scale 3         # the large set three times over

Each page is requested once to warm up, then ``--runs`` times; the median is printed, and
flagged over ``PAGE_BUDGET_MS``. The query count must be the same on every request and on
every set (it does not grow with the data).
"""

from flask import Flask
from sqlalchemy import select

from benchmarks.common import on_large_set
from benchmarks.pages import Driver
from benchmarks.pipeline_report import queries_of, timed
from crm.auth.models import User
from crm.demo.data import DEMO_PASSWORD
from crm.demo.small import demo_email
from crm.extensions import db
from crm.formatting import Formatter
from crm.main.figures import dashboard_figures

PAGE_BUDGET_MS = 150.0
ROLES = ("manager", "staff")


class ReaderDriver(Driver):
    """``benchmarks.pages.Driver`` signed in as the demo user of ``role``."""

    def __init__(self, app: Flask, role: str):
        super().__init__(app)
        self.client.post("/logout")
        response = self.client.post(
            "/login", data={"email": demo_email(role), "password": DEMO_PASSWORD}
        )
        if response.status_code != 302:
            raise SystemExit(f"Could not sign in as the demo {role} ({response.status_code}).")


def measure(app: Flask, requests: int) -> None:
    print(f"{'measure':24} {'reader':8} {'median ms':>9} {'queries':>7}")
    for role in ROLES:
        with ReaderDriver(app, role) as driver:
            m = driver.measure("/dashboard", requests)
            flags = [] if m.status == 200 else [f"HTTP {m.status}"]
            flags += ["query count varies"] if len(set(m.queries)) > 1 else []
            flags += ["over budget"] if m.median_ms > PAGE_BUDGET_MS else []
            print(
                f"{'/dashboard':24} {role:8} {m.median_ms:9.1f} {m.query_text:>7}  "
                + " ".join(flags),
                flush=True,
            )
    with app.app_context():
        for role in ROLES:
            reader = db.session.scalar(select(User).where(User.email == demo_email(role)))
            for language in ("en", "fa"):
                measure_figures(reader, Formatter(language, "Asia/Tehran"), role, requests)
                db.session.rollback()


def measure_figures(reader: User, fmt: Formatter, role: str, requests: int) -> None:
    seconds, cpu, figures = timed(lambda: dashboard_figures(reader, fmt), requests)
    queries = queries_of(lambda: dashboard_figures(reader, fmt))
    total = getattr(getattr(figures, "pipeline", None), "agreement_total", 0)
    print(
        f"{'figures, ' + fmt.locale:24} {role:8} {seconds * 1000:9.1f} {queries:7d}  "
        f"(cpu {cpu * 1000:.0f} ms, {total:,} agreements)",
        flush=True,
    )


def main() -> None:
    on_large_set("dashboard", __doc__ or "", measure, runs=20)


if __name__ == "__main__":
    main()
