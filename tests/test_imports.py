"""Imports through the pages: upload, mapping, the dry run's rows and errors, matching,
update or skip, all or nothing, undo, the remembered mapping, who may import, bad files."""

import io
import re
from datetime import date, datetime

import pytest
from sqlalchemy import select

from crm.audit import AuditAct, AuditEntry
from crm.auth.models import User
from crm.extensions import db
from crm.imports.models import ImportRun
from crm.partners.models import Contact, Partner
from tests.import_files import csv_bytes, xlsx_bytes

HEAD = ["Name in English", "Name in Persian", "Country", "City", "Relationship since"]


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def upload(client, data: bytes, filename="partners.csv", kind="partners", encoding=""):
    return client.post(
        "/imports",
        data={"kind": kind, "encoding": encoding, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def uploaded(client, data: bytes, filename="partners.csv", kind="partners", encoding="") -> int:
    response = upload(client, data, filename, kind, encoding)
    assert response.status_code == 302, text_of(response)[:3000]
    return int(re.search(r"/imports/(\d+)/map", response.headers["Location"]).group(1))


def mapped(client, import_id: int, on_match="skip", mapping=None):
    """Keep the guessed mapping (or ``mapping``: the field per column) and go on."""
    run = run_of(client.application, import_id)
    fields = mapping if mapping is not None else run.mapping
    data = {f"column-{i}": key or "" for i, key in enumerate(fields)}
    data["on_match"] = on_match
    return client.post(f"/imports/{import_id}/map", data=data)


def commit(client, import_id: int, on_match="skip", skip_bad=False, **rows):
    data = {"on_match": on_match, **{f"row-{k[1:]}": v for k, v in rows.items()}}
    if skip_bad:
        data["skip_bad"] = "y"
    return client.post(f"/imports/{import_id}/preview", data=data)


def run_of(app, import_id: int) -> ImportRun:
    with app.app_context():
        run = db.session.get_one(ImportRun, import_id)
        db.session.expunge(run)
        return run


def partners(app) -> list[Partner]:
    with app.app_context():
        found = list(db.session.scalars(select(Partner).order_by(Partner.id)))
        db.session.expunge_all()
        return found


# --- encodings and files ---------------------------------------------------------------------
def test_a_utf8_csv_with_a_bom_is_read_with_its_persian_headings_mapped(app, auth, client):
    auth.login("staff")
    data = csv_bytes(
        [["نام انگلیسی", "نام فارسی", "کشور", "شهر"], ["Shiraz", "شیراز", "IR", "Fars"]], bom=True
    )
    import_id = uploaded(client, data)
    run = run_of(app, import_id)
    assert run.encoding == "utf-8"
    assert run.headers == ["نام انگلیسی", "نام فارسی", "کشور", "شهر"]
    assert run.mapping == ["name_en", "name_fa", "country", "region"]
    assert run.rows == [["Shiraz", "شیراز", "IR", "Fars"]]


def test_a_windows_1256_csv_with_semicolons_is_found_out_and_read(app, auth, client):
    auth.login("staff")
    rows = [
        ["نام فارسی", "نام انگلیسی", "کشور", "توضیحات"],
        ["اصفهان", "Isfahan", "ایران", "شهر خواهرخوانده; قدیمی"],
        ["کاشان", "Kashan", "IR", "گلاب و فرش"],
    ]
    data = "\r\n".join(";".join(f'"{c}"' if ";" in c else c for c in r) for r in rows)
    # Windows-1256 has no Persian yeh: Persian typed on Windows comes with the Arabic one
    import_id = uploaded(client, data.replace("ی", "ي").encode("cp1256"))
    run = run_of(app, import_id)
    assert run.encoding == "cp1256"
    assert run.rows[0] == ["اصفهان", "Isfahan", "ايران", "شهر خواهرخوانده; قديمي"]
    assert run.mapping == ["name_fa", "name_en", "country", "summary"]
    page = text_of(client.get(f"/imports/{import_id}/map"))
    assert "Read as Windows Arabic / Persian (Windows-1256)." in page  # its name, not cp1256
    mapped(client, import_id)
    page = text_of(client.get(f"/imports/{import_id}/preview"))
    assert "Has errors" not in page.split("</ul>")[1]  # the country in Persian is Iran
    assert commit(client, import_id).status_code == 302
    assert {(p.name_fa, p.country) for p in partners(app)} == {("اصفهان", "IR"), ("کاشان", "IR")}
    assert {p.summary for p in partners(app)} == {"شهر خواهرخوانده; قديمي", "گلاب و فرش"}


def test_the_user_can_name_the_encoding_of_a_csv_file(app, auth, client):
    auth.login("staff")
    data = csv_bytes([["Name in English", "Summary"], ["Köln", "Dom"]], encoding="cp1252")
    run = run_of(app, uploaded(client, data, encoding="cp1252"))
    assert run.rows == [["Köln", "Dom"]] and run.encoding == "cp1252"


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (b"", "empty.csv", "The file is empty."),
        (b"\x00\x01\x02\x03binary\xff\xfe\x00junk" * 50, "junk.csv", "not a spreadsheet"),
        (b"PK\x03\x04not really a zip", "broken.xlsx", "not an Excel workbook"),
        (b"just some text, not a zip", "fake.xlsx", "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", "Old Excel files"),
        (b"Name in English\r\n", "headings.csv", "no rows of data"),
    ],
)
def test_a_bad_file_is_refused_with_a_clear_message_and_no_import(
    app, auth, client, data, filename, message
):
    auth.login("staff")
    response = upload(client, data, filename)
    assert response.status_code == 400
    assert message in text_of(response)
    with app.app_context():
        assert db.session.scalar(select(ImportRun.id)) is None


