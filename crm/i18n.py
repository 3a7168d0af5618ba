"""The request's language and formatter: the web side of ``crm.formatting``.

Locale order: ``?lang=`` (for that page view when signed in, kept in the session before sign-in),
then the user's setting, then the session's, then Accept-Language, then the default. Code
outside a request (jobs, commands, PDFs) never comes here: it makes a ``Formatter`` for its
reader.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from babel import Locale
from flask import current_app, g, has_request_context, request, session
from flask_babel import force_locale, get_locale
from flask_login import current_user

from crm.formatting import Formatter, default_locale, default_zone

LANGUAGE_NAMES = {"fa": "فارسی", "en": "English"}


def select_locale() -> str | None:
    """Flask-Babel's locale selector (None outside a request: the default locale)."""
    if not has_request_context():
        return None
    supported = current_app.config["CRM_LOCALES"]
    asked = request.args.get("lang")
    signed_in = bool(current_user and current_user.is_authenticated)
    if asked in supported:
        if not signed_in:  # a signed-in user's saved setting stays as it is
            session["lang"] = asked
        return asked
    if signed_in and current_user.locale in supported:
        return current_user.locale
    if session.get("lang") in supported:
        return session["lang"]
    return request.accept_languages.best_match(supported) or default_locale()


def select_timezone() -> str:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.timezone
    return default_zone()


def locale_code() -> str:
    return str(get_locale() or default_locale())


def text_direction(code: str) -> str:
    return Locale.parse(code).text_direction


def current_formatter() -> Formatter:
    """The formatter templates and forms use: the one ``reading_as`` set, else this request's
    reader's (made once per request), else the application's default."""
    try:  # one look at ``g``: templates ask for every value they format
        formatter = g.formatter
    except AttributeError:
        formatter = None
    except RuntimeError:  # no application context
        return Formatter.default()
    if formatter is None:
        if not has_request_context():
            return Formatter.default()
        formatter = g.formatter = Formatter(locale_code(), select_timezone())
    return formatter


@contextmanager
def reading_as(formatter: Formatter) -> Iterator[Formatter]:
    """Render for another reader (an email's recipient): templates, filters and ``_()`` inside
    the block speak ``formatter``'s language and zone."""
    previous = g.get("formatter")
    g.formatter = formatter
    try:
        with force_locale(formatter.locale):
            yield formatter
    finally:
        g.formatter = previous
