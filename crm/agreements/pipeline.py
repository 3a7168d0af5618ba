"""The agreement pipeline: which stage may follow which, who may move it, and the move itself.

idea → exploring → drafting → negotiation → internal_approval → ready_to_sign → signed → active
→ (renewal → active) → expired. Before ``signed`` an agreement may go back one step or be
rejected; after it, it may be terminated. ``rejected``, ``terminated`` and ``expired`` are final,
except that an expired agreement may enter renewal.

Moves that touch the part of the pipeline past internal approval (into, out of or within it)
need a manager: the office's approval is what separates a draft from a commitment. A staff
member's move out of internal approval is not refused but becomes a request that a manager
grants or refuses (``crm.agreements.requests``).

Ending an agreement (``rejected``, ``terminated``) needs a reason, and only a manager can undo
it: ``reopen`` returns the agreement to the stage it left, read from its stage history.
"""

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import update

from crm.agreements.models import STAGES, Agreement, StageChange, StageRequest
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.formatting import Formatter
from crm.models import utcnow
from crm.permissions import can, current_actor, ensure
from crm.records import text_problems

PIPELINE = [
    "idea",
    "exploring",
    "drafting",
    "negotiation",
    "internal_approval",
    "ready_to_sign",
    "signed",
    "active",
    "renewal",
    "expired",
]
PRE_SIGNING = PIPELINE[: PIPELINE.index("signed")]
INITIAL_STAGES = PIPELINE[: PIPELINE.index("internal_approval") + 1]
FINAL_STAGES = {"rejected", "terminated", "expired"}
# Stages that end an agreement: moving there needs a reason; a manager can reopen it.
ENDING_STAGES = ("rejected", "terminated")
# Stages past internal approval; entering, leaving or moving between them needs a manager.
MANAGER_STAGES = {"ready_to_sign", "signed", "active", "renewal", "expired", "terminated"}

_FORWARD = {
    "idea": ["exploring"],
    "exploring": ["drafting"],
    "drafting": ["negotiation"],
    "negotiation": ["internal_approval"],
    "internal_approval": ["ready_to_sign"],
    "ready_to_sign": ["signed"],
    "signed": ["active"],
    "active": ["renewal", "expired"],
    "renewal": ["active", "expired"],
    "expired": ["renewal"],
}


class StageError(RuleBroken):
    """A stage move broke a rule of the pipeline; ``field`` names the stage form's field the
    message belongs to."""

    def __init__(self, message: Any, field: str = "stage") -> None:
        super().__init__(message, field)


def stage_position(stage: str) -> int:
    """The index of ``stage`` in the main pipeline (rejected/terminated: where they branch)."""
    return PIPELINE.index(stage) if stage in PIPELINE else len(PIPELINE)


def next_stages(stage: str) -> list[str]:
    """Every stage the pipeline allows after ``stage``, whoever moves it."""
    targets = list(_FORWARD.get(stage, []))
    if stage in PRE_SIGNING:
        if stage != "idea":
            targets.append(PIPELINE[PIPELINE.index(stage) - 1])
        targets.append("rejected")
    if stage in {"signed", "active", "renewal"}:
        targets.append("terminated")
    return targets


def needs_manager(from_stage: str, to_stage: str) -> bool:
    """True when this move belongs to the manager's part of the pipeline."""
    return (
        to_stage in MANAGER_STAGES
        or from_stage in MANAGER_STAGES
        or from_stage == "internal_approval"
    )


def becomes_request(agreement: Agreement, user: Any) -> bool:
    """True when ``user``'s move of the agreement is a request for a manager to grant: a staff
    member moving it out of internal approval."""
    return (
        agreement.stage == "internal_approval"
        and can(user, "move_stage", agreement)
        and not can(user, "approve", agreement)
    )


def allowed_stages(agreement: Agreement, user: Any) -> list[str]:
    """The stages this user may move the agreement to now, or ask a manager to
    (``becomes_request``); empty for viewers and archives."""
    if agreement.archived or not can(user, "move_stage", agreement):
        return []
    free = can(user, "approve", agreement) or becomes_request(agreement, user)
    return [
        s for s in next_stages(agreement.stage) if free or not needs_manager(agreement.stage, s)
    ]


def move_stage(
    agreement: Agreement, to_stage: str, note: str = "", signed_on: date | None = None
) -> StageChange:
    """Move ``agreement`` to ``to_stage`` as the acting user and record who did it, when and
    why.

    Raises StageError when the pipeline does not allow the move, the user's role is not enough,
    or a move to ``signed`` comes without a signing date (or with one in the future, in the
    acting user's own time zone). The caller commits.
    """
    user = current_actor()
    signed_on = check_move(agreement, to_stage, note, signed_on, user)
    if to_stage == "signed":
        agreement.signed_on = signed_on
    return _record(agreement, to_stage, note, user)


