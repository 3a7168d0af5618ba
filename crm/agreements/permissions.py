"""Who may see and change agreements: confidential ones are for managers and administrators
only (to everyone else they do not exist, nor do their milestones, documents and activities);
staff and above change the others; only managers mark one confidential, approve past
internal approval or reopen an ended agreement (``crm.agreements.pipeline``)."""

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, and_, true

from crm.agreements.models import Agreement, Document, Milestone, StageRequest
from crm.permissions import register, role


def sees_agreement(user: Any, agreement: Any) -> bool:
    return bool(user.has_role("manager")) or agreement.confidentiality != "confidential"


def visible_agreements(user: Any) -> ColumnElement[bool]:
    if user.has_role("manager"):
        return true()
    return Agreement.confidentiality != "confidential"


register(
    Agreement,
    sees=sees_agreement,
    where=visible_agreements,
    create=role("staff"),
    edit=role("staff"),
    archive=role("staff"),
    restore=role("staff"),
    move_stage=role("staff"),
    approve=role("manager"),
    reopen=role("manager"),  # a rejected or terminated agreement (crm.agreements.pipeline)
    make_confidential=role("manager"),
    upload=role("staff"),
)


def sees_part(user: Any, record: Any) -> bool:
    """A milestone or a document is seen with its agreement."""
    return sees_agreement(user, record.agreement)


def visible_parts(part: Any) -> Callable[[Any], ColumnElement[bool]]:
    def where(user: Any) -> ColumnElement[bool]:
        if user.has_role("manager"):
            return true()
        return part.agreement.has(visible_agreements(user))

    return where


for part in (Milestone, Document):
    register(
        part,
        sees=sees_part,
        where=visible_parts(part),
        create=role("staff"),
        edit=role("staff"),
        archive=role("staff"),
        restore=role("staff"),
    )


def sees_request(user: Any, request: Any) -> bool:
    """A stage-approval request: managers see every one, staff their own (of an agreement they
    may still see)."""
    if user.has_role("manager"):
        return True
    return request.requested_by_id == user.id and sees_agreement(user, request.agreement)


def visible_requests(user: Any) -> ColumnElement[bool]:
    if user.has_role("manager"):
        return true()
    return and_(
        StageRequest.requested_by_id == user.id,
        StageRequest.agreement.has(visible_agreements(user)),
    )


register(StageRequest, sees=sees_request, where=visible_requests, decide=role("manager"))
