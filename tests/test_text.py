"""Typed text: dates pasted from Persian pages, years of the other calendar, search keys."""

from datetime import date, time

import pytest

from crm.formatting import Formatter
from crm.text import DateParseError, parse_date, parse_time, reading_direction

# The direction marks of /work/shared/fixtures/persian.json: LRM, RLM, ALM, LRE..RLO, LRI..PDI.
BIDI = [
    "\u200e",  # LRM
    "\u200f",  # RLM
    "\u061c",  # ALM
    "\u202a",  # LRE
    "\u202b",  # RLE
    "\u202c",  # PDF
    "\u202d",  # LRO
    "\u202e",  # RLO
    "\u2066",  # LRI
    "\u2067",  # RLI
    "\u2068",  # FSI
    "\u2069",  # PDI
]


@pytest.mark.parametrize("mark", BIDI)
def test_pasted_dates_ignore_direction_marks(mark):
    pasted = f"{mark}۱۴۰۲{mark}/۰۱/{mark}۱۵{mark}"
    assert parse_date(pasted, jalali=True) == date(2023, 4, 4)
    assert parse_date(f"{mark}2023-04-04{mark}", jalali=False) == date(2023, 4, 4)
    assert parse_time(f"{mark}۱۴:۳۰{mark}") == time(14, 30)
    assert parse_date(mark * 3, jalali=True) is None  # only marks: nothing was typed


@pytest.mark.parametrize("text", ["1402-01-15", "1399-12-30", "1405/9/5", "۱۴۰۵-۰۹-۰۵"])
def test_a_jalali_year_in_an_english_date_gets_a_clear_message(ctx, text):
    with pytest.raises(DateParseError) as refused:
        parse_date(text, jalali=False)
    message = refused.value.args[0]
    assert "Jalali (Persian calendar) year" in Formatter("en").translate(message)
    assert "شمسی" in Formatter("fa").translate(message)


def test_gregorian_years_around_the_jalali_range_still_parse():
    assert parse_date("1299-05-01", jalali=False) == date(1299, 5, 1)
    assert parse_date("1500-05-01", jalali=False) == date(1500, 5, 1)
    assert parse_date("2026-11-26", jalali=False) == date(2026, 11, 26)


@pytest.mark.parametrize(
    "locale, typed, shown",
    [
        ("en", "1402-01-15", "This looks like a Jalali (Persian calendar) year"),
        ("fa", "\u200f۱۴۰۲/۰۱/۱۵\u200e", None),
    ],
)
def test_the_partner_form_takes_pasted_dates_and_explains_jalali_years(
    auth, client, app, locale, typed, shown
):
    from sqlalchemy import select

    from crm.extensions import db
    from crm.partners.models import Partner

    auth.login("staff", locale=locale)
    response = client.post(
        "/partners/new",
        data={
            "name_en": "Shiraz",
            "kind": "city",
            "domain": "cities",
            "relationship_type": "friendship",
            "relationship_since": typed,
        },
    )
    with app.app_context():
        saved = db.session.scalar(select(Partner.relationship_since))
    if shown:
        assert response.status_code == 400 and shown in response.get_data(as_text=True)
        assert saved is None
    else:
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        assert saved == date(2023, 4, 4)


# --- search keys -------------------------------------------------------------------------------
ZWNJ = "\u200c"
SAME_WORDS = [
    # joined, with a zero-width non-joiner, with a space: one word, three spellings
    ("میروم", f"می{ZWNJ}روم", "می روم"),  # the prefix می
    ("کتابها", f"کتاب{ZWNJ}ها", "کتاب ها"),  # the suffix ها
    ("نمیدانم", f"نمی{ZWNJ}دانم", "نمی دانم"),
    ("شهرداریها", f"شهرداری{ZWNJ}ها", "شهرداری ها"),
]


def _finds(stored: str, typed: str) -> bool:
    from crm.text import search_key, search_words

    key = search_key([stored])
    return all(word in key for word in search_words(typed))


@pytest.mark.parametrize("spellings", SAME_WORDS)
def test_a_word_written_joined_apart_or_with_zwnj_finds_every_spelling(spellings):
    for stored in spellings:
        for typed in spellings:
            assert _finds(stored, typed), (stored, typed)
            assert _finds(f"بازدید {stored} امروز", typed), (stored, typed)


@pytest.mark.parametrize(
    "stored, typed",
    [
        ("خانۀ فرهنگ", "خانه فرهنگ"),  # heh with yeh above
        ("خانه فرهنگ", "خانۀ فرهنگ"),
        ("مدرسة", "مدرسه"),  # teh marbuta
        ("کتابخانە", "کتابخانه"),  # Arabic letter AE
        ("\u200fتهران\u200e", "تهران"),  # direction marks
        ("ته\u061cران", "تهران"),  # ALM inside a word
        ("كتاب‌هاي", "کتابهای"),  # Arabic kaf and yeh, and ZWNJ
    ],
)
def test_letter_variants_and_invisible_marks_do_not_matter(stored, typed):
    assert _finds(stored, typed) and _finds(typed, stored)


def test_the_joined_form_is_added_only_where_persian_words_meet():
    from crm.text import search_key

    assert search_key(["Tehran", "تهران"]) == "tehran تهران"
    assert search_key(["New York"]) == "new york"
    assert search_key([f"می{ZWNJ}روم", None, ""]) == "می روم میروم"
    assert not _finds("Tehran Municipality", "tehranmunicipality")


# --- whole numbers and ids ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, number, id_",
    [
        ("12", 12, 12),
        ("۱۲", 12, 12),  # Persian digits
        ("١٢", 12, 12),  # Arabic-Indic digits
        (" 12\u200f", 12, 12),
        ("0", 0, None),
        ("2147483647", 2147483647, 2147483647),  # PostgreSQL's largest integer
        ("2147483648", 2147483648, None),
        ("9" * 40, None, None),
        ("²", None, None),  # str.isdigit says yes, int says no
        ("①", None, None),
        ("１２", None, None),  # full-width
        ("-1", None, None),
        ("+1", None, None),
        ("1e3", None, None),
        ("12.0", None, None),
        ("", None, None),
    ],
)
def test_whole_numbers_and_ids_are_only_what_the_database_can_hold(text, number, id_):
    from crm.text import parse_id, whole_number

    assert whole_number(text) == number
    assert parse_id(text) == id_


def test_thousands_marks_are_allowed_where_asked():
    from crm.text import whole_number

    assert whole_number("۲۵۰٬۰۰۰", thousands=True) == 250_000
    assert whole_number("250,000", thousands=True) == 250_000
    assert whole_number("250,000") is None


@pytest.mark.parametrize(
    ("value", "direction"),
    [
        ("آرش کمالی", "auto"),  # its letters decide: right to left
        ("Arash Kamali", "auto"),
        ("۱۲ خیابان آزادی", "auto"),
        ("+98 21 1234 5678", "ltr"),  # no letters: as numbers are written, in Persian too
        ("۰۹۱۲ ۳۴۵ ۶۷۸۹", "ltr"),
        ("۱۳۹۵/۰۲/۲۸", "ltr"),
        ("-5", "ltr"),
        ("", "ltr"),
        (None, "ltr"),
    ],
)
def test_a_typed_value_reads_by_its_letters_or_else_left_to_right(value, direction):
    assert reading_direction(value) == direction
