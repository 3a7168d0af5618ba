"""Viewers export the lists as CSV, with the list's filters and the reader's language."""

import csv
import io
from datetime import date

import pytest


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
    assert contacts[1][1] == "Ayşe Yılmaz"
    assert "'+902124550000" in contacts[1]  # the apostrophe keeps the plus (and no formula)
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
        client.get(url)  # the first request fills the filter forms' shared options
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


HOSTILE = ['=HYPERLINK("http://evil.example")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]
HOSTILE_CONTROL = ["\t=1+1", "\r=1+1"]


def _hostile_records(export, make_partner, make_contact, make_agreement, make_activity):
    """A record of each export whose text columns start as formulas; returns its columns."""
    a, b, c, d = HOSTILE
    tab, cr = HOSTILE_CONTROL
    if export == "partners":
        make_partner(name_en=a, name_fa=b, name_local=c, region=d, website=tab, population=250000)
        return ["Name in English", "Name in Persian", "Name in its own language"] + [
            "Region or province",
            "Website",
        ]
    if export == "contacts":
        make_contact(name_latin=a, name_fa=b, title=c, department=d, email=tab, phone=cr)
        return ["Name in Latin letters", "Name in Persian", "Job title", "Department"] + [
            "Email",
            "Phone",
        ]
    if export == "agreements":
        make_agreement(title_en=a, title_fa=b, reference=c)
        return ["Title (English)", "Title (Persian)", "Reference number"]
    make_activity(subject=a, location=b, outcome=c)
    return ["Subject", "Location", "Outcome"]


@pytest.mark.parametrize("export", ["partners", "contacts", "agreements", "activities"])
def test_every_export_neutralises_text_that_a_spreadsheet_would_run_as_a_formula(
    auth, client, make_partner, make_contact, make_agreement, make_activity, export
):
    auth.login("manager")
    columns = _hostile_records(export, make_partner, make_contact, make_agreement, make_activity)
    rows = rows_of(client.get(f"/{export}/export.csv"))
    record = dict(zip(rows[0], rows[-1], strict=True))
    for column in columns:
        value = record[column]
        assert value.startswith("'") and value[1:2] in "=+-@\t\r", (column, value)
        assert value[1:] in HOSTILE + HOSTILE_CONTROL, (column, value)
    assert record["Number"].isdigit()  # numbers stay numbers
    if export == "partners":
        assert record["Population"] == "250000"


def test_numbers_stay_numbers_and_plain_text_stays_as_typed(ctx):
    from crm.formatting import Formatter
    from crm.lists import cell

    fmt = Formatter("en", "UTC")
    assert cell(-12, fmt) == "-12" and cell(2.5, fmt) == "2.5" and cell(0, fmt) == "0"
    assert cell("-12", fmt) == "'-12"  # typed as text: could be a formula
    assert cell("Tehran = Teheran", fmt) == "Tehran = Teheran"
    assert cell("", fmt) == "" and cell(None, fmt) == ""


# --- one format per language -----------------------------------------------------------------
def _dated_records(make_partner, make_contact, make_agreement, make_activity):
    from datetime import UTC, datetime

    partner = make_partner(
        name_en="Istanbul", population=15_655_924, relationship_since=date(2026, 11, 26)
    )
    make_contact(partner=partner, is_primary=True)
    make_agreement(parties=[partner], signed_on=date(2026, 11, 26), expires_on=date(2027, 3, 21))
    make_activity(
        partner=partner,
        starts_at=datetime(2026, 11, 26, 11, 0, tzinfo=UTC),  # 14:30 in Tehran
        due_on=date(2026, 11, 26),
    )


EXPECTED = {
    # language: a date, an instant (11:00 UTC, 14:30 in Tehran), yes, Nowruz 1406
    "en": ("2026-11-26", "2026-11-26 14:30", "Yes", "2027-03-21"),
    "fa": ("1405/09/05", "1405/09/05 14:30", "بله", "1406/01/01"),
}


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_exports_write_dates_times_numbers_and_yes_no_one_way_per_language(
    auth, client, make_partner, make_contact, make_agreement, make_activity, locale
):
    from crm.text import PERSIAN_DIGITS

    day, instant, yes, nowruz = EXPECTED[locale]
    auth.login("manager", locale=locale, timezone="Asia/Tehran")
    _dated_records(make_partner, make_contact, make_agreement, make_activity)
    partner = rows_of(client.get("/partners/export.csv"))[1]
    assert partner[8] == "15655924"  # population: Latin digits, no separators
    assert partner[10] == day
    contact = rows_of(client.get("/contacts/export.csv"))[1]
    assert contact[-1] == yes
    agreement = rows_of(client.get("/agreements/export.csv"))[1]
    assert agreement[8] == day and agreement[10] == nowruz
    activity = rows_of(client.get("/activities/export.csv"))[1]
    assert activity[5] == instant and activity[6] == day
    for name in ("partners", "contacts", "agreements", "activities"):
        text = client.get(f"/{name}/export.csv").get_data(as_text=True)
        assert not set(text) & set(PERSIAN_DIGITS + "٬٫"), name  # sortable, summable


@pytest.mark.parametrize(
    "locale, zone, expected",
    [
        ("en", "Asia/Tehran", "2026-11-27"),
        ("fa", "Asia/Tehran", "1405-09-06"),
        ("en", "Pacific/Honolulu", "2026-11-26"),  # still yesterday there
    ],
)
def test_export_file_names_carry_today_in_the_readers_calendar_and_zone(
    auth, client, locale, zone, expected
):
    from freezegun import freeze_time

    # The whole visit, sign-in included, at one clock: 22:00 UTC is already the next day in Tehran.
    with freeze_time("2026-11-26 22:00:00"):
        auth.login("viewer", locale=locale, timezone=zone)
        response = client.get("/activities/export.csv")
    assert f'filename="activities-{expected}.csv"' in response.headers["Content-Disposition"]


# --- formatted a batch at a time -------------------------------------------------------------
def test_a_batch_is_written_as_cell_writes_each_value(ctx):
    """The fast paths (text and whole numbers as they are, everything else from a memo that
    forgets past its limit) write the same cells as ``cell`` does value by value."""
    from datetime import UTC, datetime

    from crm.formatting import Formatter
    from crm.lists import Column, Memo, cell, write_csv

    values = [7, -12, 2.5, "Tehran", "-2+3", "=1+1", "", None, True, False, date(2026, 11, 26)]
    values += [datetime(2026, 11, 26, 11, n, tzinfo=UTC) for n in range(0, 60, 7)]
    for locale in ("fa", "en"):
        fmt = Formatter(locale, "Asia/Tehran")
        batches = [{"v": values[:9]}, {"v": values[9:]}]
        text = "".join(write_csv([Column("Value", "v")], batches, fmt))
        expected = io.StringIO()
        csv.writer(expected).writerows([["Value"], *([cell(v, fmt)] for v in values)])
        assert text == "\ufeff" + expected.getvalue()

    memo = Memo(str, limit=3)
    assert [memo[n] for n in range(10)] == [str(n) for n in range(10)]
    assert len(memo) <= 3  # flat, however many values an export meets


@pytest.mark.parametrize(
    "names, fa, en",
    [
        (("Istanbul", "استانبول", "İstanbul"), "استانبول", "Istanbul"),
        (("Istanbul", "", "İstanbul"), "Istanbul", "Istanbul"),
        (("", None, "İstanbul"), "İstanbul", "İstanbul"),
        ((None, "", ""), "", ""),
    ],
)
def test_the_name_an_export_reads_from_sql_is_the_name_a_reader_sees(ctx, names, fa, en):
    from sqlalchemy import select

    from crm.extensions import db
    from crm.partners.models import Partner

    name_en, name_fa, name_local = names
    partner = Partner(kind="city", domain="cities", country="TR", name_en=name_en or "")
    partner.name_fa, partner.name_local, partner.name_en = name_fa, name_local, name_en
    db.session.add(partner)
    db.session.flush()
    for locale, expected in (("fa", fa), ("en", en)):
        stmt = select(Partner.name_sql(locale)).where(Partner.id == partner.id)
        assert db.session.scalar(stmt) == partner.name_in(locale) == expected


def test_readers_one_after_the_other_each_read_their_own_language(
    auth, client, make_partner, make_activity, make_agreement
):
    partner = make_partner(name_en="Istanbul", name_fa="استانبول", areas=["tourism"])
    make_agreement(parties=[partner])
    make_activity(partner=partner, kind="call")
    seen = {}
    for role, locale in (("manager", "fa"), ("viewer", "en"), ("staff", "fa")):
        auth.login(role, locale=locale)
        activity = rows_of(client.get("/activities/export.csv"))[1]
        agreement = rows_of(client.get("/agreements/export.csv"))[1]
        areas = rows_of(client.get("/partners/export.csv"))[1][12]
        seen[role] = (activity[1], activity[3], agreement[4], agreement[6], areas)
        auth.logout()
    persian = ("تماس تلفنی", "استانبول", "تفاهم‌نامه", "استانبول", "گردشگری")
    assert seen["manager"] == seen["staff"] == persian
    assert seen["viewer"] == (
        "Call",
        "Istanbul",
        "Memorandum of understanding",
        "Istanbul",
        "Tourism",
    )


def test_linked_names_are_one_cell_in_the_readers_order_and_separator(
    app, auth, client, make_partner, make_agreement
):
    """Parties alphabetically in the reader's language (a party without a Persian name keeps
    its English one), areas in their own order, joined as the reader lists; a row without
    any has an empty cell."""
    from sqlalchemy import select

    from crm.extensions import db
    from crm.models import CooperationArea
    from crm.reference import all_areas

    areas = ["tourism", "health", "culture"]
    parties = [
        make_partner(name_en="Yazd", name_fa="یزد"),
        make_partner(name_en="Bam", name_fa="بم"),
        make_partner(name_en="Zurich", name_fa=""),
    ]
    make_agreement(title_en="Linked", parties=parties, areas=areas)
    make_agreement(title_en="Alone", parties=[])
    make_partner(name_en="Quiet", areas=[])
    make_partner(name_en="Busy", areas=list(reversed(areas)))
    with app.app_context():
        order = [a.code for a in all_areas() if a.code in areas]
        names = {a.code: a for a in db.session.scalars(select(CooperationArea))}
    for role, locale, separator, expected_parties in (
        ("viewer", "en", ", ", "Bam, Yazd, Zurich"),
        ("staff", "fa", "، ", "Zurich، بم، یزد"),  # Latin letters come before Persian ones
    ):
        auth.login(role, locale=locale)
        area_cell = separator.join(names[code].name_in(locale) for code in order)
        agreements = {row[2]: row for row in rows_of(client.get("/agreements/export.csv"))[1:]}
        assert agreements["Linked"][6] == expected_parties
        assert agreements["Linked"][7] == area_cell
        assert agreements["Alone"][6] == agreements["Alone"][7] == ""
        partners = {row[1]: row for row in rows_of(client.get("/partners/export.csv"))[1:]}
        assert partners["Busy"][12] == area_cell
        assert partners["Quiet"][12] == ""
        auth.logout()
