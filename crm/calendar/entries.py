"""What a calendar shows: the activities, milestones and agreement dates of a span of days
that a user may see, as ``Entry`` values for the month and week views and the iCal feed.

One query per kind of record, whatever the number of entries. A timed activity falls on the
reader's local day of its start; a due date, a milestone and an agreement's dates are plain
days and fall on that day in every time zone.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload

from crm.activities.models import ACTIVITY_KINDS, KIND_ICONS, Activity
from crm.agreements.models import MAX_RENEWAL_NOTICE_DAYS, Agreement, Milestone
from crm.extensions import db
from crm.formatting import Formatter
from crm.partners.models import Contact
from crm.permissions import visible

AGREEMENT_DATES = {  # attribute or rule → (label, icon)
    "signed": (_l("Signed"), "bi-pen"),
    "effective": (_l("Enters into force"), "bi-play-circle"),
    "expires": (_l("Expires"), "bi-hourglass-bottom"),
    "renewal_notice": (_l("Renewal notice due"), "bi-bell"),
}
MILESTONE = _l("Milestone")


@dataclass(frozen=True)
class Entry:
    """One thing on one day. ``starts_at`` (UTC) for a timed activity, else None (all day)."""

    uid: str  # stable per record and date: "activity-12", "agreement-5-expires"
    day: date  # the reader's day it falls on
    starts_at: datetime | None
    label: str  # what it is, in the reader's language: "Meeting", "Expires"
    title: str  # the subject, the milestone's title, the agreement's name
    icon: str
    endpoint: str
    args: dict[str, Any] = field(default_factory=dict)
    anchor: str = ""
    detail: str = ""  # the partner, or the agreement of a milestone
    location: str = ""
    cancelled: bool = False
    done: bool = False
    modified: datetime | None = None

    @property
    def summary(self) -> str:
        """``Meeting: Visit of the mayor``: the label and the title, for the feed."""
        return f"{self.label}: {self.title}"

    @property
    def sort_key(self) -> tuple:
        # all-day entries first, then by time
        return (self.day, self.starts_at is not None, self.starts_at or datetime.min, self.uid)


def _activity_conditions(user: Any, reader: Formatter, first: date, end: date, mine: bool) -> list:
    since, until = reader.to_utc(first), reader.to_utc(end)
    conditions = [
        Activity.archived_at.is_(None),
        visible(Activity, user),
        or_(
            and_(Activity.starts_at >= since, Activity.starts_at < until),
            and_(Activity.starts_at.is_(None), Activity.due_on >= first, Activity.due_on < end),
        ),
    ]
    if mine:
        conditions.append(
            or_(
                Activity.owner_id == user.id,
                Activity.participants.any(func.lower(Contact.email) == user.email.lower()),
            )
        )
    return conditions


def _first_per_day(
    conditions: list, reader: Formatter, per_day: int
) -> tuple[list[int], Counter[date]]:
    """The ids of the first ``per_day`` activities of each day, in the calendar's order, and
    how many each day has: from their ids and times alone, so a busy month never loads
    thousands of records to show four a day."""
    days: dict[date, list[tuple]] = defaultdict(list)
    rows = db.session.execute(
        select(Activity.id, Activity.starts_at, Activity.due_on).where(*conditions)
    )
    for activity_id, start, due_on in rows:
        day = reader.local(start).date() if start is not None else due_on
        if day is None:  # never: the conditions ask for one of the two
            continue
        moment = start.timestamp() if start is not None else 0.0
        days[day].append((start is not None, moment, f"activity-{activity_id}", activity_id))
    chosen = [row[-1] for found in days.values() for row in sorted(found)[:per_day]]
    return chosen, Counter({day: len(found) for day, found in days.items()})


def _activities(
    user: Any, reader: Formatter, first: date, end: date, mine: bool, per_day: int | None = None
) -> tuple[list[Entry], Counter[date]]:
    conditions = _activity_conditions(user, reader, first, end, mine)
    counts: Counter[date] = Counter()
    if per_day is not None:
        chosen, counts = _first_per_day(conditions, reader, per_day)
        conditions = [Activity.id.in_(chosen)]
    stmt = select(Activity).options(joinedload(Activity.partner)).where(*conditions)
    kinds = reader.labels(ACTIVITY_KINDS)
    entries = []
    for activity in db.session.scalars(stmt):
        start = activity.starts_at
        day = reader.local(start).date() if start is not None else activity.due_on
        entries.append(
            Entry(
                uid=f"activity-{activity.id}",
                day=day,  # type: ignore[arg-type]  # one of the two is set (the query)
                starts_at=activity.starts_at,
                label=kinds.get(activity.kind, activity.kind),
                title=activity.subject,
                icon=KIND_ICONS.get(activity.kind, "bi-calendar-event"),
                endpoint="activities.detail",
                args={"activity_id": activity.id},
                detail=reader.name(activity.partner) if activity.partner else "",
                location=activity.location or "",
                cancelled=activity.status == "cancelled",
                done=activity.status == "done",
                modified=activity.updated_at,
            )
        )
    if per_day is None:
        counts = Counter(entry.day for entry in entries)
    return entries, counts


def _milestones(user: Any, reader: Formatter, first: date, end: date, mine: bool) -> list[Entry]:
    stmt = (
        select(Milestone)
        .join(Milestone.agreement)
        .options(contains_eager(Milestone.agreement))
        .where(
            Agreement.archived_at.is_(None),
            visible(Agreement, user),
            Milestone.due_on >= first,
            Milestone.due_on < end,
        )
    )
    if mine:
        stmt = stmt.where(Milestone.responsible_id == user.id)
    label = reader.translate(MILESTONE)
    return [
        Entry(
            uid=f"milestone-{milestone.id}",
            day=milestone.due_on,  # type: ignore[arg-type]  # the query asks for one
            starts_at=None,
            label=label,
            title=milestone.title,
            icon="bi-flag",
            endpoint="agreements.detail",
            args={"agreement_id": milestone.agreement_id},
            anchor="milestones",
            detail=reader.name(milestone.agreement),
            cancelled=milestone.status == "cancelled",
            done=milestone.status == "done",
            modified=milestone.updated_at,
        )
        for milestone in db.session.scalars(stmt)
    ]


def agreement_days(agreement: Agreement) -> dict[str, date]:
    """An agreement's dates by kind: signed, effective, expires and the renewal notice's
    deadline (``renewal_notice_days`` before the expiry)."""
    days = {
        "signed": agreement.signed_on,
        "effective": agreement.effective_on,
        "expires": agreement.expires_on,
    }
    if agreement.expires_on and agreement.renewal_notice_days:
        days["renewal_notice"] = agreement.expires_on - timedelta(
            days=agreement.renewal_notice_days
        )
    return {kind: day for kind, day in days.items() if day is not None}


def _agreements(user: Any, reader: Formatter, first: date, end: date, mine: bool) -> list[Entry]:
    notice_reach = end + timedelta(days=MAX_RENEWAL_NOTICE_DAYS)
    stmt = select(Agreement).where(
        Agreement.archived_at.is_(None),
        visible(Agreement, user),
        or_(
            and_(Agreement.signed_on >= first, Agreement.signed_on < end),
            and_(Agreement.effective_on >= first, Agreement.effective_on < end),
            # the expiry, or a renewal notice due up to two years before it
            and_(Agreement.expires_on >= first, Agreement.expires_on < notice_reach),
        ),
    )
    if mine:
        stmt = stmt.where(Agreement.owner_id == user.id)
    labels = {kind: reader.translate(label) for kind, (label, _icon) in AGREEMENT_DATES.items()}
    entries = []
    for agreement in db.session.scalars(stmt):
        for kind, day in agreement_days(agreement).items():
            if first <= day < end:
                entries.append(
                    Entry(
                        uid=f"agreement-{agreement.id}-{kind.replace('_', '-')}",
                        day=day,
                        starts_at=None,
                        label=labels[kind],
                        title=reader.name(agreement),
                        icon=AGREEMENT_DATES[kind][1],
                        endpoint="agreements.detail",
                        args={"agreement_id": agreement.id},
                        cancelled=agreement.stage in {"rejected", "terminated"},
                        modified=agreement.updated_at,
                    )
                )
    return entries


def collect(
    user: Any, reader: Formatter, first: date, end: date, mine: bool = False
) -> list[Entry]:
    """Every entry from ``first`` up to (not including) ``end`` that ``user`` may see, sorted;
    with ``mine``, only the user's own: activities they own or take part in (a participant
    whose e-mail is theirs), milestones they are responsible for, agreements they own."""
    return collect_per_day(user, reader, first, end, mine)[0]


def collect_per_day(
    user: Any,
    reader: Formatter,
    first: date,
    end: date,
    mine: bool = False,
    per_day: int | None = None,
) -> tuple[list[Entry], Counter[date]]:
    """``collect``, with at least the first ``per_day`` entries of each day (None: all of
    them), and how many entries each day has."""
    activities, counts = _activities(user, reader, first, end, mine, per_day)
    others = [
        *_milestones(user, reader, first, end, mine),
        *_agreements(user, reader, first, end, mine),
    ]
    counts.update(entry.day for entry in others)
    entries = [*activities, *others]
    entries.sort(key=lambda entry: entry.sort_key)
    return entries, counts
