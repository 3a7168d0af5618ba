"""The one formatting layer: dates, times, numbers, lists, labels and names for one reader.

A ``Formatter`` is made once for a reader, with that reader's locale and time zone: the
signed-in user of a request (``crm.i18n.current_formatter``), the recipient of an email, the
official who asked for a PDF (``Formatter.for_user``). It then formats any number of values
without looking anything up again: Jalali dates and Persian digits for ``fa``, Gregorian dates
for ``en``, times in the reader's zone. Nothing here reads the request.
"""

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cached_property, lru_cache
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import jdatetime
import phonenumbers
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.dates import get_timezone, get_timezone_location
from babel.numbers import format_decimal
from babel.support import NullTranslations
from flask import current_app, has_app_context
from flask_babel import force_locale, get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as ngettext

from crm.text import parse_date, sort_key, to_persian_digits

FALLBACK_LOCALE, FALLBACK_ZONE = "fa", "Asia/Tehran"
_PERSIAN_SEPARATORS = str.maketrans({",": "٬", ".": "٫"})
NOT_COUNTRIES = {"ZZ", "EU", "EZ", "UN", "QO", "XA", "XB", "XK"}


class Named(Protocol):
    def name_in(self, locale: str) -> str: ...


def default_locale() -> str:
    """The application's default language (``CRM_DEFAULT_LOCALE``), also outside a request."""
    if has_app_context():
        return str(current_app.config.get("CRM_DEFAULT_LOCALE") or FALLBACK_LOCALE)
    return FALLBACK_LOCALE


def default_zone() -> str:
    if has_app_context():
        return str(current_app.config.get("CRM_DEFAULT_TIMEZONE") or FALLBACK_ZONE)
    return FALLBACK_ZONE


def pick(locale: str, en: str | None, fa: str | None, *others: str | None) -> str:
    """The text a reader of ``locale`` reads first: Persian for ``fa``, English otherwise,
    falling back to the other one and then to ``others``."""
    first, second = (fa, en) if locale == "fa" else (en, fa)
    for text in (first, second, *others):
        if text:
            return text
    return ""


def zone_of(name: str | ZoneInfo | None) -> ZoneInfo:
    """A time zone by name; an unknown or empty name is UTC."""
    if isinstance(name, ZoneInfo):
        return name
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_to_utc(day: dt.date, at: dt.time | None, zone: dt.tzinfo) -> dt.datetime:
    """A day and wall-clock time in ``zone``, as an aware UTC datetime."""
    return dt.datetime.combine(day, at or dt.time(0, 0), tzinfo=zone).astimezone(dt.UTC)


@lru_cache(maxsize=16)
def _zone_names(locale: str, day: dt.date) -> dict[str, tuple[dt.timedelta, str]]:
    """Each time zone's offset on ``day`` and its city named in ``locale`` (Babel)."""
    names = {}
    for name in available_timezones():
        if "/" not in name or name.startswith(("Etc/", "SystemV/", "posix/", "right/")):
            continue
        try:
            city = get_timezone_location(get_timezone(name), locale=locale, return_city=True)
        except LookupError:
            continue
        noon = dt.datetime.combine(day, dt.time(12), tzinfo=zone_of(name))
        names[name] = (noon.utcoffset() or dt.timedelta(0), str(city))
    return names