def test_a_file_with_too_many_rows_is_refused(app, auth, client, monkeypatch):
    from crm.imports import reading

    monkeypatch.setattr(reading, "MAX_ROWS", 3)
    auth.login("staff")
    data = csv_bytes([["Name in English"]] + [[f"City {n}"] for n in range(5)])
    response = upload(client, data)
    assert response.status_code == 400
    assert "more than 3 rows" in text_of(response)


def test_a_bad_file_in_persian_is_refused_in_persian(app, auth, client):
    auth.login("staff", locale="fa")
    response = upload(client, b"", "empty.csv")
    assert response.status_code == 400
    assert "The file is empty." not in text_of(response)


# --- XLSX, dates -----------------------------------------------------------------------------
def test_xlsx_date_cells_keep_their_day_and_persian_digits_and_jalali_dates_are_read(
    app, auth, client
):
    auth.login("staff", timezone="Pacific/Kiritimati")  # UTC+14: a shifted day would show
    rows = [
        HEAD,
        ["Kazan", "قازان", "RU", "Tatarstan", datetime(2016, 5, 17, 0, 0)],
        ["Bursa", "بورسا", "TR", "Bursa", datetime(2010, 3, 1, 23, 30)],
        ["Lyon", "لیون", "FR", "Rhône", "۱۳۹۵/۰۲/۲۸"],
        ["Minsk", "مینسک", "BY", "", "17.05.2016"],
        ["Seoul", "سئول", "KR", "", "2016/05/17"],
        ["Pune", "پونا", "IN", "", "1395-02-28"],
    ]
    import_id = uploaded(client, xlsx_bytes(rows), "partners.xlsx")
    assert mapped(client, import_id).status_code == 302
    assert commit(client, import_id).status_code == 302
    since = {p.name_en: p.relationship_since for p in partners(app)}
    assert since == {
        "Kazan": date(2016, 5, 17),
        "Bursa": date(2010, 3, 1),
        "Lyon": date(2016, 5, 17),
        "Minsk": date(2016, 5, 17),
        "Seoul": date(2016, 5, 17),
        "Pune": date(2016, 5, 17),
    }


