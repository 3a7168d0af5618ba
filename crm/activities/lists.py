"""Activities in lists: filtering and sorting by their stored moment, what is overdue, the list,
its export, and the activities of a partner, a contact or an agreement."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, DateTime, Select, and_, func, or_, select, type_coerce
from sqlalchemy.orm import aliased, joinedload

from crm.activities.models import LONGEST_DAY, Activity, activity_participants
from crm.agreements.models import Agreement
from crm.auth.models import User
from crm.extensions import db
from crm.formatting import Formatter, local_to_utc
from crm.lists import Batch, stream_rows
from crm.models import utcnow
from crm.partners.models import Contact, Partner
from crm.permissions import visible
from crm.search import join_match

MIN_QUERY = 2
SORTS = ("when", "subject", "kind", "status")
DEFAULT_SORT = "-when"
WALKED_SORTS = ("when", "subject")  # an index gives these orders (a search may walk it)


@dataclass
class ActivityFilters:
    q: str = ""
    kind: str | None = None
    status: str | None = None
    domain: str | None = None
    owner: str | None = None  # a user id, or "none" for activities nobody owns
    partner: int | None = None  # a partner id
    agreement: int | None = None  # an agreement id
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool = False
    archived: bool = False
    sort: str = DEFAULT_SORT


def when_key():
    """When an activity happens or is due (``when_at``: a due date sorts as the start of its
    day in its owner's zone), for sorting from the partial indexes on ``when_at``."""
    return Activity.when_at


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """Midnight at the start of ``day`` in ``zone``, in UTC."""
    return local_to_utc(day, None, zone)


def on_or_after(day: date, zone: ZoneInfo) -> ColumnElement[bool]:
    """Happens, or is due, on or after the local ``day`` of the reader (``zone``)."""
    return Activity.when_at >= day_start(day, zone)


def before(day: date, zone: ZoneInfo) -> ColumnElement[bool]:
    """Happens, or is due, before the local ``day``."""
    return Activity.when_at < day_start(day, zone)


# --- overdue: decided here for every page --------------------------------------------------------
def happened(now: datetime) -> ColumnElement[bool]:
    """Its time has come: it started before ``now``, or its due day (in its owner's zone) has
    ended. The first term is implied by the second; it lets an index serve the range."""
    return and_(
        Activity.when_at < now,
        or_(Activity.starts_at.is_not(None), Activity.day_ends_at <= now),
    )


def still_ahead(now: datetime) -> ColumnElement[bool]:
    """The opposite of ``happened``: it starts at ``now`` or later, or its due day has not
    ended (activities without a date are neither). The first term, implied by the others
    (no day lasts longer than ``LONGEST_DAY``), lets an index serve the range."""
    return and_(
        Activity.when_at > now - LONGEST_DAY,
        or_(Activity.day_ends_at > now, Activity.when_at >= now),
    )


def overdue(now: datetime) -> ColumnElement[bool]:
    """Overdue: planned, current, and its time has come. The SQL twin of ``is_overdue``: every
    page and group decides overdue with one of the two, the same for every reader."""
    return and_(Activity.status == "planned", Activity.archived_at.is_(None), happened(now))


def dormant(cutoff: datetime, user: Any = None) -> ColumnElement[bool]:
    """A condition on partners: current, known since ``cutoff`` and with no current activity
    (none that ``user`` may see, when given) happening or due after it. The one notion of a
    dormant partner: the owners' weekly reminder, the dashboard and the partner list's filter."""
    recent = select(Activity.id).where(
        Activity.partner_id == Partner.id,
        Activity.archived_at.is_(None),
        Activity.when_at > cutoff,
    )
    if user is not None:
        recent = recent.where(visible(Activity, user))
    return and_(Partner.archived_at.is_(None), Partner.created_at <= cutoff, ~recent.exists())


def is_overdue(activity: Activity, now: datetime) -> bool:
    """``overdue`` for a loaded activity (the badge on every page)."""
    if activity.status != "planned" or activity.archived or activity.when_at is None:
        return False
    if activity.day_ends_at is not None:
        return activity.day_ends_at <= now
    return activity.when_at < now


def with_relations(stmt: Select) -> Select:
    """Load partner, agreement and owner in the same query: a list never issues more."""
    return stmt.options(
        joinedload(Activity.partner), joinedload(Activity.agreement), joinedload(Activity.owner)
    )


def _filtered(
    stmt: Select, user: Any, filters: ActivityFilters, zone: ZoneInfo, walk: bool = False
) -> Select:
    stmt = stmt.where(visible(Activity, user))
    if not filters.archived:
        stmt = stmt.where(Activity.archived_at.is_(None))
    if filters.q and walk:
        stmt = stmt.where(Activity.matching(filters.q, walk=True))
    elif filters.q:
        stmt = join_match(stmt, Activity, filters.q)
    for key in ("kind", "status", "domain"):
        if getattr(filters, key):
            stmt = stmt.where(getattr(Activity, key) == getattr(filters, key))
    if filters.owner == "none":
        stmt = stmt.where(Activity.owner_id.is_(None))
    elif filters.owner:
        stmt = stmt.where(Activity.owner_id == int(filters.owner))
    if filters.partner:
        stmt = stmt.where(Activity.partner_id == filters.partner)
    if filters.agreement:
        stmt = stmt.where(Activity.agreement_id == filters.agreement)
    if filters.date_from:
        stmt = stmt.where(on_or_after(filters.date_from, zone))
    if filters.date_to:
        stmt = stmt.where(before(filters.date_to + timedelta(days=1), zone))
    if filters.overdue:
        stmt = stmt.where(overdue(utcnow()))
    return stmt


def _ordered(stmt: Select, sort: str) -> Select:
    key = sort.lstrip("-") if sort.lstrip("-") in SORTS else DEFAULT_SORT.lstrip("-")
    descending = sort.startswith("-") if sort.lstrip("-") in SORTS else True
    columns = {"when": when_key, "subject": lambda: Activity.sort_subject}
    column = columns[key]() if key in columns else getattr(Activity, key)
    order = column.desc() if descending else column.asc()
    return stmt.order_by(order, Activity.id.desc() if descending else Activity.id)


def list_query(user: Any, filters: ActivityFilters, fmt: Formatter, walk: bool = False) -> Select:
    """The ids of the activities ``user`` may see on the list page, sorted; dates are days in
    the reader's zone. Paginate it, then ``load_page``: sorting bare ids and joining the
    relations to one page only is many times faster than joining first on a large table.
    ``walk``: a search planned for many matches (``crm.search.index_match``)."""
    stmt = _filtered(select(Activity.id), user, filters, fmt.zone, walk)
    return _ordered(stmt, filters.sort)


def list_plans(user: Any, filters: ActivityFilters, fmt: Formatter) -> tuple[Select, Select | None]:
    """``list_query``, and for a search the list planned for many matches (for
    ``crm.web.page_of``): walking the index of the order when one serves it (by time or by
    subject), else the same statement."""
    stmt = list_query(user, filters, fmt)
    if not filters.q:
        return stmt, None
    walked = filters.sort.lstrip("-") in WALKED_SORTS
    return stmt, list_query(user, filters, fmt, walk=True) if walked else stmt


def load_page(ids: list[int]) -> list[Activity]:
    """The activities of ``ids`` in that order, with partner, agreement and owner (one query)."""
    rows = db.session.scalars(with_relations(select(Activity)).where(Activity.id.in_(ids or [0])))
    by_id = {activity.id: activity for activity in rows}
    return [by_id[i] for i in ids if i in by_id]


def export_rows(user: Any, filters: ActivityFilters, fmt: Formatter) -> Iterator[Batch]:
    """The rows of the list's export: the columns it shows, with the names of the partner, the
    agreement and the owner joined in, from one streamed query however many rows there are."""
    owner = aliased(User)
    stmt = (
        select(
            Activity.id,
            Activity.kind,
            Activity.subject,
            # the stored UTC time as it is (``Formatter`` reads a naive one as UTC): no Python
            # call per row to mark it UTC
            type_coerce(Activity.starts_at, DateTime()).label("starts_at"),
            Activity.due_on,
            Activity.status,
            Activity.location,
            Activity.outcome,
            Partner.name_sql(fmt.locale).label("partner"),
            Agreement.name_sql(fmt.locale).label("agreement"),
            owner.display_name.label("owner"),
        )
        .outerjoin(Partner, Partner.id == Activity.partner_id)
        .outerjoin(Agreement, Agreement.id == Activity.agreement_id)
        .outerjoin(owner, owner.id == Activity.owner_id)
    )
    return stream_rows(_ordered(_filtered(stmt, user, filters, fmt.zone), filters.sort))


def _about(
    stmt: Select,
    user: Any,
    partner: Partner | None,
    contact: Contact | None,
    agreement: Agreement | None,
) -> Select:
    stmt = stmt.where(Activity.archived_at.is_(None), visible(Activity, user))
    if partner is not None:
        stmt = stmt.where(Activity.partner_id == partner.id)
    if agreement is not None:
        stmt = stmt.where(Activity.agreement_id == agreement.id)
    if contact is not None:
        stmt = stmt.join(
            activity_participants, activity_participants.c.activity_id == Activity.id
        ).where(activity_participants.c.contact_id == contact.id)
    return stmt


def activities_with(
    user: Any,
    *,
    partner: Partner | None = None,
    contact: Contact | None = None,
    agreement: Agreement | None = None,
    planned: bool | None = None,
    limit: int = 20,
) -> list[Activity]:
    """Current activities with a partner, a contact or about an agreement that ``user`` may
    see: planned ones the earliest first, the others (or all) the newest first."""
    stmt = activities_query(
        user, partner=partner, contact=contact, agreement=agreement, planned=planned
    )
    return list(db.session.scalars(with_relations(stmt).limit(limit)).unique())


def activities_query(
    user: Any,
    *,
    partner: Partner | None = None,
    contact: Contact | None = None,
    agreement: Agreement | None = None,
    planned: bool | None = None,
) -> Select:
    """The statement of ``activities_with``, in its order, from ``ix_activities_partner_when``
    (or ``…_agreement_when``): the newest first, or the planned ones soonest first (those
    without a time last: PostgreSQL's index holds them there; SQLite sorts)."""
    stmt = _about(select(Activity), user, partner, contact, agreement)
    when = when_key()
    if planned is True:
        return stmt.where(Activity.status == "planned").order_by(
            when.asc().nulls_last(), Activity.id
        )
    if planned is False:
        stmt = stmt.where(Activity.status != "planned")
    return stmt.order_by(when.desc(), Activity.id.desc())


def count_activities_with(
    user: Any, *, partner: Partner | None = None, agreement: Agreement | None = None
) -> tuple[int, int]:
    """How many planned and how many other activities ``activities_with`` would show without
    a limit (one query)."""
    planned = Activity.status == "planned"
    stmt = select(func.count(Activity.id).filter(planned), func.count(Activity.id).filter(~planned))
    counts = db.session.execute(_about(stmt, user, partner, None, agreement)).one()
    return counts[0], counts[1]
