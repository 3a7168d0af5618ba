"""Translated error pages (or JSON for clients that ask for it); nothing answers a bare 500.

The one place where the services' domain errors become answers: ``NotFound`` is a 404,
``Forbidden`` a 403, an unhandled ``RuleBroken`` a 400 with its message (views that show a
form put the messages on its fields instead).
"""

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from crm.exceptions import Forbidden, NotFound, RuleBroken
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


def wants_json() -> bool:
    """The client prefers JSON to HTML (the API, scripts, the pickers)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return (
        best == "application/json"
        and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]
    )


def render_error(code: int, message: object = None, errors: dict | None = None):
    title, default = MESSAGES.get(code, MESSAGES[500])
    text = str(message or default)
    if wants_json():
        body: dict = {"error": str(title), "message": text}
        if errors:
            body["errors"] = {field or "": str(value) for field, value in errors.items()}
        return jsonify(body), code
    return render_template("errors/error.html", code=code, title=title, message=text), code


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

    @app.errorhandler(NotFound)
    def not_found(_error: NotFound):
        return render_error(404)

    @app.errorhandler(Forbidden)
    def forbidden(_error: Forbidden):
        return render_error(403)

    @app.errorhandler(RuleBroken)
    def rule_broken(error: RuleBroken):
        db.session.rollback()
        return render_error(400, error.message, error.errors)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 429 and request.endpoint == "auth.login":
            from crm.logs import security_event

            security_event("sign_in_refused_address")  # the per-address limit (crm.auth.views)
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