def test_the_dry_run_shows_each_rows_errors_and_writes_nothing(app, auth, client):
    auth.login("staff")
    rows = [
        HEAD + ["Population", "Website", "Kind"],
        ["Good", "خوب", "TR", "", "2020-01-01", "1000", "good.example.org", "city"],
        ["", "", "TR", "", "", "", "", ""],
        ["Nowhere", "", "Atlantis", "", "", "", "", ""],
        ["Baddate", "", "TR", "", "31.02.2020", "", "", ""],
        ["Badnum", "", "TR", "", "", "many", "", ""],
        ["Badkind", "", "TR", "", "", "", "", "spaceship"],
        ["Badsite", "", "TR", "", "", "", "not a site", ""],
        ["Future", "", "TR", "", "2999-01-01", "", "", ""],
    ]
    import_id = uploaded(client, csv_bytes(rows))
    mapped(client, import_id)
    page = text_of(client.get(f"/imports/{import_id}/preview"))
    errors = {
        3: "Enter the name in English or in Persian.",
        4: "Unknown country",
        5: "This date does not exist in the calendar.",
        6: "Write a whole number.",
        7: "Choose one of: city, organization, company, group.",
        8: "Enter a web address",
        9: "This date is in the future.",
    }
    for number, message in errors.items():
        row = re.search(rf'<tr id="row-{number}" class="table-danger">(.*?)</tr>', page).group(1)
        assert message in row, (number, row)
    assert '<tr id="row-2">' in page
    assert partners(app) == []


def test_contacts_with_a_bad_email_or_phone_or_unknown_partner_are_errors(
    app, auth, client, make_partner
):
    kazan = make_partner(name_en="Kazan", name_fa="قازان", country="RU")
    auth.login("staff")
    rows = [
        ["Partner", "Name in Latin letters", "Email", "Phone"],
        ["قازان", "Ilsur", "ilsur@example.org", "+7 843 299 1500"],
        ["Kazan", "Bad Mail", "not-an-email", ""],
        ["Kazan", "Bad Phone", "", "12"],
        ["Atlantis", "Nobody", "", ""],
    ]
    import_id = uploaded(client, csv_bytes(rows), kind="contacts")
    mapped(client, import_id)
    page = text_of(client.get(f"/imports/{import_id}/preview"))
    assert "Enter an email address such as name@example.org." in page
    assert "phone number" in page
    assert "No partner has this name." in page
    assert '<tr id="row-2">' in page
    row = page.split('<tr id="row-2">')[1].split("</tr>")[0]  # «قازان» in the file
    assert f'Contact of <a href="/partners/{kazan.id}">Kazan</a>' in row  # the stored partner
    response = commit(client, import_id, skip_bad=True)
    assert response.status_code == 302
    with app.app_context():
        [contact] = db.session.scalars(select(Contact)).all()
        assert (contact.name_latin, contact.phone, contact.email) == (
            "Ilsur",
            "+78432991500",
            "ilsur@example.org",
        )


# --- matching, update or skip ----------------------------------------------------------------
def test_arabic_and_persian_yeh_match_and_matched_rows_are_skipped_by_default(
    app, auth, client, make_partner
):
    shiraz = make_partner(name_en="Shiraz", name_fa="شیراز", country="IR", region="")
    auth.login("staff")
    rows = [HEAD, ["", "شيراز", "IR", "Fars", ""], ["Yazd", "یزد", "IR", "", ""]]
    import_id = uploaded(client, csv_bytes(rows))
    mapped(client, import_id)
    page = text_of(client.get(f"/imports/{import_id}/preview"))
    assert f'href="/partners/{shiraz.id}"' in page
    assert commit(client, import_id).status_code == 302
    found = {p.name_en: p.region for p in partners(app)}
    assert found == {"Shiraz": "", "Yazd": ""}


def test_teheran_in_the_file_matches_tehran_in_the_same_country_only(
    app, auth, client, make_partner
):
    tehran = make_partner(name_en="Tehran", name_fa="تهران", country="IR")
    auth.login("staff")
    rows = [HEAD, ["Teheran", "", "IR", "Tehran province", ""], ["Teheran", "", "US", "", ""]]
    import_id = uploaded(client, csv_bytes(rows))
    mapped(client, import_id, on_match="update")
    page = text_of(client.get(f"/imports/{import_id}/preview"))
    row_2 = re.search(r'<tr id="row-2">(.*?)</tr>', page).group(1)
    row_3 = re.search(r'<tr id="row-3">(.*?)</tr>', page).group(1)
    assert f'href="/partners/{tehran.id}"' in row_2 and "/partners/" not in row_3
    assert commit(client, import_id, on_match="update").status_code == 302
    found = sorted((p.name_en, p.country, p.region) for p in partners(app))
    assert found == [("Teheran", "US", ""), ("Tehran", "IR", "Tehran province")]


