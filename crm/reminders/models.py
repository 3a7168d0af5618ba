"""The reminder ledger: the truth of what must be, and was, sent to whom."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.auth.models import User
from crm.extensions import Model
from crm.models import UTCDateTime, utcnow

# A row's life: pending -> sending -> sent; a failed send goes back to pending with a later
# ``next_try_at`` until its last attempt, then failed. Skipped: its moment had passed beyond
# the catch-up window when a sweep found it. Cancelled: what it was about no longer applies
# (done, cancelled, archived, moved, no longer visible to the recipient) when it was delivered.
STATUSES = ("pending", "sending", "sent", "failed", "skipped", "cancelled")


class Reminder(Model):
    """One reminder for one recipient on one channel: unique on (rule, record, occurrence,
    recipient, channel), so however many sweeps find it, it is written once, and delivery
    claims it once. ``occurrence`` names which of the record's reminders it is (the moment it
    is about and, for reminders ahead of a date, how far ahead), so a changed date makes a new
    occurrence and the old one is cancelled when its turn comes."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint(
            "rule",
            "record_kind",
            "record_id",
            "occurrence",
            "recipient_id",
            "channel",
            name="uq_reminders_occurrence",
        ),
        # delivery's and the reaper's work: rows still to send, by when they are due
        Index("ix_reminders_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(String(40))
    record_kind: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[int]
    occurrence: Mapped[str] = mapped_column(String(60))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    channel: Mapped[str] = mapped_column(String(10))  # in_app, email
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    late: Mapped[bool] = mapped_column(default=False)
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="", info={"max_length": 1000})
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    recipient: Mapped["User"] = relationship()

    @property
    def message_id(self) -> str:
        """The e-mail's ``Message-ID`` (without the angle brackets and domain): the same for
        every attempt, so that a mail system can drop a resend."""
        return (
            (
                f"reminder.{self.rule}.{self.record_kind}.{self.record_id}."
                f"{self.occurrence}.{self.recipient_id}"
            )
            .replace(":", "")
            .replace("+", "")
        )

    def __repr__(self) -> str:
        return f"<Reminder {self.id} {self.rule} {self.record_kind} {self.record_id} {self.status}>"


class SweepRun(Model):
    """One sweep: when it ran, up to which moment it looked, how long it took, what it wrote.
    The next sweep starts where the last one ended, so nothing between them is missed."""

    __tablename__ = "sweep_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    until: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    seconds: Mapped[float] = mapped_column(default=0.0)
    written: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(String(200), default="")


class UserReminderSetting(Model):
    """A user's choice for one rule: whether its reminders come by e-mail as well (in-app is
    always on). No row: the rule's default."""

    __tablename__ = "user_reminder_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    rule: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[bool] = mapped_column(default=True)


class ReminderSetting(Model):
    """An admin's setting of the reminders (``crm.reminders.settings``), one row per key, the
    value as text; a missing key has its default."""

    __tablename__ = "reminder_settings"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
