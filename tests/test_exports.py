"""Viewers export the lists as CSV, with the list's filters and the reader's language."""

import csv
import io
from datetime import date


def rows_of(response):
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")  # spreadsheet programs then read Persian correctly
    return list(csv.reader(io.StringIO(text[1:])))


def test_viewer_exports_the_filtered_partner_list(auth, client, make_partner):
    auth.login("viewer")
    make_partner(name_en="Istanbul", relationship_since=date(2023, 4, 4), areas=["tourism"])
    make_partner(name_en="Metropolis", kind="organization", domain="organizations")
    rows = rows_of(client.get("/partners/export.csv?domain=cities"))
    assert rows[0][:3] == ["Number", "Name in English", "Name in Persian"]
    assert [row[1] for row in rows[1:]] == ["Istanbul"]
    assert "2023-04-04" in rows[1] and "Tourism" in rows[1] and "Türkiye" in rows[1]


def test_export_speaks_persian_with_jalali_dates(auth, client, make_partner):
    auth.login("viewer", locale="fa")
    make_partner(name_en="Istanbul", relationship_since=date(2023, 4, 4))
    rows = rows_of(client.get("/partners/export.csv"))
    assert rows[0][1] == "نام انگلیسی"
    assert "1402/01/15" in rows[1] and "ترکیه" in rows[1]


def test_agreement_export_leaves_out_confidential_ones_for_staff(
    auth, client, make_agreement, make_user
):
    make_agreement(title_en="Open memorandum")
    make_agreement(title_en="Secret land deal", confidentiality="confidential")
    auth.login("staff")
    titles = [row[2] for row in rows_of(client.get("/agreements/export.csv"))[1:]]
    assert titles == ["Open memorandum"]
    auth.logout()
    auth.login("manager")
    titles = {row[2] for row in rows_of(client.get("/agreements/export.csv"))[1:]}
    assert titles == {"Open memorandum", "Secret land deal"}


def test_contact_and_activity_exports_follow_the_filters(
    auth, client, make_contact, make_activity, make_partner
):
    auth.login("viewer")
    partner = make_partner()
    make_contact(partner=partner, name_latin="Ayşe Yılmaz", phone="+902124550000")
    make_activity(partner=partner, subject="Tram visit", kind="visit_incoming")
    make_activity(partner=partner, subject="Call about tourism", kind="call")
    contacts = rows_of(client.get(f"/contacts/export.csv?partner={partner.id}"))
    assert contacts[1][1] == "Ayşe Yılmaz" and "+902124550000" in contacts[1]
    activities = rows_of(client.get("/activities/export.csv?kind=call"))
    assert [row[2] for row in activities[1:]] == ["Call about tourism"]


def test_export_links_keep_the_filters_but_not_the_page(auth, client, make_partner):
    auth.login("viewer")
    make_partner()
    page = client.get("/partners/?domain=cities&page=1").get_data(as_text=True)
    assert 'href="/partners/export.csv?domain=cities"' in page


def _fill(make_partner, make_contact, make_agreement, make_activity, count):
    for n in range(count):
        partner = make_partner(name_en=f"City {n}", areas=["tourism", "health"])
        make_contact(partner=partner, name_latin=f"Contact {n}")
        agreement = make_agreement(parties=[partner, make_partner(name_en=f"Twin {n}")])
        make_activity(partner=partner, subject=f"Visit {n}", agreement_id=agreement.id)


def test_an_export_costs_the_same_queries_for_a_few_rows_or_many(
    app, auth, client, make_partner, make_contact, make_agreement, make_activity
):
    from tests.conftest import count_queries

    auth.login("manager")
    urls = [f"/{name}/export.csv" for name in ("partners", "contacts", "agreements", "activities")]
    _fill(make_partner, make_contact, make_agreement, make_activity, 2)
    few = {}
    for url in urls:
        with count_queries(app) as statements:
            rows_of(client.get(url))
        few[url] = len(statements)
    _fill(make_partner, make_contact, make_agreement, make_activity, 12)
    for url in urls:
        with count_queries(app) as statements:
            rows = rows_of(client.get(url))
        assert len(rows) > 12, url
        assert len(statements) == few[url], (url, few[url], len(statements))
    parties = rows_of(client.get("/agreements/export.csv"))[1][6]
    assert ", " in parties  # two parties, named, in one cell
