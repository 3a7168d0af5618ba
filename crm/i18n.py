"""Locale choice, text direction, Jalali dates, Persian digits and search normalisation.

This is the one formatting layer: templates and PDFs format dates, times and numbers through
the functions here, never by hand.
"""

import re
import unicodedata
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jdatetime
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.numbers import format_decimal
from flask import current_app, request, session
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"
_TO_LATIN = str.maketrans(PERSIAN_DIGITS + ARABIC_DIGITS, "0123456789" * 2)
_TO_PERSIAN = str.maketrans("0123456789", PERSIAN_DIGITS)
_PERSIAN_SEPARATORS = str.maketrans({",": "٬", ".": "٫"})
LANGUAGE_NAMES = {"fa": "فارسی", "en": "English"}


# --- choosing the locale -------------------------------------------------------------------------
def select_locale() -> str:
    """User setting, then ``?lang=`` (kept in the session), then Accept-Language, then default."""
    supported = current_app.config["CRM_LOCALES"]
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    asked = request.args.get("lang")
    if asked in supported:
        session["lang"] = asked
        return asked
    if session.get("lang") in supported:
        return session["lang"]
    default = current_app.config["CRM_DEFAULT_LOCALE"]
    return request.accept_languages.best_match(supported) or default


def select_timezone() -> str:
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return current_app.config["CRM_DEFAULT_TIMEZONE"]


def locale_code() -> str:
    return str(get_locale() or current_app.config["CRM_DEFAULT_LOCALE"])


def is_persian() -> bool:
    return locale_code() == "fa"


def text_direction(code: str | None = None) -> str:
    return Locale.parse(code or locale_code()).text_direction


def user_zone() -> ZoneInfo:
    try:
        return ZoneInfo(select_timezone())
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# --- digits and numbers --------------------------------------------------------------------------
def to_latin_digits(text: str) -> str:
    return text.translate(_TO_LATIN)


def localize_digits(text: object) -> str:
    text = str(text)
    return text.translate(_TO_PERSIAN) if is_persian() else text


def format_number(value: float | int | None) -> str:
    """Grouped digits: ``8,693,706`` in English, ``۸٬۶۹۳٬۷۰۶`` (Persian separators) in Persian."""
    if value is None:
        return ""
    text = format_decimal(value, locale=locale_code())
    if is_persian():
        text = text.translate(_PERSIAN_SEPARATORS)
    return localize_digits(text)


def list_separator() -> str:
    return "، " if is_persian() else ", "


def format_list(items) -> str:
    """Items separated as the language does: ``Tourism, Health`` or ``گردشگری، سلامت``."""
    return list_separator().join(str(item) for item in items)


# --- dates and times -----------------------------------------------------------------------------
def _as_local(value: datetime) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(user_zone())


def format_date(value: date | datetime | None, style: str = "short") -> str:
    """A date in the user's calendar: Jalali with Persian digits for fa, Gregorian for en.

    ``style`` is ``short`` (1405/09/05, Nov 26, 2026) or ``long`` (with the weekday).
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _as_local(value).date()
    if is_persian():
        jd = jdatetime.date.fromgregorian(date=value, locale="fa_IR")
        text = jd.strftime("%A %-d %B %Y" if style == "long" else "%Y/%m/%d")
        return localize_digits(text)
    return babel_format_date(value, "full" if style == "long" else "medium", locale="en")


def format_time(value: datetime | time | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = _as_local(value).time()
    if is_persian():
        return localize_digits(value.strftime("%H:%M"))
    return babel_format_time(value, "short", locale="en")


def format_datetime(value: datetime | None, style: str = "short") -> str:
    if value is None:
        return ""
    return (
        f"{format_date(value, style)}، {format_time(value)}"
        if is_persian()
        else f"{format_date(value, style)}, {format_time(value)}"
    )


def date_input_value(value: date | None) -> str:
    """The text a date input shows for editing: Jalali ``1405/09/05`` in fa, ISO in en."""
    if value is None:
        return ""
    if is_persian():
        return jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d")
    return value.isoformat()


_DATE_RE = re.compile(r"^\s*(\d{1,4})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*$")


class DateParseError(ValueError):
    """Raised with a translated message users can read."""


def parse_date(text: str, jalali: bool | None = None) -> date | None:
    """Parse a typed date; Persian and Arabic-Indic digits are accepted.

    Jalali (year/month/day) in Persian, ISO (year-month-day) in English. An empty text is None;
    anything else that is not a real date raises DateParseError with a translated message.
    """
    text = to_latin_digits(text or "").strip()
    if not text:
        return None
    if jalali is None:
        jalali = is_persian()
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
    try:
        if jalali:
            return jdatetime.date(year, month, day).togregorian()
        return date(year, month, day)
    except (ValueError, OverflowError):
        raise DateParseError(_l("This date does not exist in the calendar.")) from None


def parse_time(text: str) -> time | None:
    text = to_latin_digits(text or "").strip()
    if not text:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise DateParseError(_l("Enter the time as hours:minutes, for example 14:30.")) from None


def local_to_utc(day: date, at: time | None) -> datetime:
    """A date and wall-clock time in the user's zone, as an aware UTC datetime."""
    local = datetime.combine(day, at or time(0, 0), tzinfo=user_zone())
    return local.astimezone(UTC)


def country_name(code: str | None) -> str:
    if not code:
        return ""
    return Locale.parse(locale_code()).territories.get(code.upper(), code.upper())


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166 alpha-2 countries named in the user's language, sorted by that name."""
    names = Locale.parse(locale_code()).territories
    codes = [
        code
        for code in names
        if len(code) == 2
        and code.isalpha()
        and code not in {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB", "XK"}
    ]
    return sorted(((c, names[c]) for c in codes), key=lambda item: item[1])


def is_country(code: str) -> bool:
    return code.upper() in Locale("en").territories and len(code) == 2 and code.isalpha()


# --- search normalisation ------------------------------------------------------------------------
_ARABIC_TO_PERSIAN = str.maketrans(
    {"ي": "ی", "ى": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا", "ٱ": "ا", "ؤ": "و"}
)
_SPACES = re.compile(r"[\s\u200c\u200d\u200e\u200f\u00a0_\-]+")


def normalize_search(text: str | None) -> str:
    """The form in which search keys are stored and queries compared.

    Arabic yeh and kaf become Persian ones, diacritics and tatweel go, the zero-width non-joiner
    counts as a space, digits become Latin and letters lower case.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", str(text))
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
