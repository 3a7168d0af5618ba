"""Every list exports as XLSX too, from the same columns and rows as its CSV: real dates and
numbers, the Jalali date beside each date in Persian, a frozen and filtered bold header, a
right-to-left sheet in Persian, and text that never runs as a formula."""

import io
from datetime import UTC, date, datetime

import pytest
from openpyxl import load_workbook

from tests.test_exports import HOSTILE, HOSTILE_CONTROL, _hostile_records

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LISTS = ["partners", "contacts", "agreements", "activities"]


def sheet_of(response):
    """The one sheet of a downloaded workbook, read back with openpyxl."""
    assert response.status_code == 200, response.status_code
    assert response.mimetype == XLSX
    assert "attachment" in response.headers["Content-Disposition"]
    assert '.xlsx"' in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.get_data()))
    [sheet] = workbook.worksheets
    return sheet


def rows_of(sheet):
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def records_of(sheet):
    """Each data row as {heading: cell}."""
    heads = [cell.value for cell in sheet[1]]
    return [dict(zip(heads, row, strict=True)) for row in sheet.iter_rows(min_row=2)]


def assert_no_formula(sheet):
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)


@pytest.mark.parametrize("export", LISTS)
def test_every_list_exports_a_workbook_with_a_bold_frozen_filtered_header(
    auth, client, make_partner, make_contact, make_agreement, make_activity, export
):
    auth.login("manager")
    partner = make_partner()
    make_contact(partner=partner)
    make_agreement(parties=[partner])
    make_activity(partner=partner)
    sheet = sheet_of(client.get(f"/{export}/export.xlsx"))
    csv_text = client.get(f"/{export}/export.csv").get_data(as_text=True)
    header = [cell.value for cell in sheet[1]]
    assert header == csv_text.lstrip("\ufeff").splitlines()[0].split(",")  # the same columns
    assert header[0] == "Number" and sheet.title == export.capitalize()
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet[1][-1].column_letter}{sheet.max_row}"
    assert sheet.max_row >= 2
    assert not sheet.sheet_view.rightToLeft
    widths = [sheet.column_dimensions[cell.column_letter].width for cell in sheet[1]]
    assert all(8 <= width <= 52 for width in widths), widths


def test_dates_are_dates_and_numbers_numbers_in_english(
    auth, client, make_partner, make_agreement, make_activity
):
    auth.login("manager", locale="en", timezone="Asia/Tehran")
    partner = make_partner(
        name_en="Istanbul", population=15_655_924, relationship_since=date(2026, 11, 26)
    )
    make_agreement(parties=[partner], signed_on=date(2026, 11, 26), expires_on=date(2027, 3, 21))
    make_activity(partner=partner, starts_at=datetime(2026, 11, 26, 11, 0, tzinfo=UTC), due_on=None)
    sheet = sheet_of(client.get("/partners/export.xlsx"))
    [row] = records_of(sheet)
    assert row["Population"].value == 15_655_924 and row["Population"].data_type == "n"
    assert isinstance(row["Number"].value, int)
    since = row["Relationship since"]
    assert since.is_date and since.value == datetime(2026, 11, 26)
    assert since.number_format == "yyyy-mm-dd"
    assert "Relationship since (Jalali)" not in row  # only for a Persian reader
    [agreement] = records_of(sheet_of(client.get("/agreements/export.xlsx")))
    assert agreement["Expires on"].value == datetime(2027, 3, 21)
    assert agreement["Effective from"].value is None  # an empty date stays empty
    [activity] = records_of(sheet_of(client.get("/activities/export.xlsx")))
    when = activity["When"]  # 11:00 UTC is 14:30 on the reader's clock in Tehran
    assert when.is_date and when.value == datetime(2026, 11, 26, 14, 30)
    assert when.number_format == "yyyy-mm-dd hh:mm"
    assert activity["Kind"].value == "Meeting" and activity["Status"].value == "Planned"


