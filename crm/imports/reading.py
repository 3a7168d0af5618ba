"""Reading an uploaded spreadsheet into a heading row and rows of cells.

XLSX through openpyxl (read-only), CSV in UTF-8 (with or without a byte-order mark) or a
Windows code page (Windows-1256 for Persian and Arabic among them), found by
charset-normalizer unless the user names it, separated by commas or semicolons (or tabs).
A cell is text, or ``["date", "YYYY-MM-DD"]`` for a spreadsheet's date cell: a date cell's
time of day is dropped, never moved through a time zone. Whatever is not such a file is a
``RuleBroken`` with a message for the reader, never an exception of the parser.
"""

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l

from crm.exceptions import RuleBroken
from crm.text import without_invisible

MAX_BYTES = 10 * 1024 * 1024  # an uploaded file
MAX_ROWS = 10_000  # rows of data in one import
MAX_COLUMNS = 60
# The encodings a user may choose (besides finding it out); the first is "find out".
ENCODINGS = {
    "": _l("Find out from the file"),
    "utf-8": _l("UTF-8 (Unicode)"),
    "cp1256": _l("Windows Arabic / Persian (Windows-1256)"),
    "cp1252": _l("Windows Western European (Windows-1252)"),
    "cp1251": _l("Windows Cyrillic (Windows-1251)"),
    "cp1254": _l("Windows Turkish (Windows-1254)"),
    "utf-16": _l("UTF-16 (Unicode)"),
}
Cell = str | list[str]


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    encoding: str = ""  # of a CSV file


def _problem(message: Any) -> RuleBroken:
    return RuleBroken(message, "file")


def read_table(data: bytes, filename: str, encoding: str = "") -> Table:
    """The table in an uploaded file: XLSX by its content (a zip with a workbook), else CSV."""
    if not data or not data.strip():
        raise _problem(_l("The file is empty."))
    if len(data) > MAX_BYTES:
        raise _problem(_l("The file is larger than %(size)s MB.", size=MAX_BYTES // (1024 * 1024)))
    if data[:4] == b"PK\x03\x04":
        table = _read_xlsx(data)
    elif filename.lower().endswith((".xlsx", ".xlsm")):
        raise _problem(_l("This is not an Excel workbook (XLSX) that can be read."))
    elif data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise _problem(_l("Old Excel files (XLS) cannot be read: save it as XLSX or CSV."))
    else:
        table = _read_csv(data, encoding)
    return _tidy(table)


def _tidy(table: Table) -> Table:
    """Headings cleaned, rows as long as the headings, empty rows and trailing columns gone;
    the limits checked."""
    headers = [without_invisible(str(h or "")).strip() for h in table.headers]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise _problem(_l("The file has no heading row: the first row must name the columns."))
    if len(headers) > MAX_COLUMNS:
        raise _problem(_l("The file has more than %(count)s columns.", count=MAX_COLUMNS))
    rows = []
    for row in table.rows:
        cells = (list(row) + [""] * len(headers))[: len(headers)]
        if any(cell for cell in cells):
            rows.append(cells)
        if len(rows) > MAX_ROWS:
            raise _problem(
                _l(
                    "The file has more than %(count)s rows; split it into smaller files.",
                    count=MAX_ROWS,
                )
            )
    if not rows:
        raise _problem(_l("The file has a heading row but no rows of data."))
    return Table(headers, rows, table.encoding)


# --- XLSX ---------------------------------------------------------------------------------------
def _cell(value: Any) -> Cell:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return ["date", value.date().isoformat()]  # the date as written; the time dropped
    if isinstance(value, date):
        return ["date", value.isoformat()]
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, IndexError):
        raise _problem(_l("This is not an Excel workbook (XLSX) that can be read.")) from None
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a broken file
        raise _problem(_l("This is not an Excel workbook (XLSX) that can be read.")) from None
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            raise _problem(_l("The file is empty."))
        rows = sheet.iter_rows(values_only=True)
        headers = [_cell(v) for v in next(rows, ())]
        found: list[list[Cell]] = []
        for row in rows:
            found.append([_cell(v) for v in row])
            if len(found) > MAX_ROWS + 1000:  # empty rows are dropped later; stop reading
                break
    except RuleBroken:
        raise
    except Exception:  # noqa: BLE001
        raise _problem(_l("This is not an Excel workbook (XLSX) that can be read.")) from None
    finally:
        book.close()
    return Table([h if isinstance(h, str) else h[1] for h in headers], found)


# --- CSV ----------------------------------------------------------------------------------------
def detect_encoding(data: bytes) -> str:
    """The encoding of a CSV file: UTF-8 when it decodes as such (a BOM or not), else what
    charset-normalizer finds most likely (Windows-1256 for Persian typed on Windows)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000], cp_isolation=["cp1256", "cp1252", "cp1251", "cp1254"]).best()
    return best.encoding if best is not None else "cp1256"


def _looks_binary(text: str) -> bool:
    sample = text[:4000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\r\n\t")
    return "\x00" in sample or controls > len(sample) // 50


def _read_csv(data: bytes, encoding: str) -> Table:
    encoding = encoding or detect_encoding(data)
    try:
        text = data.decode("utf-8-sig" if encoding == "utf-8" else encoding)
    except (UnicodeDecodeError, LookupError):
        raise _problem(
            _l(
                "The file cannot be read as %(encoding)s. Choose another encoding.",
                encoding=encoding,
            )
        ) from None
    if _looks_binary(text):
        raise _problem(_l("This file is not a spreadsheet: upload an XLSX or a CSV file."))
    lines = text.splitlines()
    delimiter = _delimiter(lines[:20])
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise _problem(
            _l("This file is not a spreadsheet: upload an XLSX or a CSV file.")
        ) from None
    if not rows:
        raise _problem(_l("The file is empty."))
    cells: list[list[Cell]] = [[cell.strip() for cell in row] for row in rows[1:]]
    return Table(rows[0], cells, encoding)


def _delimiter(lines: list[str]) -> str:
    """Comma, semicolon or tab: the one that splits the first lines into the same number of
    cells (more than one) most often, quotes respected; ties go to the one with more cells."""
    best, score = ",", (-1, 0)
    for candidate in ",;\t":
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=candidate) if row]
        except csv.Error:
            continue
        if not widths or widths[0] < 2:
            continue
        found = (sum(1 for w in widths if w == widths[0]), widths[0])
        if found > score:
            best, score = candidate, found
    return best
