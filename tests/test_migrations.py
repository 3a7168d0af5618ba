"""The committed migrations build the same schema as the models, on SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import func, select

from crm import create_app
from crm.config import TestConfig
from crm.extensions import db
from crm.models import CooperationArea
from crm.reference import COOPERATION_AREAS
from crm.search import include_name


def _upgrade_and_compare(url: str) -> None:
    app = create_app(type("MigrationConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            opts = {"compare_type": True, "include_name": include_name}
            context = MigrationContext.configure(conn, opts=opts)
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
        count = db.session.scalar(select(func.count()).select_from(CooperationArea))
        assert count == len(COOPERATION_AREAS)
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_migrations_match_the_models_on_sqlite(tmp_path):
    _upgrade_and_compare(f"sqlite:///{tmp_path / 'migrated.db'}")


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgresql(postgres_database):
    _upgrade_and_compare(postgres_database)


def _rebuilds_old_search_keys(url: str) -> None:
    """Records saved with the old keys (ZWNJ as a space, no joined form) are found by their
    joined spelling once 0003 ran; a key already current is left as it is."""
    from crm.activities.models import Activity
    from crm.agreements.models import Agreement
    from crm.partners.models import Contact, Partner
    from crm.text import normalize_search, search_key

    app = create_app(type("MigrationConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        upgrade()  # the records are written with today's models, then taken back to 0002
        partner = Partner(kind="city", domain="cities", name_fa="کتاب‌خانه\u200fها", name_en="")
        records = [
            partner,
            Contact(partner=partner, name_fa="می‌روم", name_latin="Ali"),
            Agreement(type="memorandum", title_fa="خانۀ فرهنگ", stage="idea"),
        ]
        db.session.add_all(records)
        db.session.commit()
        models = [type(record) for record in records] + [Activity]
        for record in records:  # the key the old normalisation stored: no joined form
            old = normalize_search(" ".join(v for v in record.search_values() if v))
            db.session.execute(
                sa.update(type(record)).where(type(record).id == record.id).values(search_key=old)
            )
        # an activity in the columns of 0002 (the model has columns added later)
        activity = {"kind": "call", "subject": "گفت وگو", "domain": "cities", "status": "planned"}
        db.session.execute(sa.insert(Activity.__table__).values(search_key="گفت وگو", **activity))
        db.session.commit()
        joined = Contact.search_key.contains("میروم")  # no search index before 0005
        assert not db.session.scalar(select(Contact).where(joined))
        migration = _load_migration("0003_search_keys")
        db.session.remove()
        downgrade(revision="0002")
        upgrade()
        db.session.expire_all()
        for model in models:
            for row in db.session.scalars(select(model)):
                assert row.search_key == search_key(row.search_values()), row
        assert db.session.scalar(select(Partner).where(Partner.matching("کتابخانهها")))
        assert db.session.scalar(select(Contact).where(Contact.matching("میروم")))
        assert db.session.scalar(select(Agreement).where(Agreement.matching("خانه")))
        assert db.session.scalar(select(Activity).where(Activity.matching("گفتوگو")))
        with db.engine.begin() as conn:  # a second run changes nothing, in small batches
            assert migration.rebuild_search_keys(conn, batch=1) == 0
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def _load_migration(name: str):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_0003_rebuilds_every_search_key_on_sqlite(tmp_path):
    _rebuilds_old_search_keys(f"sqlite:///{tmp_path / 'keys.db'}")


@pytest.mark.postgres
def test_migration_0003_rebuilds_every_search_key_on_postgresql(postgres_database):
    _rebuilds_old_search_keys(postgres_database)


def _fills_sort_keys(url: str) -> None:
    """0007 gives the records it finds the sort keys the flush hook would write."""
    from crm.activities.models import Activity
    from crm.agreements.models import Agreement
    from crm.partners.models import Contact, Partner
    from crm.text import sort_key

    app = create_app(type("MigrationConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        upgrade()
        partner = Partner(kind="city", domain="cities", name_fa="", name_en="", name_local="Köln")
        db.session.add_all(
            [
                partner,
                Contact(partner=partner, name_fa="پروین", name_latin="Parvin"),
                Agreement(type="memorandum", title_en="Accord", title_fa="", stage="idea"),
                Activity(kind="call", subject="گفت‌وگو", domain="cities", status="planned"),
            ]
        )
        db.session.commit()
        db.session.remove()
        downgrade(revision="0006")
        upgrade()
        rows = {
            "partner": db.session.execute(select(Partner.sort_en, Partner.sort_fa)).one(),
            "contact": db.session.execute(select(Contact.sort_en, Contact.sort_fa)).one(),
            "agreement": db.session.execute(select(Agreement.sort_en, Agreement.sort_fa)).one(),
            "activity": db.session.execute(select(Activity.sort_subject)).one(),
        }
        assert rows == {
            "partner": (sort_key("Köln"), sort_key("Köln")),
            "contact": (sort_key("Parvin"), sort_key("پروین")),
            "agreement": (sort_key("Accord"), sort_key("Accord")),
            "activity": (sort_key("گفت وگو"),),
        }
        migration = _load_migration("0007_sort_keys")
        with db.engine.begin() as conn:  # a second run changes nothing, in small batches
            assert migration.fill_sort_keys(conn, batch=1) == 0
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def _fills_country_keys(url: str) -> None:
    """0008 gives every partner, archived ones too, the keys of its country's name; a partner
    without a country, or with a code that names none, the key that sorts last."""
    from crm.formatting import NO_COUNTRY_KEY
    from crm.partners.models import Partner
    from crm.text import sort_key

    app = create_app(type("MigrationConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        upgrade()  # the partners are written with today's model, then taken back to 0007
        for n, country in enumerate(("JP", None, "EU", "IR"), start=1):
            db.session.add(Partner(id=n, kind="city", domain="cities", country=country))
        db.session.commit()
        db.session.get(Partner, 4).archive()
        db.session.commit()
        db.session.remove()
        downgrade(revision="0007")
        upgrade()
        keys = select(Partner.id, Partner.sort_country_en, Partner.sort_country_fa)
        assert db.session.execute(keys.order_by(Partner.id)).all() == [
            (1, sort_key("Japan"), sort_key("ژاپن")),
            (2, NO_COUNTRY_KEY, NO_COUNTRY_KEY),
            (3, NO_COUNTRY_KEY, NO_COUNTRY_KEY),
            (4, sort_key("Iran"), sort_key("ایران")),
        ]
        migration = _load_migration("0008_country_sort_keys")
        with db.engine.begin() as conn:  # a second run changes nothing, in small batches
            assert migration.fill_country_keys(conn, batch=1) == 0
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_migration_0008_fills_the_country_keys_on_sqlite(tmp_path):
    _fills_country_keys(f"sqlite:///{tmp_path / 'countries.db'}")


@pytest.mark.postgres
def test_migration_0008_fills_the_country_keys_on_postgresql(postgres_database):
    _fills_country_keys(postgres_database)


def _backfills_when_at(url: str) -> None:
    """0006 gives every activity its moment: the start, or the start of the due day in its
    owner's zone (the application's when nobody owns it); 0009 the end of that day."""
    from datetime import UTC, date, datetime

    from crm.activities.models import Activity
    from crm.auth.models import User

    app = create_app(type("MigrationConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        upgrade(revision="0004")
        users = {}
        for n, zone in enumerate(("Asia/Tehran", "UTC")):
            users[zone] = db.session.scalar(
                sa.insert(User.__table__)
                .values(
                    email=f"u{n}@example.org", display_name="U", password_hash="x", timezone=zone
                )
                .returning(User.__table__.c.id)
            )
        start = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
        rows = {
            "timed": {"starts_at": start, "owner_id": users["UTC"]},
            "due in Tehran": {"due_on": date(2026, 12, 1), "owner_id": users["Asia/Tehran"]},
            "due in UTC": {"due_on": date(2026, 12, 1), "owner_id": users["UTC"]},
            # a second day: the backfills update several days at once (executemany)
            "due later in UTC": {"due_on": date(2026, 12, 5), "owner_id": users["UTC"]},
            "due, nobody's": {"due_on": date(2026, 12, 1)},
            "no date": {},
        }
        from crm.models import UTCDateTime

        at_0004 = sa.table(  # the activities table as it was then (the model has more columns)
            "activities",
            *(sa.column(c) for c in ("kind", "subject", "domain", "status", "owner_id")),
            *(sa.column(c) for c in ("notes", "location", "outcome", "search_key")),
            sa.column("due_on", sa.Date()),
            *(sa.column(c, UTCDateTime()) for c in ("starts_at", "created_at", "updated_at")),
        )
        now = datetime.now(UTC)
        for subject, values in rows.items():
            db.session.execute(
                sa.insert(at_0004).values(
                    kind="call",
                    subject=subject,
                    domain="cities",
                    status="planned",
                    notes="",
                    location="",
                    outcome="",
                    search_key="",
                    created_at=now,
                    updated_at=now,
                    **values,
                )
            )
        db.session.commit()
        upgrade()
        found = dict(db.session.execute(select(Activity.subject, Activity.when_at)).all())
        assert found == {
            "timed": start,
            "due in Tehran": datetime(2026, 11, 30, 20, 30, tzinfo=UTC),
            "due in UTC": datetime(2026, 12, 1, tzinfo=UTC),
            "due later in UTC": datetime(2026, 12, 5, tzinfo=UTC),
            "due, nobody's": datetime(2026, 11, 30, 20, 30, tzinfo=UTC),  # the default zone
            "no date": None,
        }
        # 0009: the end of each due day, when it becomes overdue
        found = dict(db.session.execute(select(Activity.subject, Activity.day_ends_at)).all())
        assert found == {
            "timed": None,
            "due in Tehran": datetime(2026, 12, 1, 20, 30, tzinfo=UTC),
            "due in UTC": datetime(2026, 12, 2, tzinfo=UTC),
            "due later in UTC": datetime(2026, 12, 6, tzinfo=UTC),
            "due, nobody's": datetime(2026, 12, 1, 20, 30, tzinfo=UTC),
            "no date": None,
        }
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_migration_0007_fills_the_sort_keys_on_sqlite(tmp_path):
    _fills_sort_keys(f"sqlite:///{tmp_path / 'sorts.db'}")


@pytest.mark.postgres
def test_migration_0007_fills_the_sort_keys_on_postgresql(postgres_database):
    _fills_sort_keys(postgres_database)


def test_migration_0006_backfills_when_at_on_sqlite(tmp_path):
    _backfills_when_at(f"sqlite:///{tmp_path / 'when.db'}")


@pytest.mark.postgres
def test_migration_0006_backfills_when_at_on_postgresql(postgres_database):
    _backfills_when_at(postgres_database)
