"""Activities: the list and its export, one activity, and saving, completing and cancelling one
under the rules of the domain."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from crm.activities.models import ACTIVITY_KINDS, ACTIVITY_STATUSES, Activity, activity_participants
from crm.agreements.models import Agreement
from crm.auth.models import User
from crm.auth.services import check_owner
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.formatting import Formatter, local_to_utc, zone_of
from crm.lists import stream_rows
from crm.partners.models import Contact, Partner
from crm.permissions import can, current_actor, ensure, visible
from crm.records import check_save, ensure_current, get_or_not_found
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
SORTS = ("when", "subject", "kind", "status")
DEFAULT_SORT = "-when"


@dataclass
class ActivityFilters:
    q: str = ""
    kind: str | None = None
    status: str | None = None
    domain: str | None = None
    owner: str | None = None  # a user id, or "none" for activities nobody owns
    partner: str | None = None  # a partner id
    date_from: date | None = None
    date_to: date | None = None
    archived: bool = False
    sort: str = DEFAULT_SORT


@dataclass
class ActivityData:
    """What an activity is made of. It happens at ``on_date`` and ``at_time``, a wall-clock
    time in ``zone`` (by default the acting user's own), or is due on ``due_on``."""

    kind: str = "meeting"
    subject: str = ""
    domain: str | None = None
    partner_id: int | None = None
    agreement_id: int | None = None
    participants: list[int] = field(default_factory=list)
    owner_id: int | None = None
    on_date: date | None = None
    at_time: time | None = None
    zone: str | None = None
    due_on: date | None = None
    location: str = ""
    status: str = "planned"
    remind_before: int | None = None
    notes: str = ""
    outcome: str = ""


@dataclass
class NextStep:
    subject: str = ""
    kind: str = "task"
    due_on: date | None = None


# --- time ----------------------------------------------------------------------------------------
def when_key():
    """When an activity happens or is due, for sorting (a due date sorts as its midnight)."""
    return func.coalesce(Activity.starts_at, Activity.due_on)


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """Midnight at the start of ``day`` in ``zone``, in UTC."""
    return local_to_utc(day, None, zone)


def on_or_after(day: date, zone: ZoneInfo) -> ColumnElement[bool]:
    """Happens on or after the local ``day`` (time-zone aware for timed activities)."""
    return or_(
        Activity.starts_at >= day_start(day, zone),
        and_(Activity.starts_at.is_(None), Activity.due_on >= day),
    )


def before(day: date, zone: ZoneInfo) -> ColumnElement[bool]:
    """Happens before the local ``day``."""
    return or_(
        Activity.starts_at < day_start(day, zone),
        and_(Activity.starts_at.is_(None), Activity.due_on < day),
    )


def partner_local_time(activity: Activity, fmt: Formatter) -> tuple[datetime, str] | None:
    """The wall-clock time at the partner, when its time zone differs from the reader's."""
    if activity.starts_at is None or activity.partner is None or not activity.partner.timezone:
        return None
    zone = zone_of(activity.partner.timezone)
    local = activity.starts_at.astimezone(zone)
    if local.utcoffset() == fmt.local(activity.starts_at).utcoffset():
        return None
    return local, activity.partner.timezone


# --- the list and the export ---------------------------------------------------------------------
def with_relations(stmt: Select) -> Select:
    """Load partner, agreement and owner in the same query: a list never issues more."""
    return stmt.options(
        joinedload(Activity.partner), joinedload(Activity.agreement), joinedload(Activity.owner)
    )


def _filtered(stmt: Select, user: Any, filters: ActivityFilters, zone: ZoneInfo) -> Select:
    stmt = stmt.where(visible(Activity, user))
    if not filters.archived:
        stmt = stmt.where(Activity.archived_at.is_(None))
    if filters.q:
        stmt = stmt.where(Activity.matching(filters.q))
    for key in ("kind", "status", "domain"):
        if getattr(filters, key):
            stmt = stmt.where(getattr(Activity, key) == getattr(filters, key))
    if filters.owner == "none":
        stmt = stmt.where(Activity.owner_id.is_(None))
    elif filters.owner:
        stmt = stmt.where(Activity.owner_id == int(filters.owner))
    if filters.partner:
        stmt = stmt.where(Activity.partner_id == int(filters.partner))
    if filters.date_from:
        stmt = stmt.where(on_or_after(filters.date_from, zone))
    if filters.date_to:
        stmt = stmt.where(before(filters.date_to + timedelta(days=1), zone))
    return stmt


def _ordered(stmt: Select, sort: str) -> Select:
    key = sort.lstrip("-") if sort.lstrip("-") in SORTS else DEFAULT_SORT.lstrip("-")
    descending = sort.startswith("-") if sort.lstrip("-") in SORTS else True
    column = when_key() if key == "when" else getattr(Activity, key)
    order = column.desc() if descending else column.asc()
    return stmt.order_by(order, Activity.id.desc() if descending else Activity.id)


def list_query(user: Any, filters: ActivityFilters, fmt: Formatter) -> Select:
    """The ids of the activities ``user`` may see on the list page, sorted; dates are days in
    the reader's zone. Paginate it, then ``load_page``: sorting bare ids and joining the
    relations to one page only is many times faster than joining first on a large table."""
    stmt = _filtered(select(Activity.id), user, filters, fmt.zone)
    return _ordered(stmt, filters.sort)


def load_page(ids: list[int]) -> list[Activity]:
    """The activities of ``ids`` in that order, with partner, agreement and owner (one query)."""
    rows = db.session.scalars(with_relations(select(Activity)).where(Activity.id.in_(ids or [0])))
    by_id = {activity.id: activity for activity in rows}
    return [by_id[i] for i in ids if i in by_id]


def export_rows(user: Any, filters: ActivityFilters, fmt: Formatter) -> Iterator[Any]:
    """The rows of the list's export: the columns it shows, with the names of the partner, the
    agreement and the owner joined in, from one streamed query however many rows there are."""
    owner = aliased(User)
    stmt = (
        select(
            Activity.id,
            Activity.kind,
            Activity.subject,
            Activity.starts_at,
            Activity.due_on,
            Activity.status,
            Activity.location,
            Activity.outcome,
            Partner.name_en.label("partner_en"),
            Partner.name_fa.label("partner_fa"),
            Partner.name_local.label("partner_local"),
            Agreement.title_en.label("agreement_en"),
            Agreement.title_fa.label("agreement_fa"),
            owner.display_name.label("owner"),
        )
        .outerjoin(Partner, Partner.id == Activity.partner_id)
        .outerjoin(Agreement, Agreement.id == Activity.agreement_id)
        .outerjoin(owner, owner.id == Activity.owner_id)
    )
    return stream_rows(_ordered(_filtered(stmt, user, filters, fmt.zone), filters.sort))


def get_activity(activity_id: int | None, user: Any) -> Activity:
    """One activity with everything its page shows, or ``NotFound``."""
    return get_or_not_found(
        Activity,
        activity_id,
        user,
        joinedload(Activity.partner),
        joinedload(Activity.agreement),
        joinedload(Activity.owner),
        selectinload(Activity.participants).joinedload(Contact.partner),
        joinedload(Activity.previous),
    )


def chain(activity: Activity, user: Any) -> tuple[Activity | None, list[Activity]]:
    """The step before this one and the steps after it, as far as ``user`` may see them."""
    previous = activity.previous if can(user, "view", activity.previous) else None
    following = db.session.scalars(
        select(Activity)
        .where(Activity.previous_id == activity.id, visible(Activity, user))
        .order_by(Activity.id)
    )
    return previous, list(following)


def activities_with(
    user: Any,
    *,
    partner: Partner | None = None,
    contact: Contact | None = None,
    planned: bool | None = None,
    limit: int = 20,
) -> list[Activity]:
    """Current activities with a partner or a contact that ``user`` may see: planned ones the
    earliest first, the others (or all) the newest first."""
    stmt = with_relations(select(Activity)).where(
        Activity.archived_at.is_(None), visible(Activity, user)
    )
    if partner is not None:
        stmt = stmt.where(Activity.partner_id == partner.id)
    if contact is not None:
        stmt = stmt.join(
            activity_participants, activity_participants.c.activity_id == Activity.id
        ).where(activity_participants.c.contact_id == contact.id)
    when = when_key()
    if planned is True:
        stmt = stmt.where(Activity.status == "planned").order_by(
            when.is_(None), when.asc(), Activity.id
        )
    else:
        if planned is False:
            stmt = stmt.where(Activity.status != "planned")
        stmt = stmt.order_by(when.desc(), Activity.id.desc())
    return list(db.session.scalars(stmt.limit(limit)).unique())


# --- rules ---------------------------------------------------------------------------------------
def activity_problems(current: Activity | None, data: ActivityData) -> dict[str, Any]:
    """What is wrong with ``data`` for ``current`` (None: a new activity), by field: the rules
    the acting user's save would break. Saving checks them; a form shows them all at once."""
    actor = current_actor()
    errors: dict[str, Any] = {}
    if not data.subject.strip():
        errors["subject"] = _l("Enter a subject.")
    if data.kind not in ACTIVITY_KINDS:
        errors["kind"] = _l("Choose from the list.")
    if data.status not in ACTIVITY_STATUSES:
        errors["status"] = _l("Choose from the list.")
    if data.domain and data.domain not in DOMAINS:
        errors["domain"] = _l("Choose from the list.")
    if data.on_date and not data.at_time:
        errors["on_date"] = _l("Enter the time as well, or use a due date instead.")
    elif data.at_time and not data.on_date:
        errors["on_date"] = _l("Enter the date of this time.")
    elif data.on_date and data.due_on:
        errors["on_date"] = _l("Give either a date and time or a due date, not both.")
    elif not data.on_date and not data.due_on:
        errors["on_date"] = _l("Enter a date and time, or a due date.")
    if data.remind_before is not None and data.remind_before < 0:
        errors["remind_before"] = _l("Choose from the list.")
    message = check_owner(data.owner_id, current.owner_id if current else None)
    if message:
        errors["owner_id"] = message
    partner = db.session.get(Partner, data.partner_id) if data.partner_id else None
    keeps_partner = current is not None and current.partner_id == data.partner_id
    if data.partner_id and (partner is None or (partner.archived and not keeps_partner)):
        errors["partner_id"] = _l("Choose a partner from the list.")
    if not data.partner_id and not data.domain:
        errors["domain"] = _l("An activity without a partner needs a domain.")
    if data.agreement_id:
        agreement = db.session.get(Agreement, data.agreement_id)
        keeps_agreement = current is not None and current.agreement_id == data.agreement_id
        if (
            agreement is None
            or not can(actor, "view", agreement)
            or (agreement.archived and not keeps_agreement)
        ):
            errors["agreement_id"] = _l("Choose an agreement from the list.")
        elif partner is not None and partner not in agreement.parties:
            errors["agreement_id"] = _l("This agreement is not with the chosen partner.")
    if data.participants:
        owners = set(
            db.session.scalars(select(Contact.partner_id).where(Contact.id.in_(data.participants)))
        )
        found = db.session.scalar(
            select(func.count(Contact.id)).where(Contact.id.in_(data.participants))
        )
        wrong = found != len(set(data.participants)) or owners - {data.partner_id}
        if wrong or not data.partner_id:
            errors["participants"] = _l("Only contacts of the chosen partner can take part.")
    return errors


def save_activity(activity: Activity | None, data: ActivityData) -> Activity:
    """Create (``activity`` is None) or change an activity as the acting user. The time is read
    in ``data.zone`` (the acting user's by default) and stored in UTC; the domain defaults to
    the partner's. Raises ``RuleBroken`` with a message per field. The caller commits."""
    actor = check_save(
        Activity,
        activity,
        _l("This activity is archived. Restore it before editing."),
        lambda: activity_problems(activity, data),
    )
    partner = db.session.get(Partner, data.partner_id) if data.partner_id else None
    participants = list(
        db.session.scalars(select(Contact).where(Contact.id.in_(data.participants or [0])))
    )
    zone = zone_of(data.zone or actor.timezone)
    if activity is None:
        activity = Activity()
        db.session.add(activity)
    activity.kind, activity.subject = data.kind, data.subject.strip()
    activity.partner_id, activity.agreement_id = data.partner_id, data.agreement_id
    activity.domain = data.domain or (partner.domain if partner else "")
    activity.owner_id = data.owner_id
    activity.starts_at = (
        local_to_utc(data.on_date, data.at_time, zone) if data.on_date and data.at_time else None
    )
    activity.due_on = None if activity.starts_at else data.due_on
    activity.location, activity.status = (data.location or "").strip(), data.status
    activity.remind_before_minutes = data.remind_before
    activity.notes, activity.outcome = data.notes or "", data.outcome or ""
    activity.participants = participants
    db.session.flush()
    return activity


def _ensure_planned(activity: Activity) -> None:
    ensure(current_actor(), "edit", activity)
    ensure_current(activity, _l("This activity is archived. Restore it first."))
    if activity.status != "planned":
        raise RuleBroken(_l("Only a planned activity can be completed or cancelled."))


def complete(activity: Activity, outcome: str = "", next_step: NextStep | None = None):
    """Mark a planned activity done as the acting user; a next step becomes the following
    activity (same partner, agreement, domain and owner) and is returned."""
    _ensure_planned(activity)
    if next_step and next_step.subject.strip():
        if next_step.kind not in ACTIVITY_KINDS:
            raise RuleBroken(_l("Choose from the list."), "next_kind")
        if next_step.due_on is None:
            raise RuleBroken(_l("Give the next step a due date."), "next_due_on")
    activity.status = "done"
    if outcome:
        activity.outcome = outcome.strip()
    if not next_step or not next_step.subject.strip():
        db.session.flush()
        return None
    follow = Activity(
        kind=next_step.kind,
        subject=next_step.subject.strip(),
        domain=activity.domain,
        partner_id=activity.partner_id,
        agreement_id=activity.agreement_id,
        owner_id=activity.owner_id,
        due_on=next_step.due_on,
        status="planned",
        previous_id=activity.id,
    )
    db.session.add(follow)
    db.session.flush()
    return follow


def cancel(activity: Activity) -> None:
    """Cancel a planned activity as the acting user."""
    _ensure_planned(activity)
    activity.status = "cancelled"
    db.session.flush()
