"""Who may see and change agreements: confidential ones are for managers and administrators
only (to everyone else they do not exist, nor do their milestones, documents and activities);
staff and above change the others; only managers mark one confidential or approve past
internal approval (``crm.agreements.pipeline``)."""

from typing import Any

from sqlalchemy import ColumnElement, true

from crm.agreements.models import Agreement, Document, Milestone
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
    make_confidential=role("manager"),
    upload=role("staff"),
)
for part in (Milestone, Document):
    register(
        part,
        sees=lambda user, record: sees_agreement(user, record.agreement),
        where=lambda user, part=part: (
            true() if user.has_role("manager") else part.agreement.has(visible_agreements(user))
        ),
        create=role("staff"),
        edit=role("staff"),
        archive=role("staff"),
        restore=role("staff"),
    )
