"""Users, roles, logging in and personal settings."""

from flask import Blueprint

bp = Blueprint("auth", __name__)


def init_login(app) -> None:
    from flask_babel import lazy_gettext as _l

    from crm.auth import sessions
    from crm.extensions import login_manager

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    # The session and the remember cookie carry a sign-in's token (User.get_id), not the
    # user's id: an unknown, expired or ended sign-in loads no one.
    login_manager.user_loader(sessions.load)
