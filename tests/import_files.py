"""Spreadsheets for the import tests and the benchmark, made in memory."""

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook


def csv_bytes(rows: Iterable[Sequence[Any]], encoding="utf-8", delimiter=",", bom=False) -> bytes:
    text = "\r\n".join(delimiter.join(str(cell) for cell in row) for row in rows) + "\r\n"
    data = text.encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: Iterable[Sequence[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