def test_in_persian_the_sheet_is_right_to_left_with_the_jalali_date_beside_each_date(
    auth, client, make_partner, make_contact, make_activity
):
    auth.login("manager", locale="fa", timezone="Asia/Tehran")
    partner = make_partner(name_en="Istanbul", relationship_since=date(2026, 11, 26))
    make_contact(partner=partner, is_primary=True)
    make_activity(partner=partner, starts_at=datetime(2026, 11, 26, 11, 0, tzinfo=UTC), due_on=None)
    csv_rows = client.get("/partners/export.csv").get_data(as_text=True).splitlines()
    sheet = sheet_of(client.get("/partners/export.xlsx"))
    assert sheet.sheet_view.rightToLeft
    assert sheet.title == "طرف‌های همکاری"  # "Partners", in the reader's language
    header = [cell.value for cell in sheet[1]]
    csv_header = csv_rows[0].lstrip("\ufeff").split(",")
    since = csv_header.index("تاریخ آغاز رابطه")  # "Relationship since"
    # the date column, then its Jalali text, then the rest as in the CSV
    assert header[: since + 1] == csv_header[: since + 1]
    assert header[since + 1].startswith(csv_header[since] + " (")  # "… (Jalali)", translated
    assert header[since + 2 :] == csv_header[since + 1 :]
    row = list(sheet[2])
    assert row[since].is_date and row[since].value == datetime(2026, 11, 26)
    assert row[since + 1].data_type == "s" and row[since + 1].value == "1405/09/05"
    assert row[csv_header.index("کشور")].value == "ترکیه"  # the country in the reader's words
    assert isinstance(row[0].value, int)  # numbers in Latin digits: real numbers
    contact = list(sheet_of(client.get("/contacts/export.xlsx"))[2])
    assert contact[-1].value == "بله"  # yes or no as the reader's formatter says it
    activity = list(sheet_of(client.get("/activities/export.xlsx"))[2])
    instants = [cell for cell in activity if cell.is_date]
    assert [cell.value for cell in instants] == [datetime(2026, 11, 26, 14, 30)]
    beside = activity[instants[0].column]  # the cell to its left in a right-to-left sheet
    assert beside.value == "1405/09/05 14:30"


@pytest.mark.parametrize("export", LISTS)
def test_text_that_looks_like_a_formula_stays_text_in_a_workbook(
    auth, client, make_partner, make_contact, make_agreement, make_activity, export
):
    auth.login("manager")
    columns = _hostile_records(export, make_partner, make_contact, make_agreement, make_activity)
    sheet = sheet_of(client.get(f"/{export}/export.xlsx"))
    assert_no_formula(sheet)
    record = records_of(sheet)[-1]
    for column in columns:
        cell = record[column]
        assert cell.data_type == "s", (column, cell.value)
        # as typed (XML reads a carriage return back as a line feed)
        assert cell.value in [*HOSTILE, *HOSTILE_CONTROL, "\n=1+1"], (column, cell.value)
    assert isinstance(record["Number"].value, int)
    if export == "partners":
        assert record["Population"].value == 250000


def test_the_workbook_keeps_the_filters_of_the_list(auth, client, make_partner, make_activity):
    auth.login("viewer")
    make_partner(name_en="Istanbul", country="TR")
    make_partner(name_en="Kazan", country="RU", name_fa="کازان")
    make_partner(name_en="Metropolis", kind="organization", domain="organizations", country="ES")
    rows = rows_of(sheet_of(client.get("/partners/export.xlsx?country=RU")))
    assert [row[1] for row in rows[1:]] == ["Kazan"]
    rows = rows_of(sheet_of(client.get("/partners/export.xlsx?domain=cities&sort=-name")))
    assert [row[1] for row in rows[1:]] == ["Kazan", "Istanbul"]
    make_activity(subject="Tram visit", kind="visit_incoming")
    make_activity(subject="Call about tourism", kind="call")
    rows = rows_of(sheet_of(client.get("/activities/export.xlsx?kind=call")))
    assert [row[2] for row in rows[1:]] == ["Call about tourism"]


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_a_workbook_leaves_out_the_confidential_agreements_the_reader_may_not_see(
    auth, client, make_agreement, role
):
    make_agreement(title_en="Open memorandum")
    make_agreement(title_en="Secret land deal", confidentiality="confidential")
    auth.login(role)
    titles = [row[2] for row in rows_of(sheet_of(client.get("/agreements/export.xlsx")))[1:]]
    assert titles == ["Open memorandum"]
    auth.logout()
    auth.login("manager")
    titles = {row[2] for row in rows_of(sheet_of(client.get("/agreements/export.xlsx")))[1:]}
    assert titles == {"Open memorandum", "Secret land deal"}


