"""Locale choice, text direction, the formatter (Jalali dates, Persian digits, zones) and search
normalisation. The formatter's tests run in a plain application context: no request."""

from datetime import UTC, date, datetime, time

import pytest

from crm.formatting import Formatter
from crm.text import DateParseError, normalize_search


@pytest.fixture
def fa(app):
    with app.app_context():
        yield Formatter("fa", "Asia/Tehran")


@pytest.fixture
def en(app):
    with app.app_context():
        yield Formatter("en", "Asia/Tehran")


def test_jalali_date_parsed_from_persian_digits(fa):
    assert fa.parse_date("۱۴۰۲/۰۱/۱۵") == date(2023, 4, 4)
    assert fa.parse_date("1402-1-15") == date(2023, 4, 4)
    assert fa.parse_date("١٤٠٢/٠١/١٥") == date(2023, 4, 4)  # Arabic-Indic digits


def test_impossible_jalali_date_is_refused_with_a_message(fa):
    with pytest.raises(DateParseError) as refused:
        fa.parse_date("1402/12/30")  # 1402 is not a leap year
    assert "چنین تاریخی در تقویم وجود ندارد" in fa.translate(refused.value.args[0])
    assert fa.parse_date("1403/12/30") == date(2025, 3, 20)  # 1403 is


def test_gregorian_year_typed_in_persian_gets_a_hint(fa):
    with pytest.raises(DateParseError) as refused:
        fa.parse_date("2024/01/01")
    assert "میلادی" in fa.translate(refused.value.args[0])


def test_english_dates_are_iso(en):
    assert en.parse_date("2026-11-26") == date(2026, 11, 26)
    with pytest.raises(DateParseError, match="does not exist"):
        en.parse_date("2026-02-30")
    with pytest.raises(DateParseError, match="year-month-day"):
        en.parse_date("26 Nov")
    assert en.parse_date("  ") is None


def test_dates_shown_in_jalali_with_persian_digits(fa):
    assert fa.date(date(2026, 11, 26)) == "۱۴۰۵/۰۹/۰۵"
    assert fa.date(date(2026, 11, 26), "long").endswith("۵ آذر ۱۴۰۵")
    assert fa.date_input(date(2026, 11, 26)) == "1405/09/05"


def test_dates_shown_in_gregorian_in_english(en):
    assert en.date(date(2026, 11, 26)) == "Nov 26, 2026"


def test_datetimes_shown_in_the_readers_time_zone(fa):
    # 20:45 UTC is 00:15 the next day in Tehran (UTC+3:30)
    moment = datetime(2026, 11, 25, 20, 45, tzinfo=UTC)
    assert fa.date(moment) == "۱۴۰۵/۰۹/۰۵"
    assert fa.time(moment) == "۰۰:۱۵"
    assert fa.datetime(moment) == "۱۴۰۵/۰۹/۰۵، ۰۰:۱۵"
    berlin = Formatter("en", "Europe/Berlin")
    assert berlin.datetime(moment) == "Nov 25, 2026, 9:45\u202fPM"


def test_local_input_is_stored_as_utc(fa):
    assert fa.to_utc(date(2026, 12, 1), time(10, 30)) == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_numbers_use_persian_digits_in_persian(fa):
    assert fa.number(8_693_706) == "۸٬۶۹۳٬۷۰۶"
    assert fa.number(2.5) == "۲٫۵"
    assert fa.list(["گردشگری", "سلامت"]) == "گردشگری، سلامت"


def test_numbers_use_latin_digits_in_english(en):
    assert en.number(8_693_706) == "8,693,706"
    assert en.list(["Tourism", "Health"]) == "Tourism, Health"


def test_country_names_follow_the_language(fa):
    assert fa.country("TR") == "ترکیه"
    codes = [code for code, _ in fa.countries()]
    assert "IR" in codes and "ZZ" not in codes and len(codes) > 240


def test_country_names_in_english(en):
    assert en.country("tr") in ("Türkiye", "Turkey")


def test_labels_are_translated_for_the_reader_outside_a_request(fa, en):
    from crm.agreements.models import STAGES

    assert fa.label(STAGES, "negotiation") == "مذاکره"
    assert en.label(STAGES, "negotiation") == "Negotiation"
    assert fa.label(STAGES, "no-such-stage") == "no-such-stage"


@pytest.mark.parametrize(
    "stored, typed",
    [
        ("کیش", "كيش"),  # Arabic kaf and yeh
        ("تهران", "تَهران"),  # a diacritic
        ("می‌دان", "می دان"),  # zero-width non-joiner against a space
        ("شهرداری تهران", "شهرداري  تهران"),  # double space, Arabic yeh
        ("Metropolis", "METROPOLIS"),
        ("İstanbul", "istanbul"),
        ("۱۴۰۵", "1405"),
    ],
)
def test_search_normalisation_makes_variants_equal(stored, typed):
    assert normalize_search(typed) in normalize_search(stored)


def test_html_lang_and_direction_follow_the_locale(client):
    assert '<html lang="fa" dir="rtl">' in client.get("/login?lang=fa").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in client.get("/login?lang=en").get_data(as_text=True)


def test_locale_order_setting_then_query_then_header_then_default(client, auth, app):
    # Accept-Language is used when nothing else is set
    html = client.get("/login", headers={"Accept-Language": "fa-IR,fa;q=0.9"}).get_data(
        as_text=True
    )
    assert 'lang="fa"' in html
    # ?lang= beats the header and is remembered in the session
    client.get("/login?lang=en", headers={"Accept-Language": "fa"})
    assert 'lang="en"' in client.get("/login", headers={"Accept-Language": "fa"}).get_data(
        as_text=True
    )
    # the user's own setting beats both
    auth.login("viewer", locale="fa")
    assert 'lang="fa"' in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_lang_in_the_address_shows_one_page_in_that_language_when_signed_in(client, auth, app):
    from crm.auth.models import User
    from crm.extensions import db

    user = auth.login("staff", locale="fa")
    english = client.get("/partners/?lang=en").get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in english and "Partners" in english
    assert '<html lang="fa" dir="rtl">' in client.get("/partners/").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(User, user.id).locale == "fa"  # the saved setting is unchanged


def test_default_locale_when_nothing_is_asked(client, app):
    app.config["CRM_DEFAULT_LOCALE"] = "fa"
    assert 'lang="fa"' in client.get("/login").get_data(as_text=True)


def test_persian_pages_load_the_rtl_bootstrap_and_the_persian_font(client):
    html = client.get("/login?lang=fa").get_data(as_text=True)
    assert "bootstrap.rtl.min.css" in html and "Vazirmatn" in html
    assert "bootstrap.rtl.min.css" not in client.get("/login?lang=en").get_data(as_text=True)
