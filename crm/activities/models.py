"""Follow-up activities: meetings, calls, visits, letters, tasks."""

from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.agreements.models import Agreement
from crm.auth.models import User
from crm.extensions import Model, db
from crm.models import (
    ArchivableMixin,
    AuditedMixin,
    SearchableMixin,
    SortKey,
    SortKeysMixin,
    TimestampMixin,
    UTCDateTime,
    sort_indexes,
)
from crm.partners.models import Contact, Partner
from crm.text import sort_key

ACTIVITY_KINDS = {
    "meeting": _l("Meeting"),
    "call": _l("Call"),
    "email": _l("Email"),
    "letter": _l("Letter"),
    "visit_incoming": _l("Incoming visit"),
    "visit_outgoing": _l("Outgoing visit"),
    "event": _l("Event"),
    "task": _l("Task"),
}
KIND_ICONS = {
    "meeting": "bi-people",
    "call": "bi-telephone",
    "email": "bi-envelope",
    "letter": "bi-envelope-paper",
    "visit_incoming": "bi-box-arrow-in-down",
    "visit_outgoing": "bi-airplane",
    "event": "bi-calendar-event",
    "task": "bi-check2-square",
}
ACTIVITY_STATUSES = {
    "planned": _l("Planned"),
    "done": _l("Done"),
    "cancelled": _l("Cancelled"),
}

activity_participants = Table(
    "activity_participants",
    db.metadata,
    Column("activity_id", ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


class Activity(
    SortKeysMixin, SearchableMixin, ArchivableMixin, AuditedMixin, TimestampMixin, Model
):
    """A follow-up. It happens at ``starts_at`` (UTC) or is due on ``due_on`` (a plain date)."""

    __tablename__ = "activities"
    __table_args__ = sort_indexes("activities", "sort_subject")

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    sort_subject: Mapped[str] = mapped_column(SortKey, default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", info={"max_length": 10000})
    domain: Mapped[str] = mapped_column(String(20), index=True)
    partner_id: Mapped[int | None] = mapped_column(ForeignKey("partners.id"), index=True)
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    due_on: Mapped[date | None] = mapped_column(index=True)
    location: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[str] = mapped_column(String(20), default="planned", index=True)
    outcome: Mapped[str] = mapped_column(Text, default="", info={"max_length": 10000})
    remind_before_minutes: Mapped[int | None]
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("activities.id"))

    partner: Mapped[Partner | None] = relationship()
    agreement: Mapped[Agreement | None] = relationship()
    owner: Mapped[User | None] = relationship()
    participants: Mapped[list[Contact]] = relationship(secondary=activity_participants)
    previous: Mapped["Activity | None"] = relationship(remote_side=[id])

    def search_values(self) -> list[str | None]:
        return [self.subject, self.notes, self.location, self.outcome]

    def sort_keys(self) -> dict[str, str]:
        return {"sort_subject": sort_key(self.subject)}

    def __repr__(self) -> str:
        return f"<Activity {self.id} {self.kind} {self.status}>"
