"""My follow-ups: a user's planned activities grouped by day in the user's own time zone.

Groups are overdue (its time has come: due before today or started before now, as on every
page, ``crm.activities.lists.overdue``), today (the rest of today), this week (the rest of the
current calendar week after today: the Persian week runs Saturday to Friday, the English one
Monday to Sunday) and later. "Today" is the user's local day, so a meeting at 23:30 in Tehran
belongs to that day even though it is 20:00 UTC.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select

from crm.activities.lists import (
    before,
    on_or_after,
    overdue,
    still_ahead,
    when_key,
    with_relations,
)
from crm.activities.models import Activity
from crm.extensions import db
from crm.formatting import Formatter
from crm.models import utcnow
from crm.permissions import visible

GROUPS = ("overdue", "today", "week", "later")


@dataclass
class FollowUps:
    today: date
    week_end: date
    groups: dict[str, list[Activity]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _conditions(today: date, last: date, zone: ZoneInfo, now: datetime) -> dict:
    tomorrow, after_week = today + timedelta(days=1), last + timedelta(days=1)
    return {
        "overdue": overdue(today, now),
        "today": and_(still_ahead(today, now), before(tomorrow, zone)),
        "week": and_(on_or_after(tomorrow, zone), before(after_week, zone)),
        "later": on_or_after(after_week, zone),
    }


def mine(user: Any) -> tuple:
    """The conditions of \"my follow-ups\": mine, planned, not archived, visible."""
    return (
        Activity.owner_id == user.id,
        Activity.status == "planned",
        Activity.archived_at.is_(None),
        visible(Activity, user),
    )


def my_followups(
    user: Any,
    fmt: Formatter,
    now: datetime | None = None,
    limit: int = 25,
    groups: tuple[str, ...] = GROUPS,
) -> FollowUps:
    """The user's planned, non-archived activities by group, at most ``limit`` a group, in
    the days and week of the reader of ``fmt`` (usually the user: a digest for them too).

    Always the same queries: one grouped count and one list per group (partner, agreement and
    owner joined in), whatever the data.
    """
    zone, now = fmt.zone, now or utcnow()
    today = now.astimezone(zone).date()
    result = FollowUps(today=today, week_end=fmt.week_end(today))
    conditions = _conditions(today, result.week_end, zone, now)
    label = case(*((cond, name) for name, cond in conditions.items()), else_="later")
    grouped = select(label.label("grp")).where(*mine(user)).subquery()
    rows = db.session.execute(select(grouped.c.grp, func.count()).group_by(grouped.c.grp))
    counts = {name: 0 for name in GROUPS}
    counts.update({name: count for name, count in rows})
    result.counts = counts
    for name in groups:
        result.groups[name] = list(
            db.session.scalars(
                with_relations(select(Activity))
                .where(*mine(user), conditions[name])
                .order_by(*_order(name), Activity.id)
                .limit(limit)
            ).unique()
        )
    return result


def _order(group: str) -> list:
    """Overdue: the most recently missed first; the others: the soonest first."""
    if group == "overdue":
        return [when_key().desc()]
    return [when_key()]


def overdue_and_upcoming(
    user: Any, fmt: Formatter, limit: int = 5, now: datetime | None = None
) -> tuple[list[Activity], list[Activity]]:
    """For the start page: the user's latest overdue and next upcoming follow-ups."""
    now = now or utcnow()
    today = now.astimezone(fmt.zone).date()
    base = with_relations(select(Activity)).where(*mine(user))
    late = db.session.scalars(
        base.where(overdue(today, now)).order_by(*_order("overdue"), Activity.id).limit(limit)
    )
    upcoming = db.session.scalars(
        base.where(still_ahead(today, now)).order_by(*_order("today"), Activity.id).limit(limit)
    )
    return list(late.unique()), list(upcoming.unique())
