"""The second writer of the list exports: XLSX over the same ``Column``s as ``write_csv``.

Where the CSV writes every value as text one way per language, a workbook keeps what a value is:
numbers are numbers and dates are dates (Excel dates with a date format, in the reader's zone),
so they sort, sum and filter in any spreadsheet program; for a Persian reader a text column with
the Jalali date stands beside each date column (``Column.dated``), since no spreadsheet program
shows a Jalali calendar. Labels, countries and yes or no are the reader's words, as in the CSV.
The header row is bold, frozen and filtered; the sheet reads right to left in Persian.

Text is always stored as text: openpyxl would take a string starting with ``=`` for a formula, so
such a cell is written as a string with the quote prefix (Excel keeps it text when edited too).

The workbook is written with openpyxl's write-only mode: rows go to a temporary file as the
batches come, so memory stays flat however long the export; the finished file is then read
back in chunks.
"""

import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from crm.formatting import Formatter
from crm.lists import Batch, Column, Memo

MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT, DATETIME_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
MAX_TEXT = 32_767  # the most characters an Excel cell holds
NOT_IN_TITLES = re.compile(r"[\[\]:*?/\\]")  # characters a sheet's name may not have
CHUNK = 64 * 1024


def text(value: str) -> str:
    """Text a workbook can hold: without the control characters XML forbids, and no longer
    than an Excel cell."""
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    return value[:MAX_TEXT]


def sheet_value(value: Any, fmt: Formatter) -> Any:
    """A value as a workbook keeps it for the reader: text, a number, a date, or an instant as
    the reader's wall clock (Excel has no time zones); yes or no as words."""
    if type(value) is str:
        return text(value)
    if value is None or isinstance(value, bool | int | float | Decimal):
        return fmt.yes_no(value) if isinstance(value, bool) else value
    if isinstance(value, datetime):
        return fmt.local(value).replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return text(str(value))


def jalali(value: Any, fmt: Formatter) -> str | None:
    """The Jalali text of a date or an instant, written as the CSV writes it."""
    if isinstance(value, datetime):
        return fmt.datetime_input(value)
    if isinstance(value, date):
        return fmt.date_input(value)
    return None if value is None else text(str(value))


def converters(column: Column, fmt: Formatter) -> list[Callable[[Sequence[Any]], list[Any]]]:
    """The functions that make a batch of the column's values into the sheet's values: one,
    or two for a date column read in Persian (the dates, then their Jalali text)."""
    plain: Callable[[Sequence[Any]], list[Any]]
    if column.show is not None:
        show = column.show(fmt)
        shown = Memo(lambda value: sheet_value(show(value), fmt))
        plain = lambda values: list(map(shown.__getitem__, values))  # noqa: E731
    else:  # whole numbers as they are, every other value worked out once
        memo = Memo(lambda value: sheet_value(value, fmt))
        plain = lambda values: [  # noqa: E731
            value if type(value) is int else memo[value] for value in values
        ]
    if not (column.dated and fmt.persian):
        return [plain]
    jalali_memo = Memo(lambda value: jalali(value, fmt))
    return [plain, lambda values: list(map(jalali_memo.__getitem__, values))]


def headings(columns: Sequence[Column], fmt: Formatter) -> list[str]:
    out = []
    for column in columns:
        heading = fmt.translate(column.heading)
        out.append(heading)
        if column.dated and fmt.persian:
            out.append(fmt.translate(_l("%(heading)s (Jalali)", heading=heading)))
    return out


def width(value: Any) -> int:
    """About how many characters wide a value shows."""
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    return 0 if value is None else len(str(value))


def cells(ws: WriteOnlyWorksheet, values: list[Any]) -> list[Any]:
    """A batch of a column's values, with the ones that need a cell of their own made so:
    text that openpyxl would take for a formula, and instants (a date and time format)."""
    for i, value in enumerate(values):
        if type(value) is str:
            if value.startswith("="):
                cell = values[i] = WriteOnlyCell(ws)
                cell.value, cell.data_type, cell.quotePrefix = value, "s", True
        elif type(value) is datetime:
            cell = values[i] = WriteOnlyCell(ws, value)
            cell.number_format = DATETIME_FORMAT
    return values


def title_of(title: Any, fmt: Formatter) -> str:
    """A sheet name in the reader's language, as Excel allows one (31 characters)."""
    name = NOT_IN_TITLES.sub(" ", text(fmt.translate(title))).strip("' ")[:31]
    return name or "Sheet"


def write_xlsx(
    columns: Sequence[Column], batches: Iterable[Batch], fmt: Formatter, title: Any = ""
) -> Iterator[bytes]:
    """The XLSX file of the rows of ``batches`` (as ``stream_rows`` gives them), in chunks:
    one sheet named ``title``, a bold, frozen, filtered header row, then the rows, each column
    made the reader's a whole batch at once. Memory stays flat: rows are written to a
    temporary file as they come."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(title_of(title, fmt))
    heads = headings(columns, fmt)
    makers = [(column.field, make) for column in columns for make in converters(column, fmt)]

    def converted(batch: Batch) -> list[list[Any]]:
        return [make(batch[field]) for field, make in makers]

    rows = iter(batches)
    first = next(rows, None)
    sheet = converted(first) if first is not None else [[] for _ in makers]
    for n, (heading, values) in enumerate(zip(heads, sheet, strict=True), start=1):
        wide = max([len(heading), *map(width, values)])
        ws.column_dimensions[get_column_letter(n)].width = min(max(wide, 6), 50) + 2
    ws.sheet_view.rightToLeft = fmt.persian
    ws.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for heading in heads:
        cell = WriteOnlyCell(ws, heading)
        cell.font, cell.data_type = bold, "s"
        header.append(cell)
    ws.append(header)
    count, batch = 0, first
    while batch is not None:
        for row in zip(*(cells(ws, values) for values in sheet), strict=True):
            ws.append(row)
            count += 1
        batch = next(rows, None)
        if batch is not None:
            sheet = converted(batch)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(heads))}{count + 1}"
    with tempfile.TemporaryFile() as file:
        workbook.save(file)
        file.seek(0)
        while chunk := file.read(CHUNK):
            yield chunk
