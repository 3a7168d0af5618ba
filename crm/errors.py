"""Translated error pages; nothing answers with a bare 500."""

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from crm.extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please try again.")),
    403: (
        _l("Not allowed"),
        _l("Your role does not allow this. Ask an administrator if you need access."),
    ),
    404: (_l("Not found"), _l("This page or record does not exist, or it has been archived.")),
    405: (_l("Not allowed"), _l("This action is not available here.")),
    413: (_l("File too large"), _l("The file is larger than the allowed size.")),
    429: (
        _l("Too many attempts"),
        _l("Too many attempts. Please wait a few minutes and try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l(
            "An unexpected error occurred. Nothing was saved. "
            "Please try again; if it happens again, tell an "
            "administrator."
        ),
    ),
}


def render_error(code: int, message: str | None = None):
    title, default = MESSAGES.get(code, MESSAGES[500])
    return render_template(
        "errors/error.html", code=code, title=title, message=message or default
    ), code


def init_errors(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(
            400,
            str(
                _l(
                    "The form expired or was sent from elsewhere. Go back, "
                    "reload the page and send it again."
                )
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code in MESSAGES:
            return render_error(error.code)
        return error

    @app.errorhandler(InternalServerError)
    @app.errorhandler(Exception)
    def server_error(error):
        if isinstance(error, HTTPException) and not isinstance(error, InternalServerError):
            return http_error(error)
        db.session.rollback()
        app.logger.exception("Unhandled error")
        if app.testing and app.config.get("PROPAGATE_TEST_ERRORS", True):
            raise error if isinstance(error, Exception) else RuntimeError(error)
        return render_error(500)
