"""Handing a departing colleague's work to another: what they own and what is still open, moved
as one audited act.

What moves: the partners and agreements they own (archived ones too, so nothing stays with
someone who left), their planned activities, the open and in-progress milestones they are
responsible for, and their pending reminders about those records. Done and cancelled activities
and milestones stay theirs: who did the work is history. A pending reminder goes to the new
owner on the same channel, by e-mail only when the new owner takes that rule's reminders by
e-mail; one the new owner already has is cancelled. Reminders still to come are written by the
sweep for whoever owns the record when their moment comes.
"""

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.activities.models import Activity
from crm.agreements.models import Agreement, Milestone
from crm.audit import audit_act
from crm.auth import sessions
from crm.auth.models import User
from crm.auth.services import check_owner
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.partners.models import Partner
from crm.permissions import current_actor, ensure
from crm.reminders.models import Reminder
from crm.reminders.services import email_choices

OPEN_MILESTONES = ("open", "in_progress")
# The records of a reminder, and what the rows it names are.
REMINDED = {"activity": Activity, "agreement": Agreement, "milestone": Milestone}


@dataclass
class OpenWork:
    """The records of one user that a hand-over moves."""

    partners: list[Partner]
    agreements: list[Agreement]
    activities: list[Activity]
    milestones: list[Milestone]
    reminders: list[Reminder]

    def counts(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in vars(self).items()}

    @property
    def empty(self) -> bool:
        return not any(vars(self).values())


def open_work(user: User) -> OpenWork:
    """What ``user`` owns or has open, as a hand-over would move it now."""
    rows = db.session.scalars
    work = OpenWork(
        partners=list(rows(select(Partner).where(Partner.owner_id == user.id))),
        agreements=list(rows(select(Agreement).where(Agreement.owner_id == user.id))),
        activities=list(
            rows(select(Activity).where(Activity.owner_id == user.id, Activity.status == "planned"))
        ),
        milestones=list(
            rows(
                select(Milestone).where(
                    Milestone.responsible_id == user.id, Milestone.status.in_(OPEN_MILESTONES)
                )
            )
        ),
        reminders=[],
    )
    moved = {
        "activity": {a.id for a in work.activities},
        "agreement": {a.id for a in work.agreements},
        "milestone": {m.id for m in work.milestones},
    }
    pending = rows(
        select(Reminder).where(
            Reminder.recipient_id == user.id,
            Reminder.status == "pending",
            Reminder.record_kind.in_(REMINDED),
        )
    )
    work.reminders = [r for r in pending if r.record_id in moved[r.record_kind]]
    return work


def handover_problems(giver: User, taker_id: int | None, deactivate: bool) -> dict[str, Any]:
    errors: dict[str, Any] = {}
    if taker_id is None:
        errors["to"] = _l("Choose the colleague who takes the work over.")
    elif taker_id == giver.id:
        errors["to"] = _l("Choose another colleague than the one who hands the work over.")
    elif problem := check_owner(taker_id):
        errors["to"] = problem
    if deactivate and giver.id == current_actor().id:
        errors["deactivate"] = _l(
            "You cannot remove your own administrator role or deactivate yourself."
        )
    return errors


def hand_over(giver: User, taker_id: int | None, deactivate: bool = False) -> dict[str, int]:
    """Give ``giver``'s open work to the user ``taker_id`` as one audited act of the acting
    administrator, and deactivate ``giver`` (signed out everywhere) when asked. Returns how
    many records of each kind moved. The caller commits."""
    ensure(current_actor(), "hand_over", giver)
    if errors := handover_problems(giver, taker_id, deactivate):
        raise RuleBroken(errors=errors)
    taker = db.session.get_one(User, taker_id)
    work = open_work(giver)
    with audit_act("hand_over", f"{giver.display_name} → {taker.display_name}"):
        owned: list[Partner | Agreement | Activity] = [
            *work.partners,
            *work.agreements,
            *work.activities,
        ]
        for record in owned:
            record.owner_id = taker.id
        for milestone in work.milestones:
            milestone.responsible_id = taker.id
        _readdress(work.reminders, taker)
        if deactivate:
            giver.active = False
            sessions.end_others(giver)
        db.session.flush()
    return work.counts()


def _readdress(reminders: list[Reminder], taker: User) -> None:
    if not reminders:
        return
    by_email = email_choices(taker)
    held = {
        tuple(row)
        for row in db.session.execute(
            select(
                Reminder.rule,
                Reminder.record_kind,
                Reminder.record_id,
                Reminder.occurrence,
                Reminder.channel,
            ).where(
                Reminder.recipient_id == taker.id,
                Reminder.record_id.in_({r.record_id for r in reminders}),
            )
        )
    }
    for reminder in reminders:
        key = (
            reminder.rule,
            reminder.record_kind,
            reminder.record_id,
            reminder.occurrence,
            reminder.channel,
        )
        unwanted = reminder.channel == "email" and not by_email.get(reminder.rule, True)
        if key in held or unwanted:
            reminder.status = "cancelled"
            reminder.last_error = "Handed over to a colleague who has it already or not by e-mail."
        else:
            reminder.recipient_id = taker.id
            held.add(key)