def check_move(
    agreement: Agreement,
    to_stage: str,
    note: str,
    signed_on: date | None,
    user: Any,
    *,
    as_request: bool = False,
) -> date | None:
    """The rules of a move (``move_stage``'s), raising StageError; with ``as_request``, all but
    the manager's role, which the manager granting it brings. Returns the signing date of a
    move to ``signed``."""
    ensure(user, "move_stage", agreement)
    from_stage = agreement.stage
    if agreement.archived:
        raise StageError(_l("Restore the agreement before you change its stage."))
    if to_stage not in STAGES:
        raise StageError(_l("Choose a stage from the list."))
    if to_stage not in next_stages(from_stage):
        if from_stage in FINAL_STAGES and from_stage != "expired":
            raise StageError(
                _l(
                    "This agreement is %(stage)s; its stage can no longer change.",
                    stage=STAGES[from_stage],
                )
            )
        raise StageError(
            _l(
                "An agreement cannot move from %(from)s to %(to)s.",
                **{"from": STAGES[from_stage], "to": STAGES[to_stage]},
            )
        )
    manager_move = needs_manager(from_stage, to_stage) and not as_request
    if manager_move and not can(user, "approve", agreement):
        raise StageError(_l("Only a manager can move an agreement past internal approval."))
    if to_stage in ENDING_STAGES and not (note or "").strip():
        raise StageError(_l("Give the reason for ending the agreement."), "note")
    if to_stage == "signed":
        signed_on = signed_on or agreement.signed_on
        if signed_on is None:
            raise StageError(_l("Enter the date the agreement was signed."), "signed_on")
        if signed_on > Formatter.for_user(user).today():
            raise StageError(_l("The signing date cannot be in the future."), "signed_on")
    if problem := text_problems(StageChange, note=note or "").get("note"):
        raise StageError(problem, "note")
    return signed_on


def stage_left(agreement: Agreement) -> str | None:
    """The stage a rejected or terminated agreement left to get there (from its stage
    history), or None when it is not ended or the history does not say."""
    if agreement.stage not in ENDING_STAGES:
        return None
    endings = [
        change
        for change in agreement.history
        if change.to_stage == agreement.stage and change.from_stage
    ]
    if not endings:
        return None
    return max(endings, key=lambda change: (change.changed_at, change.id)).from_stage


def can_reopen(agreement: Agreement, user: Any) -> bool:
    """Whether ``user`` may reopen the agreement now (the page offers it only then)."""
    return (
        not agreement.archived
        and can(user, "reopen", agreement)
        and stage_left(agreement) is not None
    )


def reopen(agreement: Agreement, note: str = "") -> StageChange:
    """Reopen a rejected or terminated agreement as the acting user (a manager): it returns to
    the stage it left, and the stage history records who did it, when and why.

    Raises Forbidden for anyone but a manager, and StageError when the agreement is archived,
    not ended, its history does not say which stage it left, or no reason is given. The caller
    commits.
    """
    user = current_actor()
    ensure(user, "reopen", agreement)
    if agreement.archived:
        raise StageError(_l("Restore the agreement before you change its stage."))
    if agreement.stage not in ENDING_STAGES:
        raise StageError(_l("Only a rejected or terminated agreement can be reopened."))
    back = stage_left(agreement)
    if back is None:
        raise StageError(_l("The stage history does not say where this agreement stopped."))
    if not (note or "").strip():
        raise StageError(_l("Give the reason for reopening the agreement."), "note")
    return _record(agreement, back, note, user)


def _record(agreement: Agreement, to_stage: str, note: str, user: Any) -> StageChange:
    """Move the agreement and add the row of its stage history."""
    if problem := text_problems(StageChange, note=note or "").get("note"):
        raise StageError(problem, "note")
    supersede_requests(agreement)
    change = StageChange(
        agreement=agreement,
        from_stage=agreement.stage,
        to_stage=to_stage,
        changed_by_id=user.id,
        note=(note or "").strip(),
    )
    agreement.stage = to_stage
    db.session.add(change)
    db.session.flush()
    return change


def supersede_requests(agreement: Agreement) -> None:
    """An agreement leaving internal approval: its pending request, if any, is no longer
    needed (a grant marks its own request first)."""
    if agreement.stage == "internal_approval" and agreement.id is not None:
        db.session.execute(
            update(StageRequest)
            .where(StageRequest.agreement_id == agreement.id, StageRequest.status == "pending")
            .values(status="superseded", decided_at=utcnow())
        )


def record_initial_stage(agreement: Agreement, user: Any, note: str = "") -> StageChange:
    """The first history row of a new agreement (from nothing to its starting stage)."""
    change = StageChange(
        agreement=agreement,
        from_stage=None,
        to_stage=agreement.stage,
        changed_by_id=user.id,
        note=note,
    )
    db.session.add(change)
    return change


LAPSING = ("signed", "active", "renewal")  # stages an expiry date ends


def lapse(agreement: Agreement, today: date, reader: Formatter) -> str:
    """An agreement whose expiry date has passed (``today`` is after it): renewed for its term
    when it renews itself and its term is known (from its effective or signing date to its
    expiry), else expired. The stage history says so in ``reader``'s language, by nobody (the
    system). Returns ``renewed`` or ``expired``. The caller commits."""
    expires_on = agreement.expires_on
    if expires_on is None or agreement.stage not in LAPSING or expires_on >= today:
        raise ValueError(f"{agreement!r} has not lapsed on {today}")
    start = agreement.effective_on or agreement.signed_on
    _ = reader.catalog.gettext
    if agreement.auto_renew and start is not None and start < expires_on:
        term = expires_on - start
        while agreement.expires_on is not None and agreement.expires_on < today:
            agreement.expires_on += term
        note = _("Renewed by itself for its term, until %(date)s.") % {
            "date": reader.date(agreement.expires_on)
        }
        if agreement.stage != "renewal":
            _record_by_system(agreement, "renewal", note)
        _record_by_system(agreement, "active", note)
        return "renewed"
    note = _("Expired on %(date)s.") % {"date": reader.date(expires_on)}
    _record_by_system(agreement, "expired", note)
    return "expired"


def _record_by_system(agreement: Agreement, to_stage: str, note: str) -> None:
    db.session.add(
        StageChange(agreement=agreement, from_stage=agreement.stage, to_stage=to_stage, note=note)
    )
    agreement.stage = to_stage