def test_a_matched_row_is_updated_when_chosen_and_another_skipped(app, auth, client, make_partner):
    shiraz = make_partner(name_en="Shiraz", name_fa="شیراز", country="IR", region="")
    yazd = make_partner(name_en="Yazd", name_fa="یزد", country="IR", region="")
    auth.login("staff")
    rows = [HEAD, ["Shiraz", "", "IR", "Fars", ""], ["Yazd", "", "IR", "Yazd province", ""]]
    import_id = uploaded(client, csv_bytes(rows))
    mapped(client, import_id, on_match="update")
    response = commit(client, import_id, on_match="update", r3="skip")
    assert response.status_code == 302
    found = {p.id: (p.region, p.name_fa) for p in partners(app)}
    assert found == {shiraz.id: ("Fars", "شیراز"), yazd.id: ("", "یزد")}


def test_two_rows_of_one_partner_in_the_file_are_an_error(app, auth, client):
    user = auth.login("staff")
    rows = [HEAD, ["Tabriz", "", "IR", "", ""], ["tabriz", "", "IR", "", ""]]
    import_id = uploaded(client, csv_bytes(rows))
    mapped(client, import_id)
    assert "The same partner as row 2." in text_of(client.get(f"/imports/{import_id}/preview"))
    with app.app_context():
        db.session.get(User, user.id).locale = "fa"
        db.session.commit()
    assert "سطر ۲" in text_of(client.get(f"/imports/{import_id}/preview"))  # Persian digits


# --- all or nothing --------------------------------------------------------------------------
def test_a_row_with_errors_stops_the_whole_import_unless_left_out(app, auth, client):
    auth.login("staff")
    rows = [HEAD, ["Tabriz", "", "IR", "", ""], ["Nowhere", "", "Atlantis", "", ""]]
    import_id = uploaded(client, csv_bytes(rows))
    mapped(client, import_id)
    response = commit(client, import_id)
    assert response.status_code == 400
    assert "1 row has errors" in text_of(response)
    assert partners(app) == []
    assert run_of(app, import_id).status == "mapping"
    assert commit(client, import_id, skip_bad=True).status_code == 302
    assert [p.name_en for p in partners(app)] == ["Tabriz"]
    assert run_of(app, import_id).counts["left_out"] == 1


def test_a_rule_broken_while_writing_rolls_back_every_row(app, auth, client, monkeypatch):
    from crm.exceptions import RuleBroken
    from crm.imports import services

    auth.login("staff")
    rows = [HEAD, ["Tabriz", "", "IR", "", ""], ["Mashhad", "", "IR", "", ""]]
    import_id = uploaded(client, csv_bytes(rows))
    mapped(client, import_id)
    real = services.save_partner

    def failing(partner, data, flush=True):
        if data.name_en == "Mashhad":
            raise RuleBroken("The database refused it.", "name_en")
        return real(partner, data, flush)

    monkeypatch.setattr(services, "save_partner", failing)
    response = commit(client, import_id)
    assert response.status_code == 400
    assert "Row 3: The database refused it. Nothing was imported." in text_of(response)
    assert partners(app) == []
    with app.app_context():
        assert db.session.scalar(select(AuditAct.id).where(AuditAct.kind == "import")) is None


def test_an_import_is_one_audited_act(app, auth, client):
    user = auth.login("staff")
    rows = [HEAD, ["Tabriz", "", "IR", "", ""], ["Mashhad", "", "IR", "", ""]]
    import_id = uploaded(client, csv_bytes(rows))
    mapped(client, import_id)
    commit(client, import_id)
    with app.app_context():
        run = db.session.get_one(ImportRun, import_id)
        act = db.session.get_one(AuditAct, run.act_id)
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.act_id == act.id)).all()
        assert (act.kind, act.user_id) == ("import", user.id)
        assert sorted(e.object_type for e in entries) == ["partners", "partners"]


