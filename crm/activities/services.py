"""Activity queries and rules: listing, visibility, linking, completing and archiving."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from crm import i18n
from crm.activities.models import ACTIVITY_KINDS, ACTIVITY_STATUSES, Activity
from crm.agreements.models import STAGES, Agreement
from crm.agreements.services import visible_to
from crm.auth.models import User
from crm.extensions import db
from crm.partners.models import Contact, Partner
from crm.reference import DOMAINS

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
MIN_QUERY = 2


# --- search and visibility -----------------------------------------------------------------------
def visible_activities(user: User) -> ColumnElement[bool]:
    """Activities about an agreement the user may not see are hidden with that agreement."""
    if user.can("manager"):
        return true()
    return or_(Activity.agreement_id.is_(None), Activity.agreement.has(visible_to(user)))


def sees_agreement(user: User, agreement: Agreement | None) -> bool:
    """The Python twin of ``agreements.services.visible_to`` for one loaded agreement."""
    return agreement is None or user.can("manager") or agreement.confidentiality != "confidential"


def when_key():
    """When an activity happens or is due, for sorting (a due date sorts as its midnight)."""
    return func.coalesce(Activity.starts_at, Activity.due_on)


def day_start(day: date, zone: ZoneInfo | None = None) -> datetime:
    """Midnight at the start of ``day`` in ``zone`` (default: the user's), in UTC."""
    return datetime.combine(day, time(0, 0), tzinfo=zone or i18n.user_zone()).astimezone(UTC)


def on_or_after(day: date, zone: ZoneInfo | None = None) -> ColumnElement[bool]:
    """Happens on or after the local ``day`` (time-zone aware for timed activities)."""
    start = day_start(day, zone)
    return or_(
        Activity.starts_at >= start, and_(Activity.starts_at.is_(None), Activity.due_on >= day)
    )


def before(day: date, zone: ZoneInfo | None = None) -> ColumnElement[bool]:
    """Happens before the local ``day``."""
    start = day_start(day, zone)
    return or_(
        Activity.starts_at < start, and_(Activity.starts_at.is_(None), Activity.due_on < day)
    )


# --- the list ------------------------------------------------------------------------------------
SORTS = {
    "when": (when_key(),),
    "subject": (Activity.subject,),
    "kind": (Activity.kind,),
    "status": (Activity.status,),
}
DEFAULT_SORT = "-when"


def with_relations(stmt: Select) -> Select:
    """Load partner, agreement and owner in the same query: a list never issues more."""
    return stmt.options(
        joinedload(Activity.partner), joinedload(Activity.agreement), joinedload(Activity.owner)
    )


def list_query(user: User, filters: dict, sort: str = DEFAULT_SORT) -> Select:
    """The ids of the activities for the list page, sorted; ``filters`` holds only valid values
    (others are dropped). Paginate it, then ``load_page``: sorting bare ids and joining the
    relations to one page only is many times faster than joining first on a large table."""
    stmt = select(Activity.id).where(visible_activities(user))
    if not filters.get("archived"):
        stmt = stmt.where(Activity.archived_at.is_(None))
    if filters.get("q"):
        stmt = stmt.where(Activity.matching(filters["q"]))
    for key in ("kind", "status", "domain"):
        if filters.get(key):
            stmt = stmt.where(getattr(Activity, key) == filters[key])
    if filters.get("owner") == "none":
        stmt = stmt.where(Activity.owner_id.is_(None))
    elif filters.get("owner"):
        stmt = stmt.where(Activity.owner_id == int(filters["owner"]))
    if filters.get("partner"):
        stmt = stmt.where(Activity.partner_id == int(filters["partner"]))
    if filters.get("date_from"):
        stmt = stmt.where(on_or_after(filters["date_from"]))
    if filters.get("date_to"):
        stmt = stmt.where(before(filters["date_to"] + timedelta(days=1)))
    key = sort.lstrip("-") if sort.lstrip("-") in SORTS else DEFAULT_SORT.lstrip("-")
    descending = sort.startswith("-") if sort.lstrip("-") in SORTS else True
    columns = SORTS[key]
    order = [c.desc() if descending else c.asc() for c in columns]
    return stmt.order_by(*order, Activity.id.desc() if descending else Activity.id)


def load_page(ids: list[int]) -> list[Activity]:
    """The activities of ``ids`` in that order, with partner, agreement and owner (one query)."""
    rows = db.session.scalars(with_relations(select(Activity)).where(Activity.id.in_(ids or [0])))
    by_id = {activity.id: activity for activity in rows}
    return [by_id[i] for i in ids if i in by_id]


def iter_activities(ids_stmt: Select, batch: int = 500):
    """Every activity of a ``list_query``, in its order, loaded ``batch`` at a time."""
    ids = list(db.session.scalars(ids_stmt))
    for start in range(0, len(ids), batch):
        yield from load_page(ids[start : start + batch])


def get_activity(user: User, activity_id: int) -> Activity | None:
    """One activity with everything its page shows, or None when unknown or not visible."""
    return db.session.scalar(
        with_relations(select(Activity))
        .options(
            selectinload(Activity.participants).joinedload(Contact.partner),
            joinedload(Activity.previous),
        )
        .where(Activity.id == activity_id, visible_activities(user))
    )


def following(activity: Activity) -> list[Activity]:
    """The activities created as next steps of this one."""
    return list(
        db.session.scalars(
            select(Activity).where(Activity.previous_id == activity.id).order_by(Activity.id)
        )
    )


# --- rules ---------------------------------------------------------------------------------------
def check_links(
    user: User,
    *,
    partner_id: int | None,
    agreement_id: int | None,
    participant_ids: list[int],
    domain: str | None,
    current: Activity | None = None,
) -> dict[str, str]:
    """Errors by field name: the partner must exist, the agreement be visible and (with a
    partner) have it as a party, participants be the partner's contacts, and an activity
    without a partner needs a domain."""
    errors: dict[str, str] = {}
    partner = db.session.get(Partner, partner_id) if partner_id else None
    keeps_partner = current is not None and current.partner_id == partner_id
    if partner_id and (partner is None or (partner.archived and not keeps_partner)):
        errors["partner_id"] = _l("Choose a partner from the list.")
    if not partner_id and not domain:
        errors["domain"] = _l("An activity without a partner needs a domain.")
    if agreement_id:
        agreement = db.session.scalar(
            select(Agreement).where(Agreement.id == agreement_id, visible_to(user))
        )
        if agreement is None:
            errors["agreement_id"] = _l("Choose an agreement from the list.")
        elif partner is not None and partner not in agreement.parties:
            errors["agreement_id"] = _l("This agreement is not with the chosen partner.")
    if participant_ids:
        owners = set(
            db.session.scalars(select(Contact.partner_id).where(Contact.id.in_(participant_ids)))
        )
        found = db.session.scalar(
            select(func.count(Contact.id)).where(Contact.id.in_(participant_ids))
        )
        if found != len(set(participant_ids)) or owners - {partner_id} or not partner_id:
            errors["participants"] = _l("Only contacts of the chosen partner can take part.")
    return errors


@dataclass
class ActivityData:
    """Validated values of the form, ready to store."""

    kind: str
    subject: str
    domain: str | None
    partner_id: int | None
    agreement_id: int | None
    participant_ids: list[int]
    owner_id: int | None
    on_date: date | None
    at_time: time | None
    due_on: date | None
    location: str = ""
    status: str = "planned"
    remind_before: int | None = None
    notes: str = ""
    outcome: str = ""


def save_activity(activity: Activity, data: ActivityData) -> Activity:
    """Write the values to ``activity`` (new or existing); the time is read in the user's zone
    and stored in UTC. The domain defaults to the partner's."""
    partner = db.session.get(Partner, data.partner_id) if data.partner_id else None
    activity.kind, activity.subject = data.kind, data.subject.strip()
    activity.partner_id, activity.agreement_id = data.partner_id, data.agreement_id
    activity.domain = data.domain or (partner.domain if partner else "")
    activity.owner_id = data.owner_id
    activity.starts_at = (
        i18n.local_to_utc(data.on_date, data.at_time) if data.on_date and data.at_time else None
    )
    activity.due_on = None if activity.starts_at else data.due_on
    activity.location, activity.status = (data.location or "").strip(), data.status
    activity.remind_before_minutes = data.remind_before
    activity.notes, activity.outcome = data.notes or "", data.outcome or ""
    activity.participants = list(
        db.session.scalars(select(Contact).where(Contact.id.in_(data.participant_ids or [0])))
    )
    db.session.add(activity)
    db.session.flush()
    return activity


def complete(
    activity: Activity,
    outcome: str,
    next_subject: str | None = None,
    next_kind: str = "task",
    next_due_on: date | None = None,
) -> Activity | None:
    """Mark the activity done; a next step becomes the following activity (same partner,
    agreement, domain and owner) and is returned."""
    activity.status = "done"
    if outcome:
        activity.outcome = outcome.strip()
    if not next_subject:
        db.session.flush()
        return None
    follow = Activity(
        kind=next_kind,
        subject=next_subject.strip(),
        domain=activity.domain,
        partner_id=activity.partner_id,
        agreement_id=activity.agreement_id,
        owner_id=activity.owner_id,
        due_on=next_due_on,
        status="planned",
        previous_id=activity.id,
    )
    db.session.add(follow)
    db.session.flush()
    return follow


def cancel(activity: Activity) -> None:
    activity.status = "cancelled"
    db.session.flush()


def partner_local_time(activity: Activity) -> tuple[date, time, str] | None:
    """The wall-clock time at the partner, when it has a time zone other than the user's."""
    if activity.starts_at is None or activity.partner is None or not activity.partner.timezone:
        return None
    try:
        zone = ZoneInfo(activity.partner.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    local = activity.starts_at.astimezone(zone)
    if local.utcoffset() == activity.starts_at.astimezone(i18n.user_zone()).utcoffset():
        return None
    return local.date(), local.time(), activity.partner.timezone


def labels() -> dict:
    """Labels and icons the activity templates share (also for other pages' timelines)."""
    return {
        "ACTIVITY_KINDS": ACTIVITY_KINDS,
        "ACTIVITY_STATUSES": ACTIVITY_STATUSES,
        "KIND_ICONS": KIND_ICONS,
        "DOMAINS": DOMAINS,
        "STAGES": STAGES,
    }
