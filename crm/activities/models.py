"""Follow-up activities: meetings, calls, visits, letters, tasks."""

from datetime import date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    bindparam,
    event,
    inspect,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from crm.agreements.models import Agreement
from crm.auth.models import User
from crm.extensions import Model, db
from crm.formatting import default_zone, local_to_utc, zone_of
from crm.models import (
    CURRENT,
    ArchivableMixin,
    AuditedMixin,
    SearchableMixin,
    SortKey,
    SortKeysMixin,
    TimestampMixin,
    UTCDateTime,
    current_index,
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


# No local day lasts longer (a daylight-saving change lengthens one by an hour at most): a due
# day still ahead began less than this long ago, which lets ``when_at``'s index serve the range.
LONGEST_DAY = timedelta(hours=26)


def moment(starts_at: datetime | None, due_on: date | None, zone: ZoneInfo) -> datetime | None:
    """An activity's ``when_at``: its start, or the start of its due day in ``zone`` (its
    owner's), in UTC; None when it has neither."""
    if starts_at is not None:
        return starts_at
    return None if due_on is None else local_to_utc(due_on, None, zone)


def day_end(starts_at: datetime | None, due_on: date | None, zone: ZoneInfo) -> datetime | None:
    """An activity's ``day_ends_at``: for a due date, the end of that day in ``zone`` (the next
    midnight there, in UTC: 23 or 25 hours after its start on a daylight-saving change);
    None for a timed activity or one without a date."""
    if starts_at is not None or due_on is None:
        return None
    return local_to_utc(due_on + timedelta(days=1), None, zone)


class Activity(
    SortKeysMixin, SearchableMixin, ArchivableMixin, AuditedMixin, TimestampMixin, Model
):
    """A follow-up. It happens at ``starts_at`` (UTC) or is due on ``due_on`` (a plain date, a
    day in its owner's time zone). ``when_at`` stores that moment, for ordering and due checks
    from an index, and ``day_ends_at`` the end of a due day, when it becomes overdue: both
    kept by the flush hooks below whenever the time, the date, the owner or the owner's time
    zone changes."""

    __tablename__ = "activities"
    __table_args__ = (
        # the list's default order, the start page, the reminder sweep
        current_index("activities", "current_when", "when_at", "id"),
        # my follow-ups and their groups
        current_index(
            "activities",
            "planned_owner_when",
            "owner_id",
            "when_at",
            "id",
            where=f"status = 'planned' AND {CURRENT}",
        ),
        *sort_indexes("activities", "sort_subject"),
        # a partner's or an agreement's current activities, the latest (or the next) first
        current_index("activities", "partner_when", "partner_id", "when_at", "id"),
        current_index("activities", "agreement_when", "agreement_id", "when_at", "id"),
        # the dashboard's activities per month and domain (and who may see them), from the
        # index alone: SQLite counts an index as covering only with the columns of its WHERE
        current_index(
            "activities", "current_when_domain", "when_at", "domain", "agreement_id", "archived_at"
        ),
    )

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
    when_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    day_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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


def owner_zone(session: Session, owner_id: int | None) -> ZoneInfo:
    """The time zone of a due date: its owner's, or the application's when nobody owns it."""
    owner = session.get(User, owner_id) if owner_id is not None else None
    return zone_of(owner.timezone if owner is not None and owner.timezone else default_zone())


@event.listens_for(Session, "before_flush")
def _refresh_when_at(session: Session, flush_context, instances) -> None:
    """Keep ``when_at`` and ``day_ends_at`` right: for each new or changed activity, and for
    every due date of a user whose time zone changed (one UPDATE per due day, not a row at a
    time)."""
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, Activity):
            zone = owner_zone(session, obj.owner_id)
            obj.when_at = moment(obj.starts_at, obj.due_on, zone)
            obj.day_ends_at = day_end(obj.starts_at, obj.due_on, zone)
        elif isinstance(obj, User) and inspect(obj).attrs.timezone.history.has_changes():
            _move_due_dates(session, obj)


def _move_due_dates(session: Session, owner: User) -> None:
    move_due_dates(session, owner_zone(session, owner.id), owner.id)


def move_due_dates(session: Session, zone: ZoneInfo, owner_id: int | None) -> int:
    """Set the moments of the due dates of ``owner_id`` (None: nobody's) for ``zone``, one
    UPDATE per due day; returns how many days there were."""
    table = cast(Table, Activity.__table__)
    mine = (table.c.owner_id == owner_id) if owner_id is not None else table.c.owner_id.is_(None)
    due = (mine, table.c.starts_at.is_(None), table.c.due_on.is_not(None))
    days = session.scalars(select(table.c.due_on).where(*due).distinct()).all()
    if days:
        session.execute(
            update(table)
            .where(*due, table.c.due_on == bindparam("day"))
            .values(when_at=bindparam("moment"), day_ends_at=bindparam("end")),
            [
                {"day": d, "moment": moment(None, d, zone), "end": day_end(None, d, zone)}
                for d in days
            ],
        )
    return len(days)
