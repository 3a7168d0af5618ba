"""Users: signing in, and creating and changing users under the rules of the office."""

from dataclasses import dataclass
from functools import cache
from secrets import token_hex
from typing import Any
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from crm.auth import sessions
from crm.auth.models import ROLE_ORDER, ROLES, User
from crm.auth.passwords import password_problem
from crm.config import LOCALES
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.models import utcnow
from crm.permissions import current_acting, current_actor, ensure
from crm.records import text_problems

# The blank choice of every owner and responsible-person picker.
NO_ONE = _l("No one")
# Owners and responsible people must be able to act on the record: staff and above.
ASSIGNABLE_ROLE = "staff"


@dataclass
class UserData:
    """A user as the administrator's form, a command or the API gives it."""

    email: str = ""
    display_name: str = ""
    role: str = "staff"
    locale: str = "fa"
    timezone: str = "Asia/Tehran"
    active: bool = True
    password: str = ""  # empty: keep the current password


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


@cache
def _unknown_user_hash() -> str:
    return generate_password_hash(token_hex(16))


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (the same for every failure).

    A password is checked against a hash even when no user has this email, so the answer
    takes as long and does not tell whether the email exists."""
    user = find_by_email(email)
    if user is None:
        check_password_hash(_unknown_user_hash(), password)
        return None
    if not user.check_password(password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def user_problems(user: User | None, data: UserData) -> dict[str, Any]:
    """What is wrong with ``data`` for ``user`` (None: a new user), by field."""
    errors: dict[str, Any] = {}
    other = find_by_email(data.email) if data.email.strip() else None
    if not data.email.strip() or "@" not in data.email:
        errors["email"] = _l("Enter an email address such as name@example.org.")
    elif other is not None and (user is None or other.id != user.id):
        errors["email"] = _l("A user with this email already exists.")
    if not data.display_name.strip():
        errors["display_name"] = _l("Enter a name.")
    if data.role not in ROLES:
        errors["role"] = _l("Unknown role.")
    if data.locale not in LOCALES:
        errors["locale"] = _l("Choose from the list.")
    if data.timezone not in available_timezones():
        errors["timezone"] = _l("Choose from the list.")
    if user is None and not data.password:
        errors["password"] = _l("A new user needs a password.")
    elif data.password and (
        problem := password_problem(data.password, data.email, data.display_name)
    ):
        errors["password"] = problem
    for name, message in text_problems(
        User, email=data.email, display_name=data.display_name
    ).items():
        errors.setdefault(name, message)
    acting = current_acting()
    myself = user is not None and acting is not None and getattr(acting.user, "id", 0) == user.id
    if myself and (data.role != "admin" or not data.active):
        errors["role"] = _l("You cannot remove your own administrator role or deactivate yourself.")
    return errors


def create_user(data: UserData) -> User:
    """Create a user. In a request or a job the acting user must be an administrator; the
    command that makes the first administrator runs with no acting user."""
    acting = current_acting()
    if acting is not None:
        ensure(acting.user, "create", User)
    errors = user_problems(None, data)
    if errors:
        raise RuleBroken(errors=errors)
    user = User(
        email=data.email.strip().lower(),
        display_name=data.display_name.strip(),
        role=data.role,
        locale=data.locale,
        timezone=data.timezone,
        active=data.active,
    )
    user.set_password(data.password)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, data: UserData) -> User:
    """Change a user as the acting administrator; an administrator cannot remove their own
    admin role or deactivate themselves, so the office never locks itself out."""
    ensure(current_actor(), "edit", user)
    errors = user_problems(user, data)
    if errors:
        raise RuleBroken(errors=errors)
    user.email = data.email.strip().lower()
    user.display_name = data.display_name.strip()
    user.role, user.locale, user.timezone = data.role, data.locale, data.timezone
    user.active = data.active
    if data.password:
        user.set_password(data.password)
    if data.password or not data.active:
        # A reset password or a deactivated user: every browser signed in as them is signed
        # out (an administrator who changes their own password stays signed in here).
        sessions.end_others(user)
    db.session.flush()
    return user


@dataclass
class SettingsData:
    """What users change about themselves."""

    display_name: str = ""
    locale: str = "fa"
    timezone: str = "Asia/Tehran"


@dataclass
class PasswordData:
    current: str = ""
    new: str = ""


def reset_password(user: User, password: str) -> User:
    """An operator's reset (``flask crm reset-password``, no acting user): the rules of a new
    password, every browser signed in as the user signed out, and the account's login
    slow-down forgotten, so the user can sign in at once with the new password."""
    from crm.auth import throttle

    if problem := password_problem(password, user.email, user.display_name):
        raise RuleBroken(errors={"password": problem})
    user.set_password(password)
    sessions.end_others(user)
    throttle.succeeded(user.email)
    db.session.flush()
    return user


def update_own_settings(data: SettingsData) -> User:
    """The acting user changes their own name, language and time zone."""
    user = current_actor()
    everything = UserData(user.email, data.display_name, user.role, data.locale, data.timezone)
    errors = {
        name: message
        for name, message in user_problems(user, everything).items()
        if name in ("display_name", "locale", "timezone")
    }
    if errors:
        raise RuleBroken(errors=errors)
    user.display_name = data.display_name.strip()
    user.locale, user.timezone = data.locale, data.timezone
    db.session.flush()
    return user


def change_own_password(data: PasswordData) -> User:
    """The acting user changes their password, proving they know the current one. Every
    other session of theirs ends; the one they changed it in goes on."""
    user = current_actor()
    if not user.check_password(data.current):
        raise RuleBroken(_l("The current password is not right."), "current")
    if problem := password_problem(data.new, user.email, user.display_name):
        raise RuleBroken(problem, "new")
    user.set_password(data.new)
    sessions.end_others(user)
    db.session.flush()
    return user


def check_owner(user_id: int | None, current_id: int | None = None) -> Any:
    """The message for an owner or responsible person who cannot be chosen, or None when the
    choice is fine. Only an active colleague who can edit (staff and above) can be given a
    record: a viewer could not act on it. The person already chosen (``current_id``) may stay,
    whoever they are, so editing a record never fails on its old owner."""
    if user_id is None or user_id == current_id:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return _l("Choose from the list.")
    if not user.has_role(ASSIGNABLE_ROLE):
        return _l(
            "%(name)s can only read records; choose a colleague who can edit them.",
            name=user.display_name,
        )
    return None


def colleagues() -> list[User]:
    """Every user for the owner filters of the lists: the active by name, then the deactivated
    (their records stay theirs until handed over, and the dashboard links to them)."""
    order = (User.active.is_(False), User.display_name, User.id)
    return list(db.session.scalars(select(User).order_by(*order)))


def assignable_users(keep: int | None = None) -> list[User]:
    """Users a record can be given to (active, staff and above), by name, and ``keep``, the
    one it already has, whoever they are."""
    can_edit = and_(
        User.active.is_(True), User.role.in_(ROLE_ORDER[ROLE_ORDER.index(ASSIGNABLE_ROLE) :])
    )
    where = or_(can_edit, User.id == keep) if keep else can_edit
    return list(db.session.scalars(select(User).where(where).order_by(User.display_name)))


def _colleague_label(user: User) -> Any:
    if not user.active:
        return _l("%(name)s (deactivated)", name=user.display_name)
    return user.display_name


def _assignee_label(user: User) -> Any:
    if not user.active:
        return _l("%(name)s (deactivated)", name=user.display_name)
    if not user.has_role(ASSIGNABLE_ROLE):
        return _l("%(name)s (viewer, can only read)", name=user.display_name)
    return user.display_name


def user_choices(blank_label=None, keep: int | None = None) -> list:
    """Select options of an owner or responsible-person picker: the colleagues who can edit,
    and ``keep`` (the one already chosen), marked when they are a viewer or deactivated.
    ``blank_label`` adds a first "no one" option ("")."""
    from crm.fields import choices

    return choices(((u.id, _assignee_label(u)) for u in assignable_users(keep)), blank=blank_label)


def colleague_choices(blank_label=None, nobody_label=None) -> list:
    """Select options of every user (the owner filters of the lists; a deactivated one marked
    so), and with ``nobody_label`` a last option "none" (records nobody owns), kept by the
    application until a user is added or changed (one small query tells)."""
    from crm.fields import choices, shared_choices
    from crm.i18n import current_formatter

    version = db.session.execute(select(func.count(User.id), func.max(User.updated_at))).one()
    key = ("colleagues", current_formatter().locale, str(blank_label), str(nobody_label), *version)
    nobody = [("none", nobody_label)] if nobody_label is not None else []
    return shared_choices(
        key,
        lambda: choices(
            [*((u.id, _colleague_label(u)) for u in colleagues()), *nobody], blank=blank_label
        ),
    )
