"""Milestones and obligations of an agreement, under the rules of the domain."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l

from crm.agreements.models import (
    MILESTONE_STATUSES,
    Agreement,
    Milestone,
)
from crm.auth.services import check_owner
from crm.exceptions import NotFound, RuleBroken
from crm.extensions import db
from crm.permissions import current_actor, ensure
from crm.records import ensure_current, length_problems


@dataclass
class MilestoneData:
    title: str = ""
    due_on: date | None = None
    responsible_id: int | None = None
    status: str = "open"
    notes: str = ""


def get_milestone(agreement: Agreement, milestone_id: int) -> Milestone:
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.agreement_id != agreement.id:
        raise NotFound()
    return milestone


def milestone_problems(milestone: Milestone | None, data: MilestoneData) -> dict[str, Any]:
    """What is wrong with ``data`` for ``milestone`` (None: a new one), by field."""
    errors: dict[str, Any] = {}
    if not data.title.strip():
        errors["title"] = _l("Describe the milestone.")
    if data.status not in MILESTONE_STATUSES:
        errors["status"] = _l("Choose from the list.")
    message = check_owner(data.responsible_id, milestone.responsible_id if milestone else None)
    if message:
        errors["responsible_id"] = message
    for name, message in length_problems(Milestone, data).items():
        errors.setdefault(name, message)
    return errors


def save_milestone(
    agreement: Agreement, milestone: Milestone | None, data: MilestoneData
) -> Milestone:
    """Add a milestone to ``agreement`` or change one of its milestones, as the acting user.
    The caller commits."""
    actor = current_actor()
    ensure(actor, "edit", agreement)
    ensure_current(agreement, _l("This agreement is archived. Restore it before you change it."))
    errors = milestone_problems(milestone, data)
    if errors:
        raise RuleBroken(errors=errors)
    if milestone is None:
        milestone = Milestone(agreement=agreement)
        db.session.add(milestone)
    milestone.title, milestone.notes = data.title.strip(), data.notes.strip()
    milestone.due_on, milestone.responsible_id = data.due_on, data.responsible_id
    milestone.status = data.status
    db.session.flush()
    return milestone


def mark_milestone_done(agreement: Agreement, milestone: Milestone) -> Milestone:
    """Mark a milestone done, as the acting user."""
    data = MilestoneData(
        title=milestone.title,
        due_on=milestone.due_on,
        responsible_id=milestone.responsible_id,
        status="done",
        notes=milestone.notes,
    )
    return save_milestone(agreement, milestone, data)


def is_overdue(milestone: Milestone, today: date) -> bool:
    return (
        milestone.status in {"open", "in_progress"}
        and milestone.due_on is not None
        and milestone.due_on < today
    )
