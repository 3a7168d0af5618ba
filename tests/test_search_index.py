"""Search through the index (crm/search.py): short words by word prefix, the Persian
normalisation kept, the index in step with edits and bulk inserts, and query plans that use it."""

import re

import pytest
import sqlalchemy as sa

from crm.extensions import db


def _search(client, q: str) -> str:
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _listed(client, url: str, q: str, **filters: str) -> str:
    response = client.get(url, query_string={"q": q, **filters})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_two_letter_names_are_found_at_the_start_of_a_word(
    auth, client, make_partner, make_contact
):
    auth.login("manager", locale="fa")
    qom = make_partner(name_en="", name_fa="قم", country="IR")
    rey = make_partner(name_en="", name_fa="شهر ری", region="تهران", country="IR")
    wu = make_contact(make_partner(name_en="Wuhan", country="CN"), name_latin="Wu Hong")
    number = make_partner(name_en="", name_fa="رقم", country="IR")  # قم inside a word
    for typed, link in (
        ("قم", f"/partners/{qom.id}"),
        ("ری", f"/partners/{rey.id}"),
        ("wu", f"/contacts/{wu.id}"),
        ("WU hong", f"/contacts/{wu.id}"),
        ("ری تهران", f"/partners/{rey.id}"),  # a short and a long word together
    ):
        assert link + '"' in _search(client, typed), typed
    assert f"/partners/{number.id}" + '"' not in _search(client, "قم")
    assert f"/partners/{qom.id}" + '"' in _listed(client, "/partners/", "قم")
    assert f"/contacts/{wu.id}" + '"' in _listed(client, "/contacts/", "Wu")
    picked = client.get("/partners/lookup", query_string={"q": "ری"}).get_json()
    assert [item["value"] for item in picked] == [rey.id]


@pytest.mark.parametrize(
    "typed",
    ["كيش", "کیش", "کِیش", "كي", "کی", "کی\u200fش"],
)
def test_letter_variants_and_diacritics_are_found_through_the_index(
    auth, client, make_partner, make_activity, typed
):
    auth.login("manager", locale="fa")
    kish = make_partner(name_en="Kish", name_fa="كيش", country="IR")
    visit = make_activity(kish, subject="بازدید از کیش\u200cها")
    page = _search(client, typed)
    assert f"/partners/{kish.id}" + '"' in page
    assert f"/activities/{visit.id}" + '"' in page
    assert f"/activities/{visit.id}" + '"' in _listed(client, "/activities/", typed)


def test_zwnj_and_joined_forms_are_found_with_short_pieces(auth, client, make_agreement):
    auth.login("manager", locale="fa")
    library = make_agreement(title_en="", title_fa="تفاهم کتاب\u200cخانه")
    for typed in ("کتابخانه", "کتاب\u200cخانه", "کتاب خانه", "خانه"):
        assert f"/agreements/{library.id}" + '"' in _search(client, typed), typed


def test_the_best_matches_come_first(ctx, make_partner, make_user):
    from crm.main.services import search_everything

    inside = [make_partner(name_en=f"Abkazia {n}", country="RU") for n in range(3)]
    start = make_partner(name_en="Zz Kazan", country="RU")
    found = search_everything(make_user("manager"), "kaz", limit=2).partners
    assert [p.id for p in found][:1] == [start.id] and len(found) == 3  # limit + 1
    assert [p.id for p in found[1:]] == [inside[2].id, inside[1].id]  # then the newest


def test_an_edit_changes_what_search_finds_and_an_archive_hides_it(
    auth, client, make_partner, make_activity
):
    from crm.activities.models import Activity
    from crm.partners.models import Partner

    auth.login("manager", locale="en")
    partner = make_partner(name_en="Shiraz", name_fa="شیراز", country="IR")
    visit = make_activity(partner, subject="Garden visit")
    with client.application.app_context():
        db.session.get(Partner, partner.id).name_en = "Yazd"
        db.session.get(Activity, visit.id).subject = "Orchard tour"
        db.session.commit()
    assert f"/partners/{partner.id}" + '"' in _search(client, "yazd")
    assert f"/partners/{partner.id}" + '"' not in _search(client, "shiraz")
    assert f"/activities/{visit.id}" + '"' in _search(client, "orchard")
    assert f"/activities/{visit.id}" + '"' not in _search(client, "garden")
    with client.application.app_context():
        db.session.get(Partner, partner.id).archive()
        db.session.commit()
    assert f"/partners/{partner.id}" + '"' not in _search(client, "yazd")
    assert f"/partners/{partner.id}" + '"' in _listed(client, "/partners/", "yazd", archived="1")


