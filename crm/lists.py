"""What the list pages share: a forgiving page number and the CSV export of their rows."""

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from datetime import date

from flask import Response, current_app, request, stream_with_context
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from crm.extensions import db
from crm.i18n import date_input_value

MAX_PAGE = 1_000_000


def paginate(stmt: Select) -> Pagination:
    """One page of ``stmt``. A page number that is not a number or is out of range never
    fails: it becomes the first or the last page."""
    per_page = current_app.config["CRM_PAGE_SIZE"]
    number = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    page = db.paginate(stmt, page=number, per_page=per_page, error_out=False)
    if page.pages and page.page > page.pages:
        page = db.paginate(stmt, page=page.pages, per_page=per_page, error_out=False)
    return page


def records(stmt: Select, batch: int = 500) -> Iterator:
    """Every row of ``stmt``, fetched ``batch`` at a time once the download starts."""
    yield from db.session.scalars(stmt.execution_options(yield_per=batch))


def cell(value) -> str:
    """A value as a spreadsheet cell: dates as the user types them (Jalali in Persian)."""
    if value is None:
        return ""
    if isinstance(value, date):
        return date_input_value(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def csv_download(name: str, columns: list[tuple[str, Callable]], rows: Iterable) -> Response:
    """``rows`` as a CSV file named ``name``-today.csv; ``columns`` pairs a translated heading
    with a function of a row. UTF-8 with a byte-order mark, so spreadsheet programs read
    Persian; streamed, so a long list costs little memory."""

    def generate():
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow([str(heading) for heading, _ in columns])
        for number, row in enumerate(rows, 1):
            writer.writerow([cell(value(row)) for _, value in columns])
            if number % 200 == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    filename = f"{name}-{date.today().isoformat()}.csv"
    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
