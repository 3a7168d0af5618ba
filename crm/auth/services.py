"""Authentication and user administration."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from crm.auth.models import ROLES, User
from crm.extensions import db
from crm.models import utcnow


class UserError(ValueError):
    """A user-administration rule was broken; the message is translated."""


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (the same for every failure)."""
    user = find_by_email(email)
    if user is None or not user.active or not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user


def create_user(
    email: str,
    display_name: str,
    password: str,
    role: str = "staff",
    locale: str = "fa",
    timezone: str = "Asia/Tehran",
) -> User:
    if role not in ROLES:
        raise UserError(_l("Unknown role."))
    if find_by_email(email):
        raise UserError(_l("A user with this email already exists."))
    user = User(
        email=email.strip().lower(),
        display_name=display_name.strip(),
        role=role,
        locale=locale,
        timezone=timezone,
        active=True,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(
    user: User,
    actor: User,
    *,
    email: str,
    display_name: str,
    role: str,
    locale: str,
    timezone: str,
    active: bool,
    password: str | None,
) -> None:
    """Change a user; an administrator cannot remove their own admin role or deactivate
    themselves, so the office never locks itself out."""
    other = find_by_email(email)
    if other is not None and other.id != user.id:
        raise UserError(_l("A user with this email already exists."))
    if user.id == actor.id and (role != "admin" or not active):
        raise UserError(_l("You cannot remove your own administrator role or deactivate yourself."))
    user.email = email.strip().lower()
    user.display_name = display_name.strip()
    user.role, user.locale, user.timezone, user.active = role, locale, timezone, active
    if password:
        user.set_password(password)


def active_users() -> list[User]:
    """Users who can own records, by name (for owner and responsible-person choices)."""
    return list(
        db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name))
    )


def user_choices(blank_label=None) -> list:
    """Select options of active users; ``blank_label`` adds a first "no one" option ("")."""
    from crm.fields import choices

    return choices(((u.id, u.display_name) for u in active_users()), blank=blank_label)
