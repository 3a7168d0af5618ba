"""Users and their roles."""

from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from crm.extensions import Model
from crm.models import AuditedMixin, TimestampMixin, UTCDateTime, utcnow

# Ordered from least to most powerful: each role can do all the roles before it can.
ROLES = {
    "viewer": _l("Viewer"),
    "staff": _l("Staff"),
    "manager": _l("Manager"),
    "admin": _l("Administrator"),
}
ROLE_ORDER = list(ROLES)


class User(UserMixin, AuditedMixin, TimestampMixin, Model):
    __tablename__ = "users"
    __audit_exclude__: ClassVar[tuple[str, ...]] = (
        "password_hash",
        "last_login_at",
        "updated_at",
        "created_at",
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), default="staff")
    locale: Mapped[str] = mapped_column(String(5), default="fa")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Tehran")
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # The sign-in (crm.auth.sessions) this object was loaded through in a request: what
    # Flask-Login keeps in the session and the remember cookie. None outside a sign-in.
    # A plain attribute, not a column (hidden from SQLAlchemy's annotation scan).
    if TYPE_CHECKING:
        session_token: str | None
    session_token = None

    def get_id(self) -> str:
        """The session token, never the user's id: a cookie names one sign-in, which ends when
        its row in ``user_sessions`` is deleted (Flask-Login's "alternative token")."""
        if not self.session_token:
            raise RuntimeError("sign users in through crm.auth.sessions.start")
        return self.session_token

    def __eq__(self, other: object) -> bool:  # UserMixin compares get_id(): compare ids
        if isinstance(other, User):
            return self.id == other.id
        return NotImplemented

    __hash__ = UserMixin.__hash__

    def set_password(self, password: str) -> None:
        # Werkzeug's default is scrypt, a memory-hard modern scheme.
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def has_role(self, role: str) -> bool:
        """True when this user's role is ``role`` or a more powerful one (what a record allows
        is asked of ``crm.permissions.can``)."""
        return ROLE_ORDER.index(self.role) >= ROLE_ORDER.index(role)

    @property
    def role_label(self) -> str:
        return str(ROLES.get(self.role, self.role))

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class UserSession(Model):
    """One sign-in of a user on one browser. The browser keeps a random token (in the session
    and, with "keep me signed in", the remember cookie); the table keeps only its hash. Ending
    a session deletes its row, after which no cookie that carries the token signs anyone in."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"
