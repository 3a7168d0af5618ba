"""Roles on views, the login wall, and the security headers every response carries."""

from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, current_app, g, request
from flask_login import current_user

from crm.permissions import acting_as

# Endpoints anyone may reach without logging in.
# The calendar feed and a password reset link have no sign-in: the secret token in their
# address is their key.
PUBLIC_ENDPOINTS = {
    "static",
    "vendor.static",
    "auth.login",
    "auth.forgot_password",
    "auth.reset_password",
    "ops.live",
    "ops.ready",
    "ops.health",
    "calendar.feed_ics",
}

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def require(role: str) -> Callable:
    """Allow the view to users with ``role`` or a more powerful one; others get 403.

    The role is recorded on the view function so a test can check that every route has one.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from crm.extensions import login_manager

                return login_manager.unauthorized()
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapped, "required_role", role)  # noqa: B010 - read by a test of every route
        return wrapped

    return decorator


def refuse_oversized_bodies() -> None:
    """A body larger than MAX_CONTENT_LENGTH (the largest document and the form around it) is
    refused with the translated 413 before a byte of it is read, whatever its type and whether
    or not the view would read it. ``create_app`` runs it before every other hook (the CSRF
    check reads the form)."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is not None and (request.content_length or 0) > limit:
        abort(413)


def init_security(app: Flask) -> None:
    from crm.extensions import login_manager

    @app.before_request
    def refuse_nul_bytes():
        """No field ever holds a NUL character; PostgreSQL cannot store one either."""
        if any("\x00" in value for values in request.values.listvalues() for value in values):
            abort(400)
        return None

    @app.before_request
    def login_wall():
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        # Everything this request does is done by the signed-in user (rules and audit log).
        g.acting = acting_as(current_user._get_current_object(), via="web")
        g.acting.__enter__()
        return None

    @app.teardown_request
    def stop_acting(_error=None):
        acting = g.pop("acting", None)
        if acting is not None:
            acting.__exit__(None, None, None)

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.endpoint not in {"static", "vendor.static"}:
            response.headers.setdefault("Cache-Control", "no-store")
        return response