@pytest.mark.parametrize(
    "query", ["country=ZZZ", "domain=x", "sort=;drop", "page=abc", "kind=1", "owner=abc"]
)
def test_a_bad_filter_gets_the_same_answer_as_the_csv_never_a_500(
    auth, client, make_contact, make_agreement, make_activity, query
):
    make_contact()
    make_agreement()
    make_activity()
    auth.login("viewer")
    for name in LISTS:
        as_csv = client.get(f"/{name}/export.csv?{query}")
        as_xlsx = client.get(f"/{name}/export.xlsx?{query}")
        assert as_xlsx.status_code == as_csv.status_code == 200, (name, query)
        sheet = sheet_of(as_xlsx)
        assert sheet.max_row == len(as_csv.get_data(as_text=True).splitlines())


def test_the_list_page_offers_both_exports_with_its_filters(auth, client, make_partner):
    auth.login("viewer")
    make_partner()
    page = client.get("/partners/?domain=cities&page=1").get_data(as_text=True)
    assert 'href="/partners/export.csv?domain=cities"' in page
    assert 'href="/partners/export.xlsx?domain=cities"' in page
    assert "Export (XLSX)" in page
    page = client.get("/activities/?kind=call").get_data(as_text=True)
    assert 'href="/activities/export.xlsx?kind=call"' in page  # a filter named like a kind


def test_the_file_name_carries_the_readers_date(auth, client):
    from freezegun import freeze_time

    with freeze_time("2026-11-26 22:00:00"):
        auth.login("viewer", locale="fa", timezone="Asia/Tehran")
        response = client.get("/contacts/export.xlsx")
    assert 'filename="contacts-1405-09-06.xlsx"' in response.headers["Content-Disposition"]


def test_an_xlsx_export_costs_the_same_queries_for_a_few_rows_or_many(
    app, auth, client, make_partner, make_contact, make_agreement, make_activity
):
    from tests.conftest import count_queries
    from tests.test_exports import _fill

    auth.login("manager")
    urls = [f"/{name}/export.xlsx" for name in LISTS]
    _fill(make_partner, make_contact, make_agreement, make_activity, 2)
    few = {}
    for url in urls:
        client.get(url)  # the first request fills the filter forms' shared options
        with count_queries(app) as statements:
            sheet_of(client.get(url))
        few[url] = len(statements)
    _fill(make_partner, make_contact, make_agreement, make_activity, 12)
    for url in urls:
        with count_queries(app) as statements:
            sheet = sheet_of(client.get(url))
        assert sheet.max_row > 13, url
        assert len(statements) == few[url], (url, few[url], len(statements))


def test_the_writer_keeps_types_cleans_text_and_spans_batches(ctx):
    from crm.formatting import Formatter
    from crm.lists import Column, label_of
    from crm.xlsx import write_xlsx

    columns = [
        Column("Value", "v"),
        Column("Day", "d", dated=True),
        Column("Label", "c", label_of({"a": "Apple"})),
    ]
    batches = [
        {"v": [7, 2.5, "x\x00y\x1f", "=1+1"], "d": [date(2026, 3, 21), None, None, None],
         "c": ["a", "b", None, "a"]},
        {"v": [True, None, "z" * 40_000, "@SUM(A1)"], "d": [None] * 4, "c": ["a"] * 4},
    ]  # fmt: skip
    for locale in ("en", "fa"):
        fmt = Formatter(locale, "Asia/Tehran")
        data = b"".join(write_xlsx(columns, batches, fmt, "Fruit: [all]/*?"))
        sheet = load_workbook(io.BytesIO(data)).active
        assert sheet.title == "Fruit   all"  # what a sheet's name may not hold is gone
        assert sheet.max_row == 9 and sheet.auto_filter.ref.endswith("9")
        values = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
        yes = "Yes" if locale == "en" else fmt.yes_no(True)
        assert values[:6] == [7, 2.5, "xy", "=1+1", yes, None]
        assert len(values[6]) == 32_767 and values[7] == "@SUM(A1)"
        assert_no_formula(sheet)
        labels = [row[-1] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert labels[:3] == ["Apple", "b", None]
        assert sheet.max_column == (4 if locale == "fa" else 3)
        assert sheet["B2"].value == datetime(2026, 3, 21)
        if locale == "fa":
            assert sheet["C2"].value == "1405/01/01"


def test_an_empty_list_is_a_header_only_workbook(auth, client):
    auth.login("viewer")
    sheet = sheet_of(client.get("/agreements/export.xlsx?country=RU"))
    assert sheet.max_row == 1 and sheet.auto_filter.ref.endswith("1")
