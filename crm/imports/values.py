"""Turning a row's cells into the values of a field, each with its error for the reader.

Dates: a spreadsheet's date cell as it is; typed, in Persian or Latin digits, year first
(``1405/09/05``, ``2026-11-26``, ``2026/11/26``) or day first (``26.11.2026``,
``05/09/1405``); a year from 1300 to 1499 is Jalali, another Gregorian (the rules of
``crm.text.parse_date``). Countries: the ISO code, or the name in English or Persian as Babel
writes it. Choices: the code, or its label in either language.
"""

import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import Any

from babel import Locale
from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

from crm.fields import normalize_phone
from crm.formatting import Formatter
from crm.partners.forms import normalize_website
from crm.text import (
    JALALI_YEARS,
    DateParseError,
    normalize_search,
    parse_date,
    to_latin_digits,
    whole_number,
    without_invisible,
)

_DAY_FIRST = re.compile(r"^\s*(\d{1,2})\s*[/\-.]\s*(\d{1,2})\s*[/\-.]\s*(\d{4})\s*$")
_YES = {"1", "yes", "y", "true", "x", "بله", "بلی", "آری", "اری", "درست", "✓"}
_NO = {"", "0", "no", "n", "false", "خیر", "نه", "نادرست"}
SEPARATORS = re.compile(r"[,;،؛\n]+")


class BadValue(ValueError):
    """A cell that is not a value of its field; ``message`` is for the reader."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = message


def text(cell: Any) -> str:
    """A cell as text (a date cell as its ISO date)."""
    if isinstance(cell, list):
        return str(cell[1])
    return without_invisible(str(cell or "")).strip()


def parse_import_date(cell: Any) -> date | None:
    """A date cell as it is, or a typed date in any of the forms the module names."""
    if isinstance(cell, list) and cell and cell[0] == "date":
        return date.fromisoformat(cell[1])
    value = to_latin_digits(text(cell))
    if not value:
        return None
    if match := _DAY_FIRST.match(value):
        day, month, year = match.groups()
        value = f"{year}/{month}/{day}"
    first = re.match(r"\s*(\d{1,4})", value)
    jalali = bool(first and int(first.group(1)) in JALALI_YEARS)
    try:
        return parse_date(value, jalali)
    except DateParseError as error:
        if "/" not in value and "-" not in value and "." not in value:
            raise BadValue(_l("Enter the date as 2026-11-26, 26.11.2026 or 1405/09/05.")) from None
        raise BadValue(error.args[0]) from None


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    for locale in ("en", "fa"):
        for code, name in Locale(locale).territories.items():
            if isinstance(code, str) and len(code) == 2 and code.isalpha():
                names.setdefault(normalize_search(str(name)), code)
    return names


def parse_country(cell: Any) -> str | None:
    value = text(cell)
    if not value:
        return None
    upper = value.upper()
    if (
        len(upper) == 2
        and upper.isascii()
        and upper.isalpha()
        and upper in Locale("en").territories
    ):
        return upper
    code = _country_names().get(normalize_search(value))
    if code is None:
        raise BadValue(_l("Unknown country: write its two-letter code or its name."))
    return code


_CHOICES: dict[int, dict[str, str]] = {}


def _choice_names(table: Mapping[str, Any]) -> dict[str, str]:
    """Each code of ``table`` by its code and its label in both languages (made once)."""
    if id(table) not in _CHOICES:
        names: dict[str, str] = {}
        for code, label in table.items():
            for name in (code, code.replace("_", " ")) + tuple(
                Formatter(loc).translate(label) for loc in ("en", "fa")
            ):
                names.setdefault(normalize_search(name), code)
        _CHOICES[id(table)] = names
    return _CHOICES[id(table)]


def parse_choice(cell: Any, table: Mapping[str, Any]) -> str | None:
    """The code of ``table`` that the cell names by code or label (either language)."""
    value = normalize_search(text(cell))
    if not value:
        return None
    code = _choice_names(table).get(value)
    if code is None:
        raise BadValue(_l("Choose one of: %(choices)s.", choices=", ".join(table)))
    return code


def parse_flag(cell: Any) -> bool:
    value = normalize_search(text(cell))
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise BadValue(_l("Write yes or no."))


def parse_number(cell: Any) -> int | None:
    value = text(cell)
    if not value:
        return None
    number = whole_number(value, thousands=True)
    if number is None:
        raise BadValue(_l("Write a whole number."))
    return number


def parse_email(cell: Any) -> str:
    value = text(cell)
    if not value:
        return ""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        raise BadValue(_l("Enter an email address such as name@example.org.")) from None
    return value


def parse_phone(cell: Any, region: str | None = None) -> str:
    try:
        return normalize_phone(text(cell), region)
    except ValidationError as error:
        raise BadValue(error.args[0]) from None


def parse_website(cell: Any) -> str:
    try:
        return normalize_website(text(cell))
    except ValidationError as error:
        raise BadValue(error.args[0]) from None


def split_list(cell: Any) -> list[str]:
    return [part.strip() for part in SEPARATORS.split(text(cell)) if part.strip()]
