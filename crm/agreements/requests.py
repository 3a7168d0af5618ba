"""Stage-approval requests: a staff member's move out of internal approval waits for a manager.

``move_or_request`` is what the agreement page and the pipeline board call for every move: a
manager's move (or any move elsewhere in the pipeline) happens at once through
``pipeline.move_stage``; a staff member's move out of internal approval is checked against the
same rules and kept as a pending ``StageRequest``. A manager grants it (the agreement moves,
through ``move_stage`` as the manager, so the stage history and the audit log record it) or
refuses it with a reason. The managers are told of a new request, and the requester of the
decision, as notification kinds of ``crm.reminders.request_rules`` (in the app at once, and by
e-mail as each of them chose), in each reader's language and time zone.
"""

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from crm.agreements.models import Agreement, StageChange, StageRequest
from crm.agreements.pipeline import StageError, becomes_request, check_move, move_stage
from crm.extensions import db
from crm.models import utcnow
from crm.permissions import can, current_actor, ensure, visible
from crm.records import get_or_not_found, text_problems
from crm.reminders import events
from crm.reminders.request_rules import StageRequestDecided, StageRequestWaiting


# --- making, granting and refusing one ---------------------------------------------------------
def move_or_request(
    agreement: Agreement, to_stage: str, note: str = "", signed_on: date | None = None
) -> StageChange | StageRequest:
    """Move the agreement as the acting user, or, for a staff member's move out of internal
    approval, ask a manager to (the same rules checked now). Raises StageError; the caller
    commits."""
    user = current_actor()
    if not becomes_request(agreement, user):
        return move_stage(agreement, to_stage, note, signed_on=signed_on)
    check_move(agreement, to_stage, note, signed_on, user, as_request=True)
    already = StageError(
        _l("A request to move this agreement is already waiting for a manager's approval.")
    )
    if pending_request(agreement) is not None:
        raise already
    request = StageRequest(
        agreement=agreement,
        from_stage=agreement.stage,
        to_stage=to_stage,
        note=(note or "").strip(),
        requested_by_id=user.id,
    )
    db.session.add(request)
    try:
        db.session.flush()
    except IntegrityError:  # another request made at the same moment (one waits at a time)
        raise already from None  # the caller rolls back, as after any broken rule
    _tell_managers(request)
    return request


def pending_request(agreement: Agreement) -> StageRequest | None:
    return db.session.scalar(
        select(StageRequest).where(
            StageRequest.agreement_id == agreement.id, StageRequest.status == "pending"
        )
    )


def get_request(request_id: int, user: Any) -> StageRequest:
    """The request if ``user`` may see it, else NotFound."""
    return get_or_not_found(StageRequest, request_id, user, joinedload(StageRequest.agreement))


def _decide(request: StageRequest, status: str, reason: str) -> Any:
    user = current_actor()
    ensure(user, "decide", request)
    if request.status != "pending":
        raise StageError(_l("This request has already been decided."))
    if problem := text_problems(StageRequest, reason=reason or "").get("reason"):
        raise StageError(problem, "reason")
    request.status, request.decided_by_id = status, user.id
    request.decided_at, request.reason = utcnow(), (reason or "").strip()
    db.session.flush()
    return user


def grant(request: StageRequest, reason: str = "") -> StageChange:
    """Grant a pending request as the acting manager: the agreement moves (the requester's note
    in its stage history) and the requester is told. Raises StageError when the move no longer
    fits the pipeline (the agreement has left the stage it was asked from). The caller
    commits."""
    agreement = request.agreement
    if request.status == "pending" and agreement.stage != request.from_stage:
        raise StageError(_l("The agreement has left the stage this request was made from."))
    _decide(request, "granted", reason)
    change = move_stage(agreement, request.to_stage, request.note)
    _tell_requester(request)
    return change


def refuse(request: StageRequest, reason: str) -> None:
    """Refuse a pending request as the acting manager, with a reason the requester is told.
    The caller commits."""
    if not (reason or "").strip():
        raise StageError(_l("Give the reason for refusing the request."), "reason")
    _decide(request, "refused", reason)
    _tell_requester(request)


def _tell_requester(request: StageRequest) -> None:
    """The requester is told of the decision in their language (in the app, and by e-mail if
    they chose); not when they may no longer see the agreement (it became confidential), which
    they must not learn of."""
    now = utcnow()
    events.tell(StageRequestDecided().told(request, now), now)


def _tell_managers(request: StageRequest) -> None:
    """The managers who may see the agreement are told a request waits for them."""
    now = utcnow()
    events.tell(StageRequestWaiting().told(request, events.managers(), now), now)


# --- lists -------------------------------------------------------------------------------------
def pending_query(user: Any) -> Select:
    """The pending requests ``user`` may decide, oldest first, with what the page shows."""
    return (
        select(StageRequest)
        .where(visible(StageRequest, user), StageRequest.status == "pending")
        .options(
            joinedload(StageRequest.agreement).selectinload(Agreement.parties),
            joinedload(StageRequest.requested_by),
        )
        .order_by(StageRequest.id)
    )


def my_requests(user: Any, limit: int = 20) -> list[StageRequest]:
    """``user``'s own latest requests, whatever became of them."""
    stmt = (
        select(StageRequest)
        .where(visible(StageRequest, user), StageRequest.requested_by_id == user.id)
        .options(selectinload(StageRequest.agreement), selectinload(StageRequest.decided_by))
        .order_by(StageRequest.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def pending_count(user: Any, cap: int = 100) -> int:
    """For a manager's navbar: how many requests wait for a decision, counted up to ``cap``."""
    if not can(user, "decide", StageRequest):
        return 0
    pending: Select = (
        select(literal_column("1"))
        .select_from(StageRequest)
        .where(StageRequest.status == "pending")
        .limit(cap)
    )
    return db.session.scalar(select(func.count()).select_from(pending.subquery())) or 0
