"""One activity: finding it and its chain of follow-ups, and saving, completing and
cancelling it under the rules of the domain."""

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from crm.activities.models import ACTIVITY_KINDS, ACTIVITY_STATUSES, Activity
from crm.agreements.models import Agreement
from crm.auth.services import check_owner
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.formatting import Formatter, local_to_utc, zone_of
from crm.partners.models import Contact, Partner
from crm.permissions import can, current_actor, ensure, visible
from crm.records import check_save, ensure_current, get_or_not_found, length_problems, text_problems
from crm.reference import DOMAINS


@dataclass
class ActivityData:
    """What an activity is made of. It happens at ``on_date`` and ``at_time``, a wall-clock
    time in ``zone`` (by default the acting user's own), or is due on ``due_on``. One saved as
    done may name its next step (``next_subject``…), which becomes the following activity."""

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
    next_subject: str = ""
    next_kind: str = "task"
    next_due_on: date | None = None

    @property
    def next_step(self) -> "NextStep":
        return NextStep(self.next_subject, self.next_kind, self.next_due_on)


@dataclass
class NextStep:
    subject: str = ""
    kind: str = "task"
    due_on: date | None = None


def next_step_problems(next_step: NextStep | None) -> dict[str, Any]:
    """What is wrong with a next step, by field (``next_kind``, ``next_due_on``); none when
    it has no subject (there is no next step)."""
    errors: dict[str, Any] = {}
    if next_step is None or not next_step.subject.strip():
        return errors
    if next_step.kind not in ACTIVITY_KINDS:
        errors["next_kind"] = _l("Choose from the list.")
    if next_step.due_on is None:
        errors["next_due_on"] = _l("Give the next step a due date.")
    if problem := text_problems(Activity, subject=next_step.subject).get("subject"):
        errors["next_subject"] = problem
    return errors


def partner_local_time(activity: Activity, fmt: Formatter) -> tuple[datetime, str] | None:
    """The wall-clock time at the partner, when its time zone differs from the reader's."""
    if activity.starts_at is None or activity.partner is None or not activity.partner.timezone:
        return None
    zone = zone_of(activity.partner.timezone)
    local = activity.starts_at.astimezone(zone)
    if local.utcoffset() == fmt.local(activity.starts_at).utcoffset():
        return None
    return local, activity.partner.timezone


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
    for name, message in length_problems(Activity, data).items():
        errors.setdefault(name, message)
    if data.next_subject.strip() and data.status != "done":
        errors["next_subject"] = _l(
            "A next step follows a done activity: set the status to Done, or leave it empty."
        )
    errors |= next_step_problems(data.next_step)
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
    if data.status == "done":
        _follow_up(activity, data.next_step)
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
    errors = next_step_problems(next_step) | text_problems(Activity, outcome=outcome)
    if errors:
        raise RuleBroken(errors=errors)
    activity.status = "done"
    if outcome:
        activity.outcome = outcome.strip()
    db.session.flush()
    return _follow_up(activity, next_step)


def _follow_up(activity: Activity, next_step: NextStep | None) -> Activity | None:
    """The following activity a done one's next step becomes, or None without a next step."""
    if next_step is None or not next_step.subject.strip():
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
