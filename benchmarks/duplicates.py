"""The duplicates finder and the matcher over the large demo set: the pairs of partners and of
contacts, the finder's pages, the partner form's check and the import's bulk matcher.

    .venv/bin/python -m benchmarks.duplicates                   # builds the large set, SQLite
    .venv/bin/python -m benchmarks.duplicates --postgres        # a scratch PostgreSQL db
    .venv/bin/python -m benchmarks.duplicates --database-url URL   # one existing, seeded db

Each measure is taken once cold, then ``--runs`` times; the median is printed.
"""

from time import perf_counter

from flask import Flask
from sqlalchemy import func, select

from benchmarks.common import on_large_set
from benchmarks.pages import Driver
from benchmarks.pipeline_report import queries_of, timed
from crm.auth.models import User
from crm.duplicates.finder import contact_pairs, partner_pairs
from crm.extensions import db
from crm.matching import PartnerMatcher, partner_matches
from crm.partners.models import Contact, Partner

PAGES = (
    ("finder, partners", "/duplicates"),
    ("finder, partners, page 3", "/duplicates?page=3"),
    ("finder, contacts", "/duplicates?kind=contacts"),
)


def measure(app: Flask, repeat: int) -> None:
    with app.app_context():
        partners = db.session.scalar(select(func.count()).where(Partner.archived_at.is_(None)))
        contacts = db.session.scalar(select(func.count()).where(Contact.archived_at.is_(None)))
        user = db.session.scalar(select(User).where(User.role == "manager").limit(1))
        print(f"{partners:,} current partners, {contacts:,} current contacts")
        for label, find in (("partner pairs", partner_pairs), ("contact pairs", contact_pairs)):
            wall, cpu, found = timed(lambda find=find: find(user), repeat)
            print(
                f"{label}: median {wall:.2f} s (cpu {cpu:.2f} s), "
                f"{queries_of(lambda find=find: find(user))} statements, {len(found):,} pairs"  # type: ignore[arg-type]
            )
        name, country = db.session.execute(
            select(Partner.name_en, Partner.country).where(Partner.country.is_not(None)).limit(1)
        ).one()
        variant = name.replace("e", "a", 1)
        wall, cpu, found = timed(lambda: partner_matches([variant, "", ""], country), repeat * 5)
        print(
            f"partner form check ({variant!r}, {country}): median {wall * 1000:.1f} ms "
            f"(cpu {cpu * 1000:.1f} ms), {len(found)} found"  # type: ignore[arg-type]
        )
        countries = list(db.session.scalars(select(Partner.country).distinct()))
        started = perf_counter()
        matcher = PartnerMatcher.for_countries(countries)
        built = perf_counter() - started
        rows = list(db.session.execute(select(Partner.name_en, Partner.country).limit(10_000)))
        started = perf_counter()
        hits = sum(1 for n, c in rows if matcher.match_ids([n.replace("a", "e", 1)], c))
        rate = len(rows) / (perf_counter() - started)
        print(
            f"bulk matcher: built in {built:.2f} s for {len(countries)} countries; "
            f"{rate:,.0f} rows/s over {len(rows):,} rows ({hits:,} matched)"
        )
    with Driver(app) as driver:
        print(f"{'page':28} {'median ms':>9} {'queries':>7}")
        for label, url in PAGES:
            m = driver.measure(url, repeat)
            print(f"{label:28} {m.median_ms:9.0f} {max(m.queries):7d}   ({m.status})")


def main() -> None:
    on_large_set("duplicates", __doc__ or "", measure, runs=3)


if __name__ == "__main__":
    main()
