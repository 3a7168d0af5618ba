"""What the views share: the id converter of paths, the reader's formatter, pages of a list,
CSV and XLSX downloads, safe redirects, and a service's rule messages shown on the form they
belong to."""

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Response, current_app, flash, request, stream_with_context
from flask_wtf import FlaskForm
from sqlalchemy import Select
from werkzeug.routing import BaseConverter, ValidationError

from crm import records
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.fields import form_values
from crm.formatting import Formatter
from crm.i18n import current_formatter
from crm.lists import CappedPagination, Column, paginate, write_csv
from crm.text import parse_id, whole_number
from crm.xlsx import MIMETYPE as XLSX
from crm.xlsx import write_xlsx

D = TypeVar("D")
R = TypeVar("R")


class IdConverter(BaseConverter):
    """``<id:partner_id>``: the one converter of record ids in paths (registered as ``id`` in
    ``create_app``). A path whose id could not be a record's (beyond the database's integer,
    ², ①) matches no route, so it is a 404 before any query is sent."""

    regex = r"[^/]+"
    weight = 50  # as werkzeug's own number converters: a literal path segment wins

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        return str(int(value))


def fmt() -> Formatter:
    """The formatter of the signed-in reader."""
    return current_formatter()


def page_of(
    stmt: Select, load: Callable[[list], list] | None = None, many: Select | None = None
) -> CappedPagination:
    """The page of ``stmt`` that ``?page=`` asks for (bad numbers give the first or last).
    With ``load``, ``stmt`` selects ids and the page's items are ``load(ids)``: a list sorts
    bare ids from an index and loads the relations of one page only. ``many``: a list with a
    search term gives its statement planned for many matches (``crm.lists.CappedPagination``)."""
    page = whole_number(request.args.get("page", ""))
    result = paginate(stmt, page, current_app.config["CRM_PAGE_SIZE"], many)
    if load is not None:
        result.items = load(list(result.items))
    return result


def export_download(
    name: str,
    columns: Sequence[Column],
    rows: Callable[[], Iterable[Any]],
    kind: str = "csv",
    title: Any = "",
) -> Response:
    """The rows that ``rows()`` gives, streamed as ``name``-today.csv (or .xlsx, by ``kind``;
    ``title`` names the sheet) for the signed-in reader, today being the reader's day in the
    reader's calendar (``activities-1405-09-06.csv`` in Persian). Both writers take the same
    columns and rows. ``rows`` is called once the download starts: by then the request's
    database session is a fresh one."""
    reader = fmt()
    filename = f"{name}-{reader.file_date()}.{kind}"

    def generate() -> Iterator[Any]:
        if kind == "xlsx":
            yield from write_xlsx(columns, rows(), reader, title)
        else:
            yield from write_csv(columns, rows(), reader)

    return Response(
        stream_with_context(generate()),
        mimetype=XLSX if kind == "xlsx" else "text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def csv_download(
    name: str, columns: Sequence[Column], rows: Callable[[], Iterable[Any]]
) -> Response:
    """``export_download`` as CSV only (for a list that offers no workbook yet; every list
    here serves both through ``export_download``)."""
    return export_download(name, columns, rows)


def safe_next(target: str | None, default: str) -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirects)."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not urlsplit(target).netloc
    ):
        return target
    return default


def show_errors(form: FlaskForm, error: RuleBroken) -> None:
    """Put a service's messages on the fields they name; a message naming no field of the
    form is flashed."""
    for name, message in error.errors.items():
        if name and name in form:
            form[name].errors = [*form[name].errors, str(message)]
        else:
            flash(str(message), "danger")


def submit(
    form: FlaskForm,
    data_class: type[D],
    save: Callable[[D], R],
    problems: Callable[[D], dict] | None = None,
    **extra: Any,
) -> R | None:
    """Validate a submitted form and save its values (a ``…Data``) through a service.

    Returns what ``save`` returned, or None when the form was not submitted or nothing was
    saved: then every message is on its field, the form's own (a date that does not parse) and
    the service's rules, which ``problems`` checks even when the form has errors, so the user
    sees them all at once.
    """
    if not form.is_submitted():
        return None
    valid = form.validate()
    data = form_values(form, data_class, **extra)
    if not valid:
        for name, message in (problems(data) if problems else {}).items():
            if name in form and not form[name].errors:
                form[name].errors = [*form[name].errors, str(message)]
        return None
    try:
        return save(data)
    except RuleBroken as error:
        db.session.rollback()
        show_errors(form, error)
        return None


def archive_or_restore(record: Any, archive: bool, message: str) -> None:
    """Archive (or restore) ``record`` as the signed-in user, commit and say ``message``;
    nothing happens when it already was."""
    if records.archive(record) if archive else records.restore(record):
        db.session.commit()
        flash(message, "success")
