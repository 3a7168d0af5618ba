"""A user's calendar feed: the hash of the secret token in the feed's address."""

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.auth.models import User
from crm.extensions import Model
from crm.models import AuditedMixin, UTCDateTime, utcnow


class CalendarFeed(AuditedMixin, Model):
    """One feed address a user was given. The address carries a random token; only its SHA-256
    hash is kept, so the table alone opens no feed. Revoking sets ``revoked_at``; a new address
    is a new row (both audited). A user has at most one feed that is not revoked."""

    __tablename__ = "calendar_feeds"
    __table_args__ = (
        Index(
            "ux_calendar_feeds_live_user",
            "user_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )
    # the hash is no secret, but it has no place in the audit trail either
    __audit_exclude__: ClassVar[tuple[str, ...]] = ("token_hash",)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<CalendarFeed {self.id} of user {self.user_id}>"