def test_rows_inserted_without_the_orm_are_indexed(auth, client):
    """The bulk seed and the migrations write keys with Core statements: the index follows."""
    from crm.partners.models import Partner
    from crm.text import search_key

    auth.login("manager")
    with client.application.app_context():
        db.session.execute(
            sa.insert(Partner),
            [
                {
                    "kind": "city",
                    "domain": "cities",
                    "name_en": name,
                    "name_fa": "",
                    "name_local": "",
                    "relationship_type": "prospect",
                    "search_key": search_key([name]),
                }
                for name in ("Bulk Alpha", "Bulk Beta")
            ],
        )
        db.session.execute(
            sa.update(Partner)
            .where(Partner.name_en == "Bulk Beta")
            .values(search_key=search_key(["Gamma Beta"]))
        )
        db.session.commit()
        ids = dict(db.session.execute(sa.select(Partner.name_en, Partner.id)).all())
    assert f"/partners/{ids['Bulk Alpha']}" + '"' in _search(client, "bulk")
    assert f"/partners/{ids['Bulk Beta']}" + '"' not in _search(client, "bulk")
    assert f"/partners/{ids['Bulk Beta']}" + '"' in _search(client, "gamma")


SEARCHED = ("partners", "contacts", "agreements", "activities")


def _searched(statement: str) -> set[str]:
    """The searchable tables whose search keys ``statement`` tests (SQLite: through their
    FTS5 tables)."""
    found = re.findall(r"\b(\w+)(?:\.search_key|_trigrams\b|_words\b)", statement)
    return set(found) & set(SEARCHED)


def _search_statements(client, q: str) -> list[tuple[str, object]]:
    """The statements a global search sends that pick matches (they hold a LIMIT; so do the
    navbar's capped counts of unread notifications and of a manager's waiting stage requests,
    which are left out)."""
    with client.application.app_context():
        engine = db.engine
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        navbar = ("FROM notifications", "FROM agreement_stage_requests")
        if "LIMIT" in statement and not any(table in statement for table in navbar):
            sent.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        _search(client, q)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return sent


@pytest.mark.parametrize("q", ["همکاری", "قم", "ری همکاری"])
def test_search_statements_use_the_index(auth, client, make_partner, q):
    auth.login("manager")
    make_partner(name_fa="همکاری قم")
    statements = _search_statements(client, q)
    # A statement tests the search keys of one table (SQLite: word starts, then any match) or,
    # on PostgreSQL, of every table at once: how many match (up to a cap), then the best ids.
    searched = [_searched(statement) for statement, _ in statements]
    assert set().union(*searched) == set(SEARCHED)
    with client.application.app_context(), db.engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        for (statement, parameters), names in zip(statements, searched, strict=True):
            assert names, statement
            if postgres:
                # On a handful of rows the planner prefers any B-tree (archived_at, a foreign
                # key, the primary key read backwards) to the GIN index; without them (dropped
                # in a transaction rolled back after) and without sequential or plain index
                # scans, the statement must be one a GIN index can serve.
                transaction = conn.begin()
                try:
                    others = conn.scalars(
                        sa.text(
                            "SELECT indexname FROM pg_indexes WHERE tablename IN "
                            "('partners', 'contacts', 'agreements', 'activities') "
                            "AND indexname LIKE 'ix_%' AND indexname NOT LIKE '%_search_%'"
                        )
                    )
                    conn.exec_driver_sql(f"DROP INDEX {', '.join(others)}")
                    conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                    conn.exec_driver_sql("SET LOCAL enable_indexscan = off")
                    rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters)
                    plan = "\n".join(row[0] for row in rows)
                finally:
                    transaction.rollback()
                for name in names:
                    assert re.search(rf"Bitmap Index Scan on ix_{name}_search_", plan), plan
                    assert f"Seq Scan on {name} " not in plan, plan
            else:
                [name] = names
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
                plan = "\n".join(row[-1] for row in rows)
                assert re.search(rf"SCAN {name}_(trigrams|words) VIRTUAL TABLE", plan), plan
                assert not re.search(rf"SCAN {name}\b(?!_)", plan), plan
                # the table is read by the ids the index found, one at a time
                assert re.search(rf"SEARCH {name} USING .*\browid=\?", plan), plan


@pytest.mark.postgres
def test_the_migration_refuses_a_database_without_unicode_letters(postgres_server_url):
    """pg_trgm finds no trigrams in Persian where LC_CTYPE is C: 0005 stops with a message."""
    from flask_migrate import upgrade

    from crm import create_app
    from crm.config import TestConfig
    from tests.conftest import drop_scratch_database
    from tests.test_migrations import _load_migration

    name = "crm_test_c_ctype"
    engine = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        conn.exec_driver_sql(
            f"CREATE DATABASE \"{name}\" TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C'"
        )
    engine.dispose()
    url = sa.engine.make_url(postgres_server_url).set(database=name)
    url_text = url.render_as_string(hide_password=False)
    config = type("CConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url_text})
    try:
        app = create_app(config)
        with app.app_context():
            with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits
                upgrade()
            with db.engine.connect() as conn:
                assert not conn.exec_driver_sql(
                    "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'"
                ).scalar()
                with pytest.raises(RuntimeError, match="LC_CTYPE=C: pg_trgm cannot index"):
                    _load_migration("0005_search_index").check_ctype(conn)
            db.engine.dispose()
    finally:
        drop_scratch_database(postgres_server_url, url_text)
