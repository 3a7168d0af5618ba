"""What the lists share: a forgiving page number, whitelisted sorting, and the exports.

Each list defines its export once, as a list of ``Column``s (a translated heading and a value of
a row for a reader); ``write_csv`` streams any number of rows through them with one formatter
made for the reader, so a download costs the same few queries and little memory however long
it is (XLSX will be a second writer over the same columns).
"""

import csv
import io
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Select, Table, func, literal_column, select

from crm.extensions import db
from crm.formatting import Formatter

MAX_PAGE = 1_000_000


COUNT_CAP = 10_000
# A list with a search term counts its matches this far: each is checked against its row.
SEARCH_COUNT_CAP = 1_000


class CappedPagination(SelectPagination):
    """A page whose count stops at a cap (``COUNT_CAP`` rows, ``SEARCH_COUNT_CAP`` for a list
    with a search term; or the end of the page asked for, when that is further), so counting
    costs the same at any size. When more rows match, ``capped`` is true, ``total`` is the
    number counted ("more than …" on the page), the last page linked is the last one counted
    and "next" stays open.

    The count comes first, and its answer picks the plan of the page: a list with a search
    term gives, as ``many``, the same rows in the same order planned for many matches (walking
    the index of its order, ``crm.search.index_match``), used when the count reaches the cap;
    for fewer matches, sorting them all is the faster plan."""

    capped = False

    def _query_items(self) -> list[Any]:
        self._counted = self._capped_count()
        many = self._query_args.get("many")
        if self.capped and many is not None:
            self._query_args["select"] = many
        return super()._query_items()

    def _query_count(self) -> int:
        return self._counted

    def _capped_count(self) -> int:
        base = SEARCH_COUNT_CAP if "many" in self._query_args else COUNT_CAP
        cap = max(base, self.page * self.per_page)
        stmt = self._query_args["select"].order_by(None)
        # a bare 1 per row: the database counts from its indexes, reading no row's columns
        stmt = stmt.with_only_columns(literal_column("1"), maintain_column_froms=True)
        window = stmt.limit(cap + 1).subquery()
        count = self._query_args["session"].scalar(select(func.count()).select_from(window))
        self.capped = count > cap
        return min(count, cap)

    @property
    def has_next(self) -> bool:
        return self.capped or super().has_next


def paginate(
    stmt: Select, page: int | None, per_page: int, many: Select | None = None
) -> CappedPagination:
    """One page of ``stmt``, counted up to a cap. A page number that is missing or out of
    range never fails: it becomes the first or the last page. ``many``: for a list with a
    search term, the same statement planned for many matches (see ``CappedPagination``)."""
    number = min(max(page or 1, 1), MAX_PAGE)
    plans: dict[str, Any] = {} if many is None else {"many": many}

    def one(number: int) -> CappedPagination:
        return CappedPagination(
            select=stmt,
            session=db.session,
            page=number,
            per_page=per_page,
            error_out=False,
            **plans,
        )

    result = one(number)
    if result.pages and result.page > result.pages and not result.capped:
        result = one(result.pages)
    return result


def clean_sort(sort: str | None, allowed: Iterable[str], default: str) -> str:
    """``sort`` (``name`` or ``-name``) when its key is allowed, else ``default``."""
    return sort if sort and sort.lstrip("-") in allowed else default


def sorted_by(stmt: Select, sort: str, columns: dict[str, Any], default: str, *ties: Any) -> Select:
    """Order by a whitelisted sort key of ``columns``, then by ``ties`` in the same direction
    (an index on them all serves either); unknown keys use ``default``."""
    sort = clean_sort(sort, columns, default)
    column = columns[sort.lstrip("-")]
    if sort.startswith("-"):
        return stmt.order_by(column.desc(), *(tie.desc() for tie in ties))
    return stmt.order_by(column.asc(), *(tie.asc() for tie in ties))


# --- exports -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One column of an export: a translated heading and the value of a row for a reader."""

    heading: Any
    value: Callable[[Any, Formatter], Any]


# What a spreadsheet program takes for the start of a formula (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any, fmt: Formatter) -> str:
    """A value as a spreadsheet cell, written one way per language so that columns sort and
    sum: dates in the reader's calendar (``1405/09/05`` in Persian, ``2026-11-26`` in English),
    times in the reader's zone on a 24-hour clock, numbers in plain Latin digits, yes or no as
    words. Text that a spreadsheet would run as a formula starts with an apostrophe, which
    makes it text: ``'=HYPERLINK(…)``, ``'+98 21 …``."""
    if type(value) is str:  # the most common cell first
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return fmt.yes_no(value)
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, datetime):
        return fmt.datetime_input(value)
    if isinstance(value, date):
        return fmt.date_input(value)
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(columns: Sequence[Column], rows: Iterable[Any], fmt: Formatter) -> Iterator[str]:
    """The CSV text of ``rows``, in pieces: UTF-8 with a byte-order mark (so spreadsheet
    programs read Persian), a header row, then a few hundred rows a piece."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([fmt.translate(column.heading) for column in columns])
    values = [column.value for column in columns]
    for number, row in enumerate(rows, 1):
        writer.writerow([cell(value(row, fmt), fmt) for value in values])
        if number % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def links(table: Table, owner: str, target: str, owners: Select) -> dict[int, list[int]]:
    """The ids linked to each of ``owners`` (a select of ids) in an association ``table``,
    in one query: the parties of many agreements, the areas of many partners."""
    found: dict[int, list[int]] = {}
    stmt = select(table.c[owner], table.c[target]).where(table.c[owner].in_(owners))
    for owner_id, target_id in db.session.execute(stmt.order_by(table.c[target])):
        found.setdefault(owner_id, []).append(target_id)
    return found


def linked_names(found: dict[int, list[int]], names: dict[int, str]) -> Callable[[Any], list[str]]:
    """For a row, the names of the ids ``links`` found for it, in the order of ``names``; each
    combination of ids is worked out once per export."""
    order = {i: position for position, i in enumerate(names)}
    memo: dict[tuple[int, ...], list[str]] = {}

    def of(row: Any) -> list[str]:
        ids = tuple(found.get(row.id, ()))
        result = memo.get(ids)
        if result is None:
            known = sorted((i for i in ids if i in order), key=order.__getitem__)
            result = memo[ids] = [names[i] for i in known]
        return result

    return of


def with_fields(rows: Iterable[Any], **computed: Callable[[Any], Any]) -> Iterator[Any]:
    """Each of ``rows`` (Core rows) with more fields computed from it, as a light named tuple:
    an export reads the parties or the areas of a row as it reads the row's own columns."""
    shape: Any = None
    for row in rows:
        if shape is None:
            shape = namedtuple("ExportRow", [*row._fields, *computed])  # type: ignore[misc,no-redef]
        yield shape(*row, *(compute(row) for compute in computed.values()))


def stream_rows(stmt: Select, batch: int = 1000) -> Iterator[Any]:
    """Every row of a Core ``stmt`` (columns, not ORM objects) from one query, fetched
    ``batch`` at a time (a server-side cursor on PostgreSQL)."""
    result = db.session.execute(stmt.execution_options(stream_results=True, yield_per=batch))
    yield from result
