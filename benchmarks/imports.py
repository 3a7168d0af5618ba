"""The import rate: a 10,000-row partner file read, previewed (the dry run) and committed,
then undone, on a scratch database holding the demo data set.

    .venv/bin/python -m benchmarks.imports               # scratch SQLite
    .venv/bin/python -m benchmarks.imports --postgres    # a scratch PostgreSQL database
    .venv/bin/python -m benchmarks.imports --rows 2000

The file is a CSV (UTF-8) with names in English and Persian, a country, a region, a
population and a relationship date in one of the accepted forms (Jalali with Persian digits,
``dd.MM.yyyy``, ISO); one row in fifty names a partner of the demo set, each once while
they last (a match, updated).
Each step runs once, timed as the request or the worker would run it (services, the demo
administrator acting): ``read`` (parse the file), ``dry run`` (every row checked and matched),
``commit`` (every row saved through ``save_partner`` as one audited act), ``undo``.
"""

import argparse
import random
from time import perf_counter

from sqlalchemy import func, select

from benchmarks.common import (
    drop_postgres,
    ensure_schema,
    make_app,
    scratch_postgres,
    scratch_sqlite,
    seed,
)
from crm.auth.models import User
from crm.extensions import db
from crm.imports import services
from crm.imports.preview import dry_run
from crm.imports.reading import read_table
from crm.partners.models import Partner
from crm.permissions import acting_as
from crm.text import to_persian_digits

SYLLABLES = [a + b for a in "bdfgklmnprstvz" for b in "aeiou"]  # 70 syllables
PERSIAN = "ابپتجچدرزسشکگلمنوهی"
COUNTRIES = ["TR", "RU", "FR", "DE", "CN", "JP", "KR", "IN", "BR", "ES", "IT", "AM", "GE"]


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).title()


def _name(rng: random.Random, taken: set[str]) -> tuple[str, str]:
    """A made-up name of one or two words, not one given before."""
    while True:
        latin = " ".join(_word(rng) for _ in range(rng.randint(1, 2)))
        if latin not in taken:
            taken.add(latin)
            persian = "".join(rng.choice(PERSIAN) for _ in range(rng.randint(4, 8)))
            return latin, persian


def _date(rng: random.Random) -> str:
    year, month, day = rng.randint(1990, 2024), rng.randint(1, 12), rng.randint(1, 28)
    form = rng.randrange(3)
    if form == 0:
        return to_persian_digits(f"{year - 621}/{month:02d}/{day:02d}")
    if form == 1:
        return f"{day:02d}.{month:02d}.{year}"
    return f"{year}-{month:02d}-{day:02d}"


def make_file(rows: int, existing: list[tuple[str, str | None]], seed_: int = 11) -> bytes:
    rng = random.Random(seed_)
    taken = {name for name, _country in existing}
    lines = ["Name in English,Name in Persian,Country,City,Population,Relationship since"]
    for n in range(rows):
        if n % 50 == 0 and n // 50 < len(existing):  # each stored partner once
            name_en, country = existing[n // 50]
            name_fa = ""
        else:
            name_en, name_fa = _name(rng, taken)
            country = rng.choice(COUNTRIES)
        region = rng.choice(["", "North", "Capital region"])
        population = str(rng.randint(1_000, 5_000_000))
        lines.append(",".join([name_en, name_fa, country or "", region, population, _date(rng)]))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def measure(app, rows: int) -> dict[str, float]:
    with app.test_request_context():
        admin = db.session.scalar(select(User).where(User.role == "admin").order_by(User.id))
        existing = [
            (p.name_en, p.country)
            for p in db.session.scalars(
                select(Partner).where(Partner.name_en != "", Partner.archived_at.is_(None))
            )
        ]
        data = make_file(rows, existing)
        times: dict[str, float] = {}
        with acting_as(admin):
            started = perf_counter()
            table = read_table(data, "partners.csv")
            times["read"] = perf_counter() - started
            run = services.upload(admin, "partners", data, "partners.csv")
            services.set_mapping(run, list(run.mapping), "update")
            db.session.commit()
            started = perf_counter()
            preview = dry_run(run)
            times["dry run"] = perf_counter() - started
            db.session.rollback()
            print(
                f"{len(table.rows)} rows: {preview.count('create')} new, "
                f"{preview.count('update')} updates, {preview.errors} with errors",
                flush=True,
            )
            run.skip_bad = True
            started = perf_counter()
            counts = services.commit(run)
            db.session.commit()
            times["commit"] = perf_counter() - started
            print(f"committed: {counts}", flush=True)
            started = perf_counter()
            services.undo(run)
            db.session.commit()
            times["undo"] = perf_counter() - started
        total = db.session.scalar(select(func.count(Partner.id)))
        print(f"partners in the database afterwards: {total}", flush=True)
    for step, seconds in times.items():
        rate = rows / seconds if seconds else float("inf")
        print(f"{step:>8}: {seconds:7.2f} s  {rate:9.0f} rows/s", flush=True)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="a scratch PostgreSQL db, dropped")
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    scratch = None
    try:
        if args.postgres:
            scratch, url = scratch_postgres(suffix="imports")
        else:
            url = scratch_sqlite("imports")
        app = make_app(url)
        ensure_schema(app)
        seed(app, "demo")
        measure(app, args.rows)
        with app.app_context():
            db.engine.dispose()
    finally:
        if scratch:
            drop_postgres(scratch)


if __name__ == "__main__":
    main()
