"""My follow-ups: a user's planned activities grouped by day in the user's own time zone.

Groups are overdue (before today), today, this week (the rest of the current calendar week
after today: the Persian week runs Saturday to Friday, the English one Monday to Sunday) and
later. "Today" is the user's local day, so a meeting at 23:30 in Tehran belongs to that day
even though it is 20:00 UTC.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select

from crm import i18n
from crm.activities.models import Activity
from crm.activities.services import (
    before,
    on_or_after,
    visible_activities,
    when_key,
    with_relations,
)
from crm.auth.models import User
from crm.extensions import db
from crm.models import utcnow

GROUPS = ("overdue", "today", "week", "later")
SATURDAY, MONDAY = 5, 0


@dataclass
class FollowUps:
    today: date
    week_end: date
    groups: dict[str, list[Activity]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def week_end(today: date, persian: bool) -> date:
    """The last day of the calendar week that holds ``today``."""
    first = SATURDAY if persian else MONDAY
    return today + timedelta(days=6 - (today.weekday() - first) % 7)


def _conditions(today: date, last: date, zone: ZoneInfo) -> dict:
    tomorrow, after_week = today + timedelta(days=1), last + timedelta(days=1)
    return {
        "overdue": before(today, zone),
        "today": and_(on_or_after(today, zone), before(tomorrow, zone)),
        "week": and_(on_or_after(tomorrow, zone), before(after_week, zone)),
        "later": on_or_after(after_week, zone),
    }


def mine(user: User) -> tuple:
    """The conditions of \"my follow-ups\": mine, planned, not archived, visible."""
    return (
        Activity.owner_id == user.id,
        Activity.status == "planned",
        Activity.archived_at.is_(None),
        visible_activities(user),
    )


def my_followups(
    user: User,
    now: datetime | None = None,
    zone: ZoneInfo | None = None,
    persian: bool | None = None,
    limit: int = 25,
    groups: tuple[str, ...] = GROUPS,
) -> FollowUps:
    """The user's planned, non-archived activities by group, at most ``limit`` a group.

    Always the same queries: one grouped count and one list per group (partner, agreement and
    owner joined in), whatever the data.
    """
    zone = zone or i18n.user_zone()
    persian = i18n.is_persian() if persian is None else persian
    today = (now or utcnow()).astimezone(zone).date()
    result = FollowUps(today=today, week_end=week_end(today, persian))
    conditions = _conditions(today, result.week_end, zone)
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
    user: User, limit: int = 5, now: datetime | None = None
) -> tuple[list[Activity], list[Activity]]:
    """For the start page: the user's latest overdue and next upcoming follow-ups."""
    zone = i18n.user_zone()
    today = (now or utcnow()).astimezone(zone).date()
    base = with_relations(select(Activity)).where(*mine(user))
    overdue = db.session.scalars(
        base.where(before(today, zone)).order_by(*_order("overdue"), Activity.id).limit(limit)
    )
    upcoming = db.session.scalars(
        base.where(on_or_after(today, zone)).order_by(*_order("today"), Activity.id).limit(limit)
    )
    return list(overdue.unique()), list(upcoming.unique())
