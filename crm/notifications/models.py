"""In-app notifications: what a user is told, kept until they read it."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.models import UTCDateTime, utcnow


class Notification(Model):
    """One message in a user's notification centre. ``kind`` names what it is about (a rule of
    ``crm.reminders.rules``); ``record_kind`` and ``record_id`` the record it links to, whose
    link and name are worked out when it is shown, for its reader. The subject is written in
    the recipient's language when the notification is made. ``reminder_id``: the ledger row it
    was delivered from, unique, so a reminder's in-app message exists at most once."""

    __tablename__ = "notifications"
    __table_args__ = (
        # the bell's unread count and the centre's unread list, newest first (a partial index:
        # PostgreSQL orders by id from an index only after equalities, and IS NULL is none)
        Index(
            "ix_notifications_unread",
            "user_id",
            "id",
            sqlite_where=text("read_at IS NULL"),
            postgresql_where=text("read_at IS NULL"),
        ),
        # the list of all of them, newest first
        Index("ix_notifications_user_id_id", "user_id", "id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(500))
    record_kind: Mapped[str | None] = mapped_column(String(20))
    record_id: Mapped[int | None]
    reminder_id: Mapped[int | None] = mapped_column(ForeignKey("reminders.id"), unique=True)
    late: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind} for user {self.user_id}>"
