"""The activity list: search, filters, sorting, pagination, bad query strings, query count."""

from datetime import UTC, date, datetime

import pytest

from tests.conftest import count_queries


def _subjects(page: str, *subjects: str) -> list[str]:
    return [s for s in subjects if s in page]


def test_list_searches_normalised_subjects(auth, client, make_activity):
    auth.login("viewer", locale="fa")
    make_activity(subject="بازدید از میدان آزادی")
    make_activity(subject="Call about tourism")
    page = client.get("/activities/?q=ميدان").get_data(as_text=True)  # Arabic yeh
    assert "بازدید از میدان آزادی" in page and "Call about tourism" not in page
    page = client.get("/activities/?q=TOURISM call").get_data(as_text=True)
    assert "Call about tourism" in page and "میدان" not in page.split("<tbody>")[1]


def test_list_filters_by_kind_status_domain_owner_partner_and_dates(
    auth, client, make_activity, make_partner, make_user
):
    auth.login("viewer", locale="en", timezone="Asia/Tehran")
    other = make_user()
    kazan = make_partner(name_en="Kazan", domain="cities")
    unesco = make_partner(name_en="UNESCO", domain="organizations", kind="organization")
    make_activity(kazan, subject="Alpha call", kind="call", due_on=date(2026, 12, 1))
    make_activity(
        unesco, subject="Beta meeting", status="done", owner_id=other.id, due_on=date(2026, 12, 10)
    )
    # 23:30 Tehran on 30 November is 20:00 UTC: it belongs to the 30th, not December.
    make_activity(
        kazan,
        subject="Gamma dinner",
        due_on=None,
        starts_at=datetime(2026, 11, 30, 20, 0, tzinfo=UTC),
    )
    names = ("Alpha call", "Beta meeting", "Gamma dinner")

    def shown(query):
        return _subjects(client.get("/activities/" + query).get_data(as_text=True), *names)

    assert shown("") == list(names) or set(shown("")) == set(names)
    assert shown("?kind=call") == ["Alpha call"]
    assert shown("?status=done") == ["Beta meeting"]
    assert shown("?domain=organizations") == ["Beta meeting"]
    assert shown(f"?owner={other.id}") == ["Beta meeting"]
    assert set(shown(f"?partner={kazan.id}")) == {"Alpha call", "Gamma dinner"}
    assert set(shown("?date_from=2026-12-01")) == {"Alpha call", "Beta meeting"}
    assert shown("?date_to=2026-11-30") == ["Gamma dinner"]
    assert shown("?date_from=2026-12-01&date_to=2026-12-05") == ["Alpha call"]


def test_list_hides_archived_unless_asked(auth, client, make_activity):
    auth.login("viewer")
    make_activity(subject="Old visit", archived_at=datetime(2026, 1, 1, tzinfo=UTC))
    assert "Old visit" not in client.get("/activities/").get_data(as_text=True)
    page = client.get("/activities/?archived=y").get_data(as_text=True)
    assert "Old visit" in page and "Archived" in page


def test_list_sorts_by_whitelisted_keys(auth, client, make_activity):
    auth.login("viewer")
    make_activity(subject="Bravo", due_on=date(2026, 1, 2), kind="task")
    make_activity(subject="Alpha", due_on=date(2026, 1, 3), kind="call")
    make_activity(subject="Charlie", due_on=date(2026, 1, 1), kind="meeting")

    def order(sort):
        page = client.get(f"/activities/?sort={sort}").get_data(as_text=True)
        return sorted(("Alpha", "Bravo", "Charlie"), key=page.index)

    assert order("subject") == ["Alpha", "Bravo", "Charlie"]
    assert order("-subject") == ["Charlie", "Bravo", "Alpha"]
    assert order("when") == ["Charlie", "Bravo", "Alpha"]
    assert order("-when") == ["Alpha", "Bravo", "Charlie"]
    assert order("kind") == ["Alpha", "Charlie", "Bravo"]
    assert order("bogus") == order("-when")


def test_list_paginates(auth, client, make_activity, make_partner):
    auth.login("viewer")
    partner = make_partner()
    for n in range(12):
        make_activity(partner, subject=f"Item {n:02d}")
    first = client.get("/activities/?sort=subject").get_data(as_text=True)
    second = client.get("/activities/?sort=subject&page=2").get_data(as_text=True)
    assert "Item 00" in first and "Item 11" not in first
    assert "Item 11" in second and "Item 00" not in second


@pytest.mark.parametrize(
    "query",
    [
        "?page=x",
        "?page=-3",
        "?page=99999999999999999999",
        "?status=bogus",
        "?kind=%FF%FE",
        "?date_from=1402/13/40",
        "?date_to=not-a-date",
        "?owner=abc",
        "?partner=1;drop",
        "?sort=;drop",
        "?q=%25_%25",
        "?archived=maybe",
        "?domain[]=x",
    ],
)
def test_bad_query_strings_never_fail(auth, client, make_activity, query):
    auth.login("viewer", locale="fa")
    make_activity()
    response = client.get("/activities/" + query)
    assert response.status_code == 200


def test_bad_filter_values_show_translated_errors(auth, client, make_activity):
    auth.login("viewer", locale="en")
    make_activity(subject="Still listed")
    page = client.get("/activities/?status=bogus&date_from=2026-02-31").get_data(as_text=True)
    assert "Choose from the list." in page
    assert "This date does not exist in the calendar." in page
    assert "Still listed" in page  # the bad filters are ignored


def test_list_query_count_does_not_grow(
    auth, client, app, make_activity, make_partner, make_agreement, make_user
):
    user = auth.login("viewer")

    def fill(count):
        for n in range(count):
            partner = make_partner(name_en=f"City {n}")
            agreement = make_agreement(parties=[partner])
            make_activity(partner, agreement_id=agreement.id, owner_id=user.id)

    fill(1)
    client.get("/activities/")  # the first request fills the shared filter options
    with count_queries(app) as few:
        client.get("/activities/")
    fill(8)
    with count_queries(app) as many:
        client.get("/activities/")
    assert len(many) == len(few)


def test_a_long_list_counts_up_to_a_cap_and_says_more_than(
    auth, client, make_activity, make_partner, monkeypatch
):
    """Counting stops at the cap (10,000; 20 here, at 10 a page): the page says "more than",
    in the reader's digits, and keeps "next" open; a page past the cap counts on to it."""
    monkeypatch.setattr("crm.lists.COUNT_CAP", 20)
    auth.login("viewer", locale="fa")
    partner = make_partner()
    for n in range(25):
        make_activity(partner, subject=f"Call {n}")
    first = client.get("/activities/").get_data(as_text=True)
    assert "بیش از ۲۰ نتیجه" in first
    assert 'href="/activities/?page=2"' in first
    third = client.get("/activities/?page=3").get_data(as_text=True)
    assert "۲۵ نتیجه" in third and "بیش از" not in third
    assert third.count("<tr") == 5 + 1  # five rows and the header
    ninth = client.get("/activities/?page=9").get_data(as_text=True)
    assert (
        ninth.split("<tbody>")[1].split("</tbody>")[0]
        == third.split("<tbody>")[1].split("</tbody>")[0]
    )  # the last page