# --- undo ------------------------------------------------------------------------------------
def test_undo_archives_what_was_created_restores_what_changed_and_leaves_edited_records(
    app, auth, client, make_partner
):
    make_partner(name_en="Shiraz", name_fa="شیراز", country="IR", region="")
    yazd = make_partner(name_en="Yazd", name_fa="یزد", country="IR", region="")
    auth.login("staff")
    rows = [
        HEAD,
        ["Shiraz", "", "IR", "Fars", ""],
        ["Yazd", "", "IR", "Yazd province", ""],
        ["Tabriz", "", "IR", "", ""],
        ["Ardabil", "", "IR", "", ""],
    ]
    import_id = uploaded(client, csv_bytes(rows))
    mapped(client, import_id, on_match="update")
    commit(client, import_id, on_match="update")
    created = {p.name_en: p.id for p in partners(app)}
    # edited since: Yazd changed again, Ardabil (created) changed by hand
    from crm.partners.services import save_partner
    from crm.permissions import acting_as

    with app.test_request_context():
        from crm.auth.models import User
        from crm.imports.preview import partner_data

        editor = db.session.get(User, auth.user.id)
        with acting_as(editor):
            for pid in (yazd.id, created["Ardabil"]):
                partner = db.session.get(Partner, pid)
                data = partner_data(partner)
                data.summary = "Edited by hand"
                save_partner(partner, data)
        db.session.commit()
    response = client.post(f"/imports/{import_id}/undo")
    assert response.status_code == 302
    page = text_of(client.get(f"/imports/{import_id}"))
    assert "Edited since the import, left as they are" in page
    found = {p.name_en: (p.region, p.archived, p.summary) for p in partners(app)}
    assert found == {
        "Shiraz": ("", False, ""),  # restored
        "Yazd": ("Yazd province", False, "Edited by hand"),  # left
        "Tabriz": ("", True, ""),  # archived
        "Ardabil": ("", False, "Edited by hand"),  # left
    }
    run = run_of(app, import_id)
    assert run.status == "undone"
    assert sorted(item["row"] for item in run.kept) == [3, 5]
    with app.app_context():
        act = db.session.get_one(AuditAct, run.undo_act_id)
        assert act.kind == "import_undo"
    assert client.post(f"/imports/{import_id}/undo").status_code == 302  # says it cannot


# --- mapping, permissions, template ----------------------------------------------------------
def test_the_last_mapping_is_remembered_per_user_and_kind(app, auth, client):
    auth.login("staff")
    rows = [["Stadt", "Land"], ["Köln", "DE"]]
    import_id = uploaded(client, csv_bytes(rows))
    assert run_of(app, import_id).mapping == [None, None]  # German headings: not known
    mapped(client, import_id, mapping=["name_en", "country"])
    again = uploaded(client, csv_bytes([["Land", "stadt"], ["FR", "Lyon"]]))
    assert run_of(app, again).mapping == ["country", "name_en"]
    contacts = uploaded(client, csv_bytes(rows), kind="contacts")
    assert run_of(app, contacts).mapping == [None, None]


def test_a_viewer_may_not_import(app, auth, client):
    auth.login("viewer")
    assert client.get("/imports").status_code == 403
    assert upload(client, csv_bytes([["Name in English"], ["Kazan"]])).status_code == 403
    assert partners(app) == []


def test_another_users_import_does_not_exist_for_staff(app, auth, client):
    auth.login("staff")
    import_id = uploaded(client, csv_bytes([["Name in English"], ["Kazan"]]))
    auth.logout()
    auth.login("staff")
    assert client.get(f"/imports/{import_id}").status_code == 404
    assert client.get(f"/imports/{import_id}/preview").status_code == 404


