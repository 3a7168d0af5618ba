"""Persian-aware text: digits, search normalisation, and parsing typed dates and times.

Pure functions of their arguments: they serve forms, services, imports and jobs alike.
"""

import re
import unicodedata
from collections.abc import Iterable
from datetime import date, time
from typing import Any

import jdatetime
from babel import Locale
from flask_babel import lazy_gettext as _l

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_TO_LATIN = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, "0123456789" * 2)
_TO_PERSIAN = str.maketrans("0123456789", PERSIAN_DIGITS)


def to_latin_digits(text: str) -> str:
    return text.translate(_TO_LATIN)


def to_persian_digits(text: str) -> str:
    return text.translate(_TO_PERSIAN)


# Invisible marks that come with text copied from Persian pages: the direction marks (LRM, RLM,
# ALM), the embeddings, overrides and isolates, zero-width spaces and joiners, the BOM.
INVISIBLE = "\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
INVISIBLE += "\u2066\u2067\u2068\u2069\ufeff"
_NO_INVISIBLE = str.maketrans("", "", INVISIBLE)


def without_invisible(text: str) -> str:
    """``text`` without direction marks and other invisible characters."""
    return text.translate(_NO_INVISIBLE)


def reading_direction(text: object) -> str:
    """How a value someone typed is read when shown on its own (an HTML ``dir``): by its
    letters (``auto``: the first one decides), or left to right when it has none, as a phone
    number, a date or an amount is written in Persian too (``ltr``); so «+98 21 1234 5678»
    keeps its order on a right-to-left page."""
    return "auto" if any(ch.isalpha() for ch in str(text or "")) else "ltr"


# --- typed whole numbers and ids -----------------------------------------------------------------
# The largest value of PostgreSQL's ``integer`` (SQLite's is 64-bit): the stricter limit holds
# for every id and every whole number we store, on both databases.
DB_INT_MAX = 2_147_483_647
_THOUSANDS_MARKS = str.maketrans("", "", ",٬، \u00a0\u202f_'")


def whole_number(text: object, thousands: bool = False) -> int | None:
    """A whole number of zero or more written only with Latin, Persian or Arabic-Indic digits
    (with ``thousands``, also with the marks that group them: ``250,000``, ``۲۵۰٬۰۰۰``), or
    None. Signs, decimals and the other characters that ``str.isdigit`` takes for digits but
    ``int`` refuses (², ①) are not numbers here; neither is a number with more than 30 digits."""
    text = without_invisible(to_latin_digits(str(text))).strip()
    if thousands:
        text = text.translate(_THOUSANDS_MARKS)
    if not text or not text.isascii() or not text.isdigit() or len(text.lstrip("0")) > 30:
        return None
    return int(text)


def parse_id(value: object) -> int | None:
    """A record id as it comes in a path, a query string or a form (Persian digits too), or
    None when it cannot be one: not a whole number, zero, or beyond ``DB_INT_MAX``. What the
    database could never hold is "not found" before any query is sent."""
    if isinstance(value, bool):
        return None
    number = value if isinstance(value, int) else whole_number(value)
    return number if number is not None and 1 <= number <= DB_INT_MAX else None


def range_problem(low: str, high: str) -> Any:
    """The message for a whole number that is not one from ``low`` to ``high`` (written with
    the reader's digits, ``Formatter.number``)."""
    return _l("Enter a whole number from %(low)s to %(high)s.", low=low, high=high)


def too_long_problem(limit: str, length: str) -> Any:
    """The message for a text longer than ``limit`` characters (both numbers written with
    the reader's digits, ``Formatter.number``)."""
    return _l("Use at most %(max)s characters; this has %(length)s.", max=limit, length=length)


# --- typed dates and times -----------------------------------------------------------------------
_DATE_RE = re.compile(r"^\s*(\d{1,4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*$")
JALALI_YEARS = range(1300, 1500)  # years that can only be Jalali in a Gregorian field


class DateParseError(ValueError):
    """Raised with a translated message users can read."""


def parse_date(text: str | None, jalali: bool) -> date | None:
    """Parse a typed date; Persian and Arabic-Indic digits are accepted.

    Jalali (year/month/day) when ``jalali``, else ISO (year-month-day); invisible direction
    marks that come with pasted Persian text are ignored. An empty text is None; anything else
    that is not a real date raises DateParseError with a translated message, among them a
    Gregorian year in a Jalali date and a Jalali year (13xx, 14xx) in a Gregorian one.
    """
    text = without_invisible(to_latin_digits(text or "")).strip()
    if not text:
        return None
    match = _DATE_RE.match(text)
    if not match:
        raise DateParseError(
            _l("Enter the date as year/month/day, for example 1405/09/05.")
            if jalali
            else _l("Enter the date as year-month-day, for example 2026-11-26.")
        )
    year, month, day = (int(part) for part in match.groups())
    if jalali and year > 1700:
        raise DateParseError(_l("This looks like a Gregorian year; enter a Jalali date."))
    if not jalali and year in JALALI_YEARS:
        raise DateParseError(
            _l(
                "This looks like a Jalali (Persian calendar) year; enter a Gregorian date "
                "or switch the language to Persian."
            )
        )
    try:
        if jalali:
            return jdatetime.date(year, month, day).togregorian()
        return date(year, month, day)
    except (ValueError, OverflowError):
        raise DateParseError(_l("This date does not exist in the calendar.")) from None


