"""What the lists share: a forgiving page number, whitelisted sorting, and the exports.

Each list defines its export once, as a list of ``Column``s (a translated heading and a value of
a row for a reader); ``write_csv`` streams any number of rows through them with one formatter
made for the reader, so a download costs the same few queries and little memory however long
it is; ``crm.xlsx.write_xlsx`` is the second writer over the same columns and rows.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from flask_sqlalchemy.pagination import SelectPagination
from sqlalchemy import Select, Table, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import aggregate_order_by

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
Batch = dict[str, Sequence[Any]]  # rows of an export, by column: {"id": (1, 2, …), "kind": …}


@dataclass(frozen=True)
class Column:
    """One column of an export: a translated heading, the ``field`` of the rows it shows, and
    how a reader sees its values: ``show(fmt)`` gives the function that makes one value the
    reader's (a label, a country, a list of names), worked out once per distinct value.
    Without ``show`` a value is written as ``cell`` writes it. ``dated``: a column of dates
    or instants, beside which a workbook for a Persian reader has their Jalali text."""

    heading: Any
    field: str
    show: Callable[[Formatter], Callable[[Any], Any]] | None = None
    dated: bool = False


def label_of(table: Mapping[Any, Any]) -> Callable[[Formatter], Callable[[Any], str]]:
    """``show`` for a code column: the code's label in ``table``, in the reader's language."""
    return lambda fmt: partial(fmt.label, table)


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


class Memo(dict):
    """The cells of the values met so far (``memo[value]``), each worked out once by ``make``;
    forgotten all at once past ``limit`` values, so that memory stays flat on any export."""

    def __init__(self, make: Callable[[Any], Any], limit: int = 10_000) -> None:
        super().__init__()
        self.make, self.limit = make, limit

    def __missing__(self, value: Any) -> Any:
        if len(self) >= self.limit:
            self.clear()
        made = self[value] = self.make(value)
        return made


def cells_of(column: Column, fmt: Formatter) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """The function that turns a column's values into the reader's cells, a batch at a time:
    text and whole numbers as they are (the CSV writer writes a number as ``cell`` would), and
    every other value, or one shown through ``column.show``, from a ``Memo``."""
    if column.show is not None:
        show = column.show(fmt)
        memo = Memo(lambda value: cell(show(value), fmt))
        return lambda values: list(map(memo.__getitem__, values))
    other = Memo(lambda value: cell(value, fmt))
    return lambda values: [
        value
        if (kind := type(value)) is int or (kind is str and not value.startswith(FORMULA_STARTS))
        else other[value]
        for value in values
    ]


def write_csv(columns: Sequence[Column], batches: Iterable[Batch], fmt: Formatter) -> Iterator[str]:
    """The CSV text of the rows of ``batches`` (as ``stream_rows`` gives them), a batch a
    piece: UTF-8 with a byte-order mark (so spreadsheet programs read Persian), a header row,
    then the rows, each column formatted for the reader a whole batch at once."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([fmt.translate(column.heading) for column in columns])
    converters = [(column.field, cells_of(column, fmt)) for column in columns]
    for batch in batches:
        cells = [convert(batch[field]) for field, convert in converters]
        writer.writerows(zip(*cells, strict=True))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()


def with_names(
    stmt: Select,
    label: str,
    link: Table,
    owner: str,
    target: str,
    model: Any,
    fmt: Formatter,
    order: Any = None,
) -> Select:
    """``stmt`` (a select of ``link``'s ``owner`` table) with one more column, ``label``: the
    names, in ``fmt``'s language (``name_sql``), of the ``model`` records linked to each row
    through the association table ``link``, as one cell: joined by the reader's list separator
    (as ``Formatter.list`` joins), alphabetically (code point by code point, as Python sorts)
    or by ``order``; NULL when there are none. The links come with the export's one statement
    instead of all the rows' links being read first."""
    name = model.name_sql(fmt.locale)
    separator = literal(fmt.list_separator)
    linked = select(link.c[owner].label("owner")).join(model, model.id == link.c[target])
    [owner_key] = link.c[owner].foreign_keys
    owner_id = owner_key.column  # agreements.id for agreement_parties.agreement_id
    if db.engine.dialect.name == "postgresql":
        # The links of the export's rows aggregated at once and joined: a subquery per row
        # costs PostgreSQL more on a long export.
        key = name.collate("C") if order is None else order
        ids = stmt.with_only_columns(owner_id).order_by(None)
        names = (
            linked.add_columns(
                func.string_agg(name, aggregate_order_by(separator, key)).label("names")
            )
            .where(link.c[owner].in_(ids))
            .group_by(link.c[owner])
            .subquery()
        )
        return stmt.outerjoin(names, names.c.owner == owner_id).add_columns(
            names.c.names.label(label)
        )
    # SQLite: a subquery per row (as fast as a join here), whose order the aggregate keeps: an
    # ordered subquery is never flattened into an aggregate. Text compares byte by byte, which
    # in UTF-8 is code point order.
    ordered = (
        linked.with_only_columns(name.label("name"))
        .where(link.c[owner] == owner_id)
        .correlate_except(link, model)
        .order_by(name if order is None else order)
        .subquery()
    )
    joined = select(func.group_concat(ordered.c.name, separator)).scalar_subquery()
    return stmt.add_columns(joined.label(label))


def stream_rows(stmt: Select, batch: int = 1000) -> Iterator[Batch]:
    """Every row of a Core ``stmt`` (columns, not ORM objects) from one query, fetched and
    given ``batch`` rows at a time (a server-side cursor on PostgreSQL), by column."""
    result = db.session.connection().execute(stmt.execution_options(yield_per=batch))
    try:
        fields = list(result.keys())
        for rows in result.partitions():
            yield dict(zip(fields, zip(*rows, strict=True), strict=True))
    finally:  # also when the download stops early: the server-side cursor is closed at once
        result.close()
