"""The template side of the one formatting layer and of the permission layer.

Filters format through the reader's formatter (``crm.i18n.current_formatter``): the
signed-in user's in a request, the one a job set with ``reading_as`` when it renders for a
recipient. Code tables (stages, kinds…) are template globals, each registered once by its
domain with ``register_code_tables``.
"""

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask import Flask, g, request, url_for
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup
from wtforms.widgets import Select

from crm import i18n, permissions
from crm.reference import DOMAINS
from crm.text import reading_direction


def url_with(**changes: Any) -> str:
    """The current URL with some query arguments changed (None removes one)."""
    args: dict[str, Any] = request.args.to_dict(flat=True)
    args.update({k: v for k, v in changes.items()})
    args = {k: v for k, v in args.items() if v not in (None, "")}
    return url_for(request.endpoint or "main.index", **(request.view_args or {}), **args)


def url_with_filters(endpoint: str, **values: Any) -> str:
    """``endpoint`` with the current list's query arguments, less the page number, and
    ``values`` (an export's ``file_format``)."""
    args: dict[str, Any] = {k: v for k, v in request.args.items(multi=True) if k != "page"}
    return url_for(endpoint, **{**args, **values})


_ID_SLOT = 86420975319  # stands for the id while a record's URL is built once per request


def record_url(endpoint: str, **value: Any) -> str:
    """``url_for(endpoint, activity_id=a.id)`` for the links in every row of a list: the URL
    around the id is built once per request and endpoint, and each row's id is put in (as the
    ``id`` converter writes it, ``crm.web.IdConverter``)."""
    [(name, record_id)] = value.items()
    built = g.setdefault("record_urls", {})
    around = built.get((endpoint, name))
    if around is None:
        slot: dict[str, Any] = {name: _ID_SLOT}
        head, _slot, tail = url_for(endpoint, **slot).rpartition(str(_ID_SLOT))
        around = built[endpoint, name] = (head, tail)
    return f"{around[0]}{int(record_id)}{around[1]}"


def can(action: str, target: Any) -> bool:
    """May the signed-in user do ``action`` to ``target`` (a record or a kind's name)?"""
    return permissions.can(current_user, action, target)


def register_globals(app: Flask, **values: Any) -> None:
    """Make ``values`` template globals; a name is registered once (a second, different value
    is a programming error)."""
    for name, value in values.items():
        existing = app.jinja_env.globals.get(name, value)
        if existing is not value:
            raise RuntimeError(f"template global {name!r} registered twice")
        app.jinja_env.globals[name] = value


def _fmt():
    return i18n.current_formatter()


class CodeLabels(Mapping):
    """A code table (``{code: _l(label)}``) as templates read it: ``STAGES[code]``,
    ``PARTNER_KINDS.get(code, code)``, each label in the language of the reader of this rendering.
    The reader's formatter translates the table once (``Formatter.labels``), where a lazy label
    would look its language up again in every row."""

    def __init__(self, table: Mapping[Any, object]) -> None:
        self.table = table

    def __getitem__(self, code: Any) -> str:
        return _fmt().labels(self.table)[code]

    def __iter__(self) -> Iterator[Any]:
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)


def register_code_tables(app: Flask, **tables: Mapping[Any, object]) -> None:
    """Make code tables template globals that read in the reader's language (``CodeLabels``)."""
    register_globals(app, **{name: CodeLabels(table) for name, table in tables.items()})


def forward_arrow() -> str:
    """The icon of an arrow that points the way the reader reads (from old to new, to the
    next step): left in a right-to-left language. A global, so imported macros have it too."""
    return "bi-arrow-left" if _fmt().direction == "rtl" else "bi-arrow-right"


def _for_reader(format_value: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that formats for the reader of this rendering. It takes the context, so Jinja
    never works it out once when it compiles a template (``90 | number`` would otherwise keep
    the digits of whoever's page was rendered first)."""

    @pass_context
    def apply(_context: Any, *args: Any) -> Any:
        return format_value(*args)

    return apply


def _as_jinja_gives_it(context: Any, text: str, variables: dict[str, Any]) -> str:
    """A translated text as Jinja's new-style gettext returns it: marked safe where the template
    escapes (the variables are escaped into it), and always %-formatted, which changes nothing
    in a text without ``%``."""
    if context.eval_ctx.autoescape:
        text = Markup(text)
    return text % variables if variables or "%" in text else text


@pass_context
def gettext(context: Any, string: str, /, **variables: Any) -> str:
    """``_()`` and ``gettext()`` in templates: the reader's catalogue (``Formatter.catalog``)."""
    return _as_jinja_gives_it(context, _fmt().catalog.ugettext(string), variables)


@pass_context
def ngettext(context: Any, singular: str, plural: str, count: int, /, **variables: Any) -> str:
    """``ngettext()`` in templates; ``num`` is the count unless given (formatted), as in Jinja."""
    variables.setdefault("num", count)
    text = _fmt().catalog.ungettext(singular, plural, count)
    return _as_jinja_gives_it(context, text, variables)


def init_templating(app: Flask) -> None:
    filters: dict[str, Callable[..., Any]] = {
        "date": lambda value, style="short": _fmt().date(value, style),
        "datetime": lambda value, style="short": _fmt().datetime(value, style),
        "time": lambda value: _fmt().time(value),
        "number": lambda value: _fmt().number(value),
        "digits": lambda value: _fmt().digits(value),
        "country": lambda code: _fmt().country(code),
        "format_list": lambda items: _fmt().list(items),
        "name": lambda record: _fmt().name(record),
        "other_name": lambda record: _fmt().other_name(record),
        "timezone": lambda name: _fmt().timezone(name),
        "phone": lambda number: _fmt().phone(number),
        "filesize": lambda size: _fmt().filesize(size),
    }
    app.jinja_env.filters.update({name: _for_reader(f) for name, f in filters.items()})
    app.jinja_env.filters["reading_direction"] = reading_direction
    # Flask-Babel's own template functions look up the locale and the domain for each of a
    # page's hundreds of texts; these translate in the same language from the reader's
    # catalogue (the i18n extension that Flask-Babel adds stays, for {% trans %}).
    app.jinja_env.globals.update(_=gettext, gettext=gettext, ngettext=ngettext)
    register_globals(
        app,
        url_with=url_with,
        url_with_filters=url_with_filters,
        record_url=record_url,
        can=can,
        list_separator=lambda: _fmt().list_separator,
        forward_arrow=forward_arrow,
        LANGUAGE_NAMES=i18n.LANGUAGE_NAMES,
    )
    register_code_tables(app, DOMAINS=DOMAINS)
    app.jinja_env.tests["select_field"] = lambda field: isinstance(field.widget, Select)
    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def locale_context() -> dict[str, Any]:
        fmt = _fmt()
        return {"fmt": fmt, "locale": fmt.locale, "direction": fmt.direction}