def parse_time(text: str | None) -> time | None:
    """Parse a typed 24-hour time such as 14:30 or 9:05; Persian digits are accepted."""
    text = without_invisible(to_latin_digits(text or "")).strip()
    if not text:
        return None
    if re.fullmatch(r"[0-9]:[0-9]{2}", text):
        text = "0" + text  # a one-digit hour, as people type it
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise DateParseError(_l("Enter the time as hours:minutes, for example 14:30.")) from None


def is_country(code: str | None) -> bool:
    """An ISO 3166 alpha-2 code that Babel knows."""
    if not code:
        return False
    return len(code) == 2 and code.isalpha() and code.upper() in _TERRITORIES


_TERRITORIES = Locale("en").territories


# --- search normalisation ------------------------------------------------------------------------
_ARABIC_TO_PERSIAN = str.maketrans(
    {
        "ي": "ی",
        "ى": "ی",
        "ك": "ک",
        "ة": "ه",
        "ۀ": "ه",
        "ە": "ه",
        "أ": "ا",
        "إ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
    }
)
_SPACES = re.compile(r"[\s\u200c\u200d\u00a0_\-]+")  # the zero-width (non-)joiner too
_UNSEEN = str.maketrans("", "", INVISIBLE.replace("\u200c", "").replace("\u200d", ""))
_PERSIAN_GAP = re.compile(r"(?<=[\u0600-\u06ff]) (?=[\u0600-\u06ff])")


def normalize_search(text: str | None) -> str:
    """The form in which search keys are stored and queries compared.

    Arabic yeh and kaf become Persian ones (and ۀ, ة a plain ه), diacritics, tatweel and
    direction marks go, the zero-width non-joiner counts as a space, digits become Latin and
    letters lower case.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", str(text).translate(_UNSEEN))
    text = "".join(
        ch
        for ch in text
        if not unicodedata.combining(ch)
        and ch != "\u0640"  # tatweel
        and (ch.isspace() or unicodedata.category(ch) != "Cc")  # control characters
    )
    text = unicodedata.normalize("NFC", text)
    text = to_latin_digits(text).translate(_ARABIC_TO_PERSIAN).casefold()
    return _SPACES.sub(" ", text).strip()


def search_words(text: str | None) -> list[str]:
    """The normalised words of a query."""
    return normalize_search(text).split()


def search_spellings(text: str | None) -> list[list[str]]:
    """The ways a query may be found, each a list of words that must all occur: its words, and
    when it differs, the same with the spaces between Persian letters taken out. The index
    finds a word shorter than three letters only at the start of a word, so «کتاب ها» must
    also be looked up as «کتابها» to find «کتابها» (the key's joined half does the rest)."""
    text = normalize_search(text)
    joined = _PERSIAN_GAP.sub("", text)
    return [text.split()] if joined == text else [text.split(), joined.split()]


def search_key(values: Iterable[str | None]) -> str:
    """The stored search key of a record's texts (its ``search_values()``).

    The normalised text, then, when it differs, the same text with the spaces between Persian
    letters taken out. A query matches when each of its words occurs in the key, a plain
    substring test (which a trigram index can serve), and so a word written joined finds the
    same word written with a zero-width non-joiner or a space, and the other way round:
    «میروم» finds «می‌روم» and «می روم» in the joined half; «می روم» and «می‌روم» find «میروم»
    word by word; «کتابها», «کتاب‌ها» and «کتاب ها» all find each other.
    """
    text = normalize_search(" ".join(value for value in values if value))
    joined = _PERSIAN_GAP.sub("", text)
    return text if joined == text else f"{text} {joined}"


# --- alphabetical order --------------------------------------------------------------------------
PERSIAN_ALPHABET = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"
# The alphabet's letters take the code points of the same letters sorted by code point, in
# alphabet order: a permutation inside the Arabic block (ب stays, پ takes ت's place, …), so no
# other character is displaced and binary comparison of keys follows the alphabet. آ takes the
# code point of آ itself, which normalisation otherwise turns into ا: just before ا.
_ALPHABET_ORDER = str.maketrans(
    dict(zip(PERSIAN_ALPHABET, sorted(PERSIAN_ALPHABET), strict=True)) | {"\ue000": "\u0622"}
)
SORT_KEY_LENGTH = 120


def sort_key(text: str | None) -> str:
    """The stored key that sorts a name alphabetically by plain binary comparison (SQLite's
    default, PostgreSQL's ``COLLATE "C"``, Python's ``<``), the same on every database.

    Persian by the Persian alphabet (پ after ب, چ after ج, ژ after ز, گ after ک; آ just before
    ا; Arabic ي and ك, ة and ۀ as their Persian letters, hamza forms as their base letter),
    English by its letters with case and accents not deciding; the normalisation is search's
    (``normalize_search``), so a ZWNJ counts as a space and digits are Latin. Latin letters
    come before Persian ones. Cut to ``SORT_KEY_LENGTH`` characters."""
    text = normalize_search((text or "").replace("آ", "\ue000"))
    return text.translate(_ALPHABET_ORDER)[:SORT_KEY_LENGTH]