@lru_cache(maxsize=8)
def _countries(locale: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(locale).territories
    codes = [
        c
        for c in names
        if isinstance(c, str) and len(c) == 2 and c.isalpha() and c not in NOT_COUNTRIES
    ]
    # Alphabetical in the locale's own rules (crm.text.sort_key): the Persian alphabet in fa.
    return tuple(sorted(((c, str(names[c])) for c in codes), key=lambda item: sort_key(item[1])))


# After every country name's key in binary order (U+FFFF is the last code point of the BMP, so
# UTF-8's EF BF BF and Python compare it after them too): no country sorts after all of them.
NO_COUNTRY_KEY = "\uffff"


@lru_cache(maxsize=8)
def _country_keys(locale: str) -> dict[str, str]:
    return {code: sort_key(name) for code, name in _countries(locale)}


def country_sort_key(code: str | None, locale: str) -> str:
    """The stored key that sorts a partner's country for a reader of ``locale``: the
    ``sort_key`` of the country's name in that language, so a list sorted by it follows the
    reader's list of countries (``Formatter.countries``); ``NO_COUNTRY_KEY`` for no country or a
    code that names none, which sort last."""
    return _country_keys(locale).get(code or "", NO_COUNTRY_KEY)


class LocalNumber:
    """A number inside a translatable message, written when the message is shown in the digits
    of whoever reads it: ``_l("Use at least %(num)s characters.", num=LocalNumber(10))``
    reads «۱۰» in Persian. Services can build such messages without knowing the reader."""

    def __init__(self, value: float) -> None:
        self.value = value

    def __str__(self) -> str:
        from crm.i18n import current_formatter  # the reader of this moment (request or job)

        return current_formatter().number(self.value)


_YES_NO = {True: _l("Yes"), False: _l("No")}


class Formatter:
    """Formats values for one reader. Cheap to use per cell: results that repeat (dates, times,
    labels) are kept, and the locale and zone are resolved once, here."""

    def __init__(self, locale: str, zone: str | ZoneInfo | None = None) -> None:
        self.locale = locale
        self.zone = zone_of(zone)
        self.persian = locale == "fa"
        self.babel_locale = Locale.parse(locale)
        self.direction: str = self.babel_locale.text_direction
        self.list_separator = "، " if self.persian else ", "
        self.first_weekday = 5 if self.persian else 0  # Saturday in Iran, Monday elsewhere
        self._territories = self.babel_locale.territories
        self._dates: dict[tuple[dt.date, str], str] = {}
        self._times: dict[tuple[int, int], str] = {}
        self._date_inputs: dict[dt.date, str] = {}
        self._labels: dict[int, dict[Any, str]] = {}

    @classmethod
    def for_user(cls, user: Any) -> "Formatter":
        """For a user record (its ``locale`` and ``timezone``)."""
        return cls(user.locale or default_locale(), user.timezone or default_zone())

    @classmethod
    def default(cls) -> "Formatter":
        """The application's default language and zone (before sign-in, in commands)."""
        return cls(default_locale(), default_zone())

    def __repr__(self) -> str:
        return f"<Formatter {self.locale} {self.zone.key}>"

    # --- text and numbers ----------------------------------------------------------------------
    def digits(self, text: object) -> str:
        text = str(text)
        return to_persian_digits(text) if self.persian else text

    def number(self, value: float | int | None) -> str:
        """Grouped digits: ``8,693,706`` in English, ``۸٬۶۹۳٬۷۰۶`` in Persian."""
        if value is None:
            return ""
        # a whole number groups by threes in both languages: Babel's answer, without its cost
        # (a page of hundreds of counts)
        whole = isinstance(value, int) and not isinstance(value, bool)
        text = f"{value:,}" if whole else format_decimal(value, locale=self.babel_locale)
        if self.persian:
            return to_persian_digits(text.translate(_PERSIAN_SEPARATORS))
        return text

    def list(self, items: Iterable[object]) -> str:
        """``Tourism, Health`` or ``گردشگری، سلامت``."""
        return self.list_separator.join(str(item) for item in items)

    @contextmanager
    def _speaking(self) -> Iterator[None]:
        """Translations in this reader's language (already so when the current context
        speaks it: a page for the signed-in user)."""
        if has_app_context() and str(get_locale()) == self.locale:
            yield
        else:
            with force_locale(self.locale):
                yield

    @cached_property
    def catalog(self) -> NullTranslations:
        """The message catalogue of the reader's language (Flask-Babel loads each one once), for
        code that translates many texts at once: templates translate every label through it,
        rather than through Flask-Babel looking up the locale and the domain for each text."""
        with self._speaking():
            return get_translations()

    def translate(self, text: object) -> str:
        """A lazy string (``_l``) in this reader's language."""
        with self._speaking():
            return str(text)

    def labels(self, table: Mapping[Any, object]) -> dict[Any, str]:
        """A code table (``{code: _l(label)}``) translated once for this reader."""
        key = id(table)
        if key not in self._labels:
            with self._speaking():
                self._labels[key] = {code: str(label) for code, label in table.items()}
        return self._labels[key]

    def label(self, table: Mapping[Any, object], code: Any) -> str:
        """The label of ``code`` in ``table``, or the code itself when unknown."""
        if code is None or code == "":
            return ""
        return self.labels(table).get(code, str(code))

    def name(self, record: Any) -> str:
        """What the reader calls a record: the Persian or English name of a partner, contact,
        area or agreement, a user's display name, an activity's subject."""
        if record is None:
            return ""
        if hasattr(record, "name_in"):
            return record.name_in(self.locale)
        for attribute in ("display_name", "subject", "title", "filename"):
            value = getattr(record, attribute, None)
            if value:
                return str(value)
        return f"#{getattr(record, 'id', '')}"

    @property
    def other_locale(self) -> str:
        """The other of the two languages every record is named in."""
        return "en" if self.persian else "fa"

    def other_name(self, record: Any) -> str:
        """The record's name in the other language, when it has a different one (shown under
        the name, for colleagues who write it the other way)."""
        if record is None or not hasattr(record, "name_in"):
            return ""
        other = record.name_in(self.other_locale)
        return "" if other == self.name(record) else other

    def pick(self, en: str | None, fa: str | None, *others: str | None) -> str:
        return pick(self.locale, en, fa, *others)

    def country(self, code: str | None) -> str:
        if not code:
            return ""
        return self._territories.get(code.upper(), code.upper())

    def countries(self) -> tuple[tuple[str, str], ...]:
        """ISO 3166 alpha-2 countries named in the reader's language, sorted by that name."""
        return _countries(self.locale)

    def offset(self, delta: dt.timedelta) -> str:
        """``UTC+03:30``, in the reader's digits."""
        minutes = int(delta.total_seconds() // 60)
        sign = "−" if minutes < 0 else "+"
        return self.digits(f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}")

    def timezone(self, name: str | None) -> str:
        """A time zone as people say it: ``Tehran (UTC+03:30)``, the city in the reader's
        language and today's offset; an unknown name as it is."""
        if not name:
            return ""
        known = _zone_names(self.locale, self.today()).get(name)
        if known is None:
            return name
        delta, city = known
        return f"{city} ({self.offset(delta)})"

    def timezones(self) -> Sequence[tuple[str, str]]:
        """Every time zone (IANA name, readable label), west to east, then by city."""
        zones = _zone_names(self.locale, self.today())
        ordered = sorted(zones.items(), key=lambda item: (item[1][0], item[1][1]))
        return [(name, f"{city} ({self.offset(delta)})") for name, (delta, city) in ordered]

    def phone(self, e164: str | None) -> str:
        """A stored E.164 number grouped for reading: ``+90 212 455 00 00``."""
        if not e164:
            return ""
        try:
            number = phonenumbers.parse(e164)
        except phonenumbers.NumberParseException:
            return e164
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

    def filesize(self, size: int | None) -> str:
        """``812 bytes``, ``12.5 KB``, ``3.4 MB``, in the reader's language and digits."""
        if size is None:
            return ""
        if size < 1024:
            message = ngettext("%(count)s byte", "%(count)s bytes", size, count=self.number(size))
            return self.translate(message)
        if size < 1024 * 1024:
            return self.translate(_l("%(size)s KB", size=self.number(round(size / 1024, 1))))
        return self.translate(_l("%(size)s MB", size=self.number(round(size / 1024 / 1024, 1))))

    # --- dates and times -----------------------------------------------------------------------
    def local(self, value: dt.datetime) -> dt.datetime:
        """An instant as the reader's wall clock."""
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(self.zone)

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.zone)

    def today(self) -> dt.date:
        """Today in the reader's zone."""
        return self.now().date()

    def to_utc(self, day: dt.date, at: dt.time | None = None) -> dt.datetime:
        """A day and wall-clock time in the reader's zone, as an aware UTC datetime."""
        return local_to_utc(day, at, self.zone)

    def week_end(self, day: dt.date) -> dt.date:
        """The last day of the reader's calendar week that holds ``day``."""
        return day + dt.timedelta(days=6 - (day.weekday() - self.first_weekday) % 7)

    def date(self, value: dt.date | dt.datetime | None, style: str = "short") -> str:
        """``1405/09/05`` or ``Nov 26, 2026``; ``style="long"`` adds the weekday."""
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            value = self.local(value).date()
        key = (value, style)
        text = self._dates.get(key)
        if text is None:
            if self.persian:
                jd = jdatetime.date.fromgregorian(date=value, locale="fa_IR")
                text = to_persian_digits(
                    jd.strftime("%A %-d %B %Y" if style == "long" else "%Y/%m/%d")
                )
            else:
                text = babel_format_date(
                    value, "full" if style == "long" else "medium", locale=self.babel_locale
                )
            self._dates[key] = text
        return text

    def month_start(self, day: dt.date) -> dt.date:
        """The first day of the month of the reader's calendar that holds ``day`` (a Jalali
        month in Persian)."""
        if not self.persian:
            return day.replace(day=1)
        jalali = jdatetime.date.fromgregorian(date=day, locale="fa_IR")
        return jalali.replace(day=1).togregorian()

    def months(self, last: dt.date, count: int) -> Sequence[tuple[dt.date, dt.date]]:
        """The ``count`` months of the reader's calendar up to the one holding ``last``, the
        oldest first: each as its first day and the first day of the next month."""
        starts = [self.month_start(last)]
        while len(starts) < count:
            starts.append(self.month_start(starts[-1] - dt.timedelta(days=1)))
        starts.reverse()
        # no month is shorter than 29 days or longer than 31: 32 days on is the next month
        return [(first, self.month_start(first + dt.timedelta(days=32))) for first in starts]

    def month(self, first: dt.date, long: bool = False) -> str:
        """A month of the reader's calendar: ``Nov 2026`` (``November 2026`` when ``long``), or
        ``آذر ۱۴۰۵`` in Persian."""
        if self.persian:
            jalali = jdatetime.date.fromgregorian(date=first, locale="fa_IR")
            return to_persian_digits(jalali.strftime("%B %Y"))
        return babel_format_date(first, "MMMM y" if long else "MMM y", locale=self.babel_locale)

    def both_calendars(self, value: dt.date | None) -> tuple[str, str]:
        """A date in the Jalali and in the Gregorian calendar, both in the reader's language
        and digits (for documents read on both sides of a partnership): ``("۱۴۰۵/۰۹/۰۵",
        "۲۶ نوامبر ۲۰۲۶")`` in Persian, ``("5 Azar 1405", "Nov 26, 2026")`` in English."""
        if value is None:
            return "", ""
        if self.persian:
            gregorian = babel_format_date(value, "medium", locale=self.babel_locale)
            return self.date(value), to_persian_digits(gregorian)
        jalali = jdatetime.date.fromgregorian(date=value, locale="en_US")
        return jalali.strftime("%-d %B %Y"), self.date(value)

    def time(self, value: dt.datetime | dt.time | None) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            value = self.local(value).time()
        key = (value.hour, value.minute)
        text = self._times.get(key)
        if text is None:
            at = dt.time(value.hour, value.minute)
            if self.persian:
                text = to_persian_digits(at.strftime("%H:%M"))
            else:
                text = babel_format_time(at, "short", locale=self.babel_locale)
            self._times[key] = text
        return text

    def datetime(self, value: dt.datetime | None, style: str = "short") -> str:
        if value is None:
            return ""
        return f"{self.date(value, style)}{self.list_separator}{self.time(value)}"

    def date_input(self, value: dt.date | None) -> str:
        """The text a date input shows for editing: Jalali ``1405/09/05`` in fa, ISO in en."""
        if value is None:
            return ""
        if not self.persian:
            return value.isoformat()
        text = self._date_inputs.get(value)
        if text is None:  # the Jalali conversion is slow, and an export repeats its dates
            # (the locale spares jdatetime a look at the process's; the digits are Latin anyway)
            jalali = jdatetime.date.fromgregorian(date=value, locale="fa_IR")
            text = f"{jalali.year}/{jalali.month:02d}/{jalali.day:02d}"
            self._date_inputs[value] = text
        return text

    def datetime_input(self, value: dt.datetime | None) -> str:
        """An instant as the reader's date (as ``date_input`` writes it) and 24-hour clock time,
        in Latin digits: ``1405/09/05 14:30`` in fa, ``2026-11-26 14:30`` in en. For data that
        is sorted and read again (exports), where every row must be written the same way."""
        if value is None:
            return ""
        local = self.local(value)
        return f"{self.date_input(local.date())} {local.strftime('%H:%M')}"

    def file_date(self, value: dt.date | None = None) -> str:
        """A date for a file name, in the reader's calendar (today in the reader's zone when
        none is given): ``1405-09-06`` in fa, ``2026-11-27`` in en."""
        return self.date_input(value or self.today()).replace("/", "-")

    def yes_no(self, value: bool | None) -> str:
        """``Yes`` or ``No`` in the reader's language; nothing for an unknown value."""
        if value is None:
            return ""
        return self.labels(_YES_NO)[bool(value)]  # translated once per reader

    def parse_date(self, text: str | None) -> dt.date | None:
        """A typed date in the reader's calendar (raises ``DateParseError``)."""
        return parse_date(text, jalali=self.persian)
