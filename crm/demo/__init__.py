"""``flask --app app crm seed-demo``: demo data for a laptop, or a large set for benchmarks.

The demo set (``data.py`` and ``data_work.py``, written by ``small.py`` through the ORM) goes
only into an empty database. Running the command again changes nothing and says so. A database
that holds other data (real records) is never mixed with demo data: the command refuses, or with
``--if-empty`` (what ``make run`` passes) skips quietly. ``--size large`` adds the benchmark set
(``large.py``, Core bulk inserts) on top of the demo set, once.
"""

from time import perf_counter

import click
from flask.cli import with_appcontext
from sqlalchemy import inspect

from crm.demo.data import DEMO_PASSWORD
from crm.extensions import db


@click.command("seed-demo")
@click.option(
    "--size",
    type=click.Choice(["demo", "large"]),
    default="demo",
    show_default=True,
    help="demo: a realistic small set; large: the demo set plus 10,000 partners, "
    "50,000 contacts, 5,000 agreements and 100,000 activities.",
)
@click.option(
    "--scale",
    type=click.FloatRange(min=0, min_open=True, max=10),
    default=1.0,
    show_default=True,
    help="Multiply the sizes of the large set.",
)
@click.option(
    "--seed",
    type=int,
    default=1404,
    show_default=True,
    help="Seed of the large set's random generator (same seed, same data).",
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="When the database already holds other data, skip without an error.",
)
@with_appcontext
def seed_demo_command(size: str, scale: float, seed: int, if_empty: bool) -> None:
    """Fill an empty database with demo data (idempotent)."""
    from crm.demo.large import has_large_data, seed_large
    from crm.demo.small import has_demo_data, is_empty, seed_small
    from crm.maintenance import refresh_statistics

    if not inspect(db.engine).has_table("users"):
        raise click.ClickException(
            "The database has no tables: run `flask --app app db upgrade` first."
        )
    if has_demo_data():
        click.echo("Demo data is already present; nothing changed.")
    elif not is_empty():
        if if_empty:
            click.echo("The database already holds data; demo data not added.")
            return
        raise click.ClickException(
            "The database is not empty: demo data is only added to an empty database, never "
            "mixed with real records. Use a new database (DATABASE_URL) for the demo."
        )
    else:
        started = perf_counter()
        counts = seed_small()
        db.session.commit()
        click.echo(f"Demo data added in {perf_counter() - started:.1f} s: " + _summary(counts))
    if size == "large":
        if has_large_data():
            click.echo("The large data set is already present; nothing changed.")
        else:
            started = perf_counter()
            counts = seed_large(scale=scale, seed=seed)
            db.session.commit()
            click.echo(
                f"Large data set added in {perf_counter() - started:.1f} s: " + _summary(counts)
            )
            refresh_statistics()  # planned blind until then: see crm.maintenance
    _print_logins()


def _summary(counts: dict[str, int]) -> str:
    return ", ".join(f"{count:,} {name}" for name, count in counts.items())


def _print_logins() -> None:
    from crm.demo.small import demo_logins

    logins = demo_logins()
    if not logins:
        return
    click.echo(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for email, role, locale in logins:
        click.echo(f"  {email:<24} {role:<8} {'Persian' if locale == 'fa' else 'English'}")
