"""The month and week grids of the calendar page, in the reader's calendar.

In Persian a month is a Jalali month and weeks run Saturday to Friday; in English a month is a
Gregorian month and weeks run Monday to Sunday (the formatter's ``first_weekday``, as on "my
follow-ups"). Addresses name a day as an ISO date (``?date=2026-11-29``) in both languages,
so a link keeps its meaning when the reader switches language.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

import jdatetime
from babel.dates import get_day_names

from crm.calendar.entries import Entry
from crm.formatting import Formatter

VIEWS = ("month", "week")
PER_CELL = 4  # entries a month cell shows; the rest are counted and wait in the week view
# Days the calendar goes to: far enough for any agreement, near enough for every calendar.
EARLIEST, LATEST = date(1900, 3, 21), date(2200, 3, 20)


@dataclass
class Day:
    day: date
    number: str  # the day of the month in the reader's calendar and digits
    in_period: bool
    today: bool
    entries: list[Entry] = field(default_factory=list)  # the first of them in a month view
    total: int = 0  # how many entries the day has

    @property
    def more(self) -> int:
        """Entries of the day a month cell leaves for its week (it shows ``PER_CELL``)."""
        return max(self.total - PER_CELL, 0)


@dataclass
class Period:
    view: str
    anchor: date  # the day asked for
    first: date  # the first day of the month or week
    end: date  # the day after its last day
    title: str
    weekdays: list[tuple[str, str]]  # (wide, abbreviated) names, in the grid's order
    weeks: list[list[Day]]
    previous: date
    next: date
    today: date

    @property
    def grid_first(self) -> date:
        return self.weeks[0][0].day

    @property
    def grid_end(self) -> date:
        return self.weeks[-1][-1].day + timedelta(days=1)

    @property
    def entry_count(self) -> int:
        return sum(d.total for week in self.weeks for d in week if d.in_period)


def parse_day(text: str | None) -> date | None:
    """An ISO date within the calendar's reach, or None."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def week_start(reader: Formatter, day: date) -> date:
    return day - timedelta(days=(day.weekday() - reader.first_weekday) % 7)


def _day_number(reader: Formatter, day: date) -> str:
    if reader.persian:
        return reader.digits(jdatetime.date.fromgregorian(date=day, locale="fa_IR").day)
    return str(day.day)


def _weekdays(reader: Formatter) -> list[tuple[str, str]]:
    wide = get_day_names("wide", locale=reader.babel_locale)
    short = get_day_names("abbreviated", locale=reader.babel_locale)
    order = [(reader.first_weekday + i) % 7 for i in range(7)]
    return [(str(wide[i]), str(short[i])) for i in order]


def _next_month(reader: Formatter, first: date) -> date:
    # no month is longer than 31 days: 32 days on is in the next one
    return reader.month_start(first + timedelta(days=32))


def period(reader: Formatter, view: str, anchor: date) -> Period:
    """The month or the week of the reader's calendar that holds ``anchor``, laid out in weeks
    (a month's first and last weeks filled up with days of the months around it)."""
    today = reader.today()
    if view == "week":
        first = week_start(reader, anchor)
        end = first + timedelta(days=7)
        title = f"{reader.date(first)} – {reader.date(end - timedelta(days=1))}"
        previous, following = first - timedelta(days=7), end
        grid_first, grid_end = first, end
    else:
        first = reader.month_start(anchor)
        end = _next_month(reader, first)
        title = reader.month(first, long=True)
        previous, following = reader.month_start(first - timedelta(days=1)), end
        grid_first = week_start(reader, first)
        grid_end = week_start(reader, end - timedelta(days=1)) + timedelta(days=7)
    days = [
        Day(d, _day_number(reader, d), first <= d < end, d == today)
        for d in (grid_first + timedelta(days=n) for n in range((grid_end - grid_first).days))
    ]
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    return Period(
        view, anchor, first, end, title, _weekdays(reader), weeks, previous, following, today
    )


def place(grid: Period, entries: list[Entry], totals: Mapping[date, int]) -> None:
    """Put each entry on its day of the grid (entries come sorted), with the day's total."""
    by_day = {d.day: d for week in grid.weeks for d in week}
    for entry in entries:
        if entry.day in by_day:
            by_day[entry.day].entries.append(entry)
    for day, total in totals.items():
        if day in by_day:
            by_day[day].total = total
