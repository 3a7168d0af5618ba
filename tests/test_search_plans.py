"""A list with a search term has two plans (crm.lists.CappedPagination): sorting every match,
or, when its count reaches the search cap, walking the index of its order and testing each row
(crm.search.index_match with ``walk``). Both give the same rows in the same order, on SQLite and
PostgreSQL, and the page takes the second only past the cap."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from crm.activities import lists as activity_lists
from crm.extensions import db
from crm.formatting import Formatter
from crm.partners import contacts as contact_lists
from tests.conftest import count_queries
from tests.test_query_plans import assert_uses

GONE = datetime(2026, 1, 1, tzinfo=UTC)
QUERIES = ["جلسه", "جلسه تهران", "تهران", "قم", "قم جلسه", "کتاب ها", "50%", "hall", "ha", "zzz"]


@pytest.fixture
def records(ctx, make_user, make_partner, make_contact, make_activity, make_agreement):
    """Activities and contacts that match some queries by their own key, by their partner's,
    by a short word's start, by a joined spelling; some archived, one behind a confidential
    agreement."""
    tehran = make_partner(name_en="Tehran", name_fa="تهران", country="IR")
    qom = make_partner(name_en="Qom", name_fa="قم", country="IR")
    secret = make_agreement(parties=[tehran], title_en="Hall deal", confidentiality="confidential")
    subjects = ["جلسه شورا", "جلسه‌ی کتاب‌ها", "بازدید", "Town hall, 50% budget", "جلسه قم"]
    for n in range(30):
        partner = (tehran, qom)[n % 2]
        make_activity(
            partner,
            subject=f"{subjects[n % len(subjects)]} {n}",
            due_on=date(2026, 12, 1) + timedelta(days=n % 7 - 3),
            archived_at=GONE if n % 9 == 0 else None,
            agreement_id=secret.id if n == 3 else None,
        )
        make_contact(
            partner,
            name_latin=f"Hassan {n}" if n % 3 else "",
            name_fa=f"{('حسینی', 'جلسه‌ای', 'کتاب ها')[n % 3]} {n % 4}",
            archived_at=GONE if n % 8 == 0 else None,
        )
    return make_user("manager"), make_user("staff")


def _rows(stmt) -> list[int]:
    return list(db.session.scalars(stmt))


@pytest.mark.parametrize("sort", ["-when", "when", "subject", "-subject", "kind"])
def test_both_plans_of_the_activity_list_give_the_same_rows_in_the_same_order(records, sort):
    for user in records:
        for q in QUERIES:
            for archived in (False, True):
                filters = activity_lists.ActivityFilters(q=q, sort=sort, archived=archived)
                stmt, many = activity_lists.list_plans(user, filters, Formatter("fa"))
                assert many is not None
                walked = activity_lists.list_query(user, filters, Formatter("fa"), walk=True)
                assert _rows(stmt) == _rows(walked) == _rows(many), (q, sort, archived)
    found = activity_lists.ActivityFilters(q="جلسه", archived=True)
    assert len(_rows(activity_lists.list_query(records[0], found, Formatter("fa")))) == 18


@pytest.mark.parametrize("sort", ["name", "-name", "partner", "updated"])
def test_both_plans_of_the_contact_list_give_the_same_rows_in_the_same_order(records, sort):
    for locale in ("fa", "en"):
        for q in [*QUERIES, "حسینی", "hassan", "ha"]:
            filters = contact_lists.ContactFilters(q=q, sort=sort)
            stmt, many = contact_lists.list_plans(filters, Formatter(locale))
            walked = contact_lists.contact_query(filters, Formatter(locale), walk=True)
            assert _rows(stmt) == _rows(walked) == _rows(many), (q, sort, locale)
    filters = contact_lists.ContactFilters(q="تهران")  # by the partner's name
    assert len(_rows(contact_lists.list_plans(filters, Formatter("fa"))[0])) == 15 - 4


def _page_statements(client, url: str) -> list[str]:
    with count_queries(client.application) as sent:
        response = client.get(url)
    assert response.status_code == 200
    return sent


@pytest.mark.parametrize(
    ("url", "many", "few"),
    [("/activities/", "جلسه", "بازدید"), ("/contacts/", "تهران", "حسینی")],
)
def test_a_list_walks_its_order_only_past_the_search_cap(
    auth, client, records, monkeypatch, url, many, few
):
    """With more matches than the search cap (10 here, a page) the page is read row by row
    (where the word is in the key: ``instr``, ``strpos``), and says "more than"; with fewer,
    from the search index."""
    monkeypatch.setattr("crm.lists.SEARCH_COUNT_CAP", 10)
    monkeypatch.setattr("crm.lists.COUNT_CAP", 1000)  # a search does not count this far
    auth.login("manager", locale="en")
    table = url.strip("/")
    walked = _page_statements(client, f"{url}?q={many}")
    page = [s for s in walked if "LIMIT" in s and "count(" not in s and f"FROM {table}" in s]
    assert page and re.search(r"(instr|strpos)\(", page[0]), walked
    assert not [
        s for s in _page_statements(client, f"{url}?q={few}") if "instr(" in s or "strpos(" in s
    ]
    assert "More than 10 results" in client.get(f"{url}?q={many}").get_data(as_text=True)
    assert "More than" not in client.get(f"{url}?q={few}").get_data(as_text=True)


def test_a_list_without_a_search_term_counts_to_the_usual_cap(auth, client, records, monkeypatch):
    monkeypatch.setattr("crm.lists.SEARCH_COUNT_CAP", 10)
    monkeypatch.setattr("crm.lists.COUNT_CAP", 20)
    auth.login("manager", locale="en")
    assert "More than 20 results" in client.get("/activities/").get_data(as_text=True)
    assert "More than 10 results" in client.get("/activities/?q=جلسه").get_data(as_text=True)


def test_the_walking_plans_read_the_index_of_their_order(records):
    manager, staff = records
    reader = Formatter("fa", "Asia/Tehran")
    for user in (manager, staff):
        filters = activity_lists.ActivityFilters(q="جلسه")
        walked = activity_lists.list_plans(user, filters, reader)[1]
        assert_uses(walked.limit(25), "activities", "ix_activities_current_when")
        filters = activity_lists.ActivityFilters(q="قم", sort="subject")
        walked = activity_lists.list_plans(user, filters, reader)[1]
        assert_uses(walked.limit(25), "activities", "ix_activities_sort_subject_current")
    walked = contact_lists.list_plans(contact_lists.ContactFilters(q="حسینی"), reader)[1]
    assert_uses(walked.limit(25), "contacts", "ix_contacts_sort_fa_current")


@pytest.mark.parametrize("q", ["جلسه", "قم", "تهران", "hall", "hall,", "ha", "کتاب ها"])
def test_global_search_finds_the_same_newest_rows_walking_or_through_the_index(
    records, monkeypatch, q
):
    """On PostgreSQL a common word is looked for first among the newest rows, one by one, then
    through the index in the older ones: with a window of 4 rows and "common" from 1 match,
    the same rows come out, in the same order, as through the index alone."""
    from crm.main.services import search_everything

    def found(user) -> list[list[int]]:
        results = search_everything(user, q, limit=3)
        kinds = (results.partners, results.contacts, results.agreements, results.activities)
        return [[row.id for row in rows] for rows in kinds]

    for user in records:
        monkeypatch.setattr("crm.search.MANY", 10**9)
        through_index = found(user)
        monkeypatch.setattr("crm.search.MANY", 1)
        monkeypatch.setattr("crm.search.WINDOW", 4)
        assert found(user) == through_index, q
        monkeypatch.setattr("crm.search.WINDOW", 1000)
        assert found(user) == through_index, q
    assert any(through_index)


@pytest.mark.parametrize("q", ["hall", "hall,", "جلسه", "قم"])
def test_global_search_finds_among_activities_what_the_activity_list_finds(
    records, make_activity, q
):
    """Word starts come first, but only among the matches: a word typed with a comma is looked
    for with it, in global search as in the list, on both databases and in either plan."""
    from crm.main.services import search_everything

    make_activity(subject="Hall 50% budget")  # «hall» starts a word, «hall,» is not in it

    for user in records:
        listed = activity_lists.list_plans(
            user, activity_lists.ActivityFilters(q=q), Formatter("fa")
        )
        found = {activity.id for activity in search_everything(user, q, limit=50).activities}
        assert found == set(_rows(listed[0])), q
