"""Users, roles, logging in and personal settings."""

from flask import Blueprint

bp = Blueprint("auth", __name__)


def init_login(app) -> None:
    from flask_babel import lazy_gettext as _l

    from crm.auth.models import User
    from crm.extensions import db, login_manager

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        if not user_id.isdigit():
            return None
        return db.session.get(User, int(user_id))