@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("kind", ["partners", "contacts"])
def test_the_template_in_each_language_is_mapped_whole_when_uploaded(
    app, auth, client, language, kind
):
    from openpyxl import load_workbook

    from crm.imports.fields import FIELDS

    auth.login("staff")
    response = client.get(f"/imports/template/{kind}.xlsx?lang={language}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert bool(sheet.sheet_view.rightToLeft) == (language == "fa")
    import_id = uploaded(client, response.data, "template.xlsx", kind=kind)
    assert run_of(app, import_id).mapping == [f.key for f in FIELDS[kind]]


@pytest.mark.browser
def test_in_a_browser_in_persian_a_file_is_uploaded_mapped_previewed_committed_and_undone(
    app, live_server, page, make_user, make_partner, tmp_path
):
    from tests.conftest import sign_in

    shiraz = make_partner(name_en="Shiraz", name_fa="شیراز", country="IR", region="")
    path = tmp_path / "شهرها.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["نام فارسی", "نام انگلیسی", "کشور", "شهر", "تاریخ شروع"],
                ["شيراز", "", "ایران", "فارس", "۱۳۹۵/۰۲/۲۸"],
                ["یزد", "Yazd", "IR", "", "17.05.2016"],
            ],
            bom=True,
        )
    )
    sign_in(page, live_server, make_user("staff", locale="fa").email)
    page.goto(f"{live_server}/imports")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.set_input_files("#file", str(path))
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/imports/\d+/map$"))
    assert page.locator("#column-0").input_value() == "name_fa"
    assert page.locator("#column-3").input_value() == "region"
    page.select_option("#on_match", "update")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/imports/\d+/preview$"))
    assert page.locator(f'#row-2 a[href="/partners/{shiraz.id}"]').count() == 1
    assert page.locator("#choice-2").input_value() == "update"
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/imports/\d+$"))
    found = {p.name_fa: (p.region, str(p.relationship_since)) for p in partners(app)}
    assert found == {"شیراز": ("فارس", "2016-05-17"), "یزد": ("", "2016-05-17")}
    page.locator("main form[action$='/undo'] button").click()
    page.wait_for_url(re.compile(r".*/imports/\d+$"))
    found = {p.name_fa: (p.region, p.archived) for p in partners(app)}
    assert found == {"شیراز": ("", False), "یزد": ("", True)}


# --- what an import wrote, listed ------------------------------------------------------------
def test_what_an_import_wrote_is_listed_by_name_a_page_at_a_time(app, auth, client, monkeypatch):
    app.config["CRM_PAGE_SIZE"] = 2
    auth.login("staff", locale="fa")
    towns = [["Shiraz", "شیراز", "IR", "", ""], ["Kazan", "قازان", "RU", "", ""]]
    data = csv_bytes([HEAD, *towns, ["Lyon", "لیون", "FR", "", ""]])
    import_id = uploaded(client, data)
    mapped(client, import_id)
    assert commit(client, import_id).status_code == 302
    ids = {p.name_en: p.id for p in partners(app)}
    first = text_of(client.get(f"/imports/{import_id}"))
    assert f'<a href="/partners/{ids["Shiraz"]}">شیراز</a>' in first  # in the reader's language
    assert f'<a href="/partners/{ids["Kazan"]}">قازان</a>' in first and "لیون" not in first
    assert "#" + str(ids["Shiraz"]) not in re.sub(r"<[^>]*>", " ", first), first[-3000:]
    assert 'href="/imports/' + str(import_id) + '?page=2"' in first
    second = text_of(client.get(f"/imports/{import_id}?page=2"))
    assert f'<a href="/partners/{ids["Lyon"]}">لیون</a>' in second and "شیراز" not in second
    index = text_of(client.get("/imports"))
    assert f'<a href="/imports/{import_id}">partners.csv</a>' in index
    assert "<td>۳</td>" in index  # its rows, counted without reading them


def test_a_record_the_reader_may_not_see_is_neither_named_nor_linked(
    app, auth, client, monkeypatch
):
    from dataclasses import replace

    from crm import permissions

    auth.login("staff", locale="en")
    data = csv_bytes([HEAD, ["Shiraz", "شیراز", "IR", "", ""], ["Kazan", "قازان", "RU", "", ""]])
    import_id = uploaded(client, data)
    mapped(client, import_id)
    commit(client, import_id)
    hidden = {p.name_en: p.id for p in partners(app)}["Kazan"]
    policy = permissions._policies[Partner]
    monkeypatch.setitem(
        permissions._policies,
        Partner,
        replace(
            policy,
            sees=lambda user, record: record.id != hidden,
            where=lambda user: Partner.id != hidden,
        ),
    )
    page = text_of(client.get(f"/imports/{import_id}"))
    assert "Shiraz" in page and "Kazan" not in page and f"/partners/{hidden}" not in page
    assert "A record you may not see" in page
