"""Jinja filters and globals: the template side of the one formatting layer."""

from flask import Flask, request, url_for
from wtforms.widgets import Select

from crm import i18n
from crm.reference import DOMAINS


def url_with(**changes) -> str:
    """The current URL with some query arguments changed (None removes one)."""
    args = request.args.to_dict(flat=True)
    args.update({k: v for k, v in changes.items()})
    args = {k: v for k, v in args.items() if v not in (None, "")}
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def url_with_filters(endpoint: str) -> str:
    """``endpoint`` with the current list's query arguments, less the page number."""
    args = {k: v for k, v in request.args.items(multi=True) if k != "page"}
    return url_for(endpoint, **args)


def init_templating(app: Flask) -> None:
    app.jinja_env.filters.update(
        date=i18n.format_date,
        datetime=i18n.format_datetime,
        time=i18n.format_time,
        number=i18n.format_number,
        digits=i18n.localize_digits,
        country=i18n.country_name,
        format_list=i18n.format_list,
    )
    app.jinja_env.globals.update(
        url_with=url_with,
        url_with_filters=url_with_filters,
        list_separator=i18n.list_separator,
        DOMAINS=DOMAINS,
        LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
    )
    app.jinja_env.tests["select_field"] = lambda field: isinstance(field.widget, Select)
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def locale_context():
        code = i18n.locale_code()
        return {"locale": code, "direction": i18n.text_direction(code)}
