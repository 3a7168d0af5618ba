"""My follow-ups: a user's planned activities grouped by day in the user's own time zone.

Groups are overdue (its time has come: its due day ended or it started before now, as on every
page, ``crm.activities.lists.overdue``), today (the rest of today), this week (the rest of the
current calendar week after today: the Persian week runs Saturday to Friday, the English one
Monday to Sunday) and later. "Today" is the user's local day, so a meeting at 23:30 in Tehran
belongs to that day even though it is 20:00 UTC.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, func, literal, select, union_all

from crm.activities.lists import (
    before,
    load_page,
    on_or_after,
    overdue,
    still_ahead,
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
        "overdue": overdue(now),
        "today": and_(still_ahead(now), before(tomorrow, zone)),
        "week": and_(on_or_after(tomorrow, zone), before(after_week, zone)),
        "later": on_or_after(after_week, zone),
    }


def mine(user: Any) -> tuple:
    """The conditions of \"my follow-ups\": mine, planned, not archived, visible (the partial
    index ``ix_activities_planned_owner_when`` serves them, in ``when_at`` order)."""
    return (
        Activity.owner_id == user.id,
        Activity.status == "planned",
        Activity.archived_at.is_(None),
        visible(Activity, user),
    )


def group_query(user: Any, condition: Any, group: str, limit: int) -> Select:
    """The ids of the first ``limit`` of ``user``'s follow-ups in ``group`` (``condition``):
    the overdue ones the most recently missed first, the others the soonest first."""
    stmt = select(Activity.id).where(*mine(user), condition)
    if group == "overdue":
        stmt = stmt.order_by(Activity.when_at.desc(), Activity.id.desc())
    else:
        stmt = stmt.order_by(Activity.when_at, Activity.id)
    return stmt.limit(limit)


def _ids(stmt: Select) -> list[int]:
    return list(db.session.scalars(stmt))


def _group_ids(user: Any, conditions: dict[str, Any], limit: int) -> dict[str, list[int]]:
    """The ids of each group (``group_query``) from one statement, in each group's order."""
    branches = []
    for name, condition in conditions.items():
        ranged = group_query(user, condition, name, limit).add_columns(Activity.when_at)
        rows = ranged.subquery()
        branches.append(select(literal(name).label("group"), rows.c.id, rows.c.when_at))
    found: dict[str, list[Any]] = {name: [] for name in conditions}
    for group, activity_id, when in db.session.execute(union_all(*branches)):
        found[group].append((when, activity_id))
    return {
        name: [i for _when, i in sorted(rows, reverse=name == "overdue")]
        for name, rows in found.items()
    }


def my_followups(
    user: Any,
    fmt: Formatter,
    now: datetime | None = None,
    limit: int = 25,
    groups: tuple[str, ...] = GROUPS,
) -> FollowUps:
    """The user's planned, non-archived activities by group, at most ``limit`` a group, in
    the days and week of the reader of ``fmt`` (usually the user: a digest for them too).

    Always the same queries: a count and the ids of each group, each a range of the index
    ``ix_activities_planned_owner_when``, and one query for the activities of all the groups
    with partner, agreement and owner, whatever the data. (One grouped count with a CASE
    read every row of the table; the ranges read little more than the index.)
    """
    zone, now = fmt.zone, now or utcnow()
    today = now.astimezone(zone).date()
    result = FollowUps(today=today, week_end=fmt.week_end(today))
    conditions = _conditions(today, result.week_end, zone, now)
    counts = select(
        *(
            select(func.count())
            .select_from(select(Activity.id).where(*mine(user), condition).subquery())
            .scalar_subquery()
            .label(name)
            for name, condition in conditions.items()
        )
    )
    row = db.session.execute(counts).one()
    result.counts = {name: row._mapping[name] or 0 for name in conditions}
    ids = _group_ids(user, {name: conditions[name] for name in groups}, limit)
    loaded = {a.id: a for a in load_page([i for group in ids.values() for i in group])}
    result.groups = {name: [loaded[i] for i in group if i in loaded] for name, group in ids.items()}
    return result


def overdue_and_upcoming(
    user: Any, fmt: Formatter, limit: int = 5, now: datetime | None = None
) -> tuple[list[Activity], list[Activity]]:
    """For the start page: the user's latest overdue and next upcoming follow-ups."""
    now = now or utcnow()
    late = _ids(group_query(user, overdue(now), "overdue", limit))
    upcoming = _ids(group_query(user, still_ahead(now), "today", limit))
    loaded = {a.id: a for a in load_page(late + upcoming)}
    return [loaded[i] for i in late if i in loaded], [loaded[i] for i in upcoming if i in loaded]
