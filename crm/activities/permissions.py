"""Who may see and change activities: an activity about an agreement the user may not see is
hidden with it (its subject, partner and notes included); staff and above change the others."""

from typing import Any

from sqlalchemy import ColumnElement, or_, true

from crm.activities.models import Activity
from crm.agreements.models import Agreement
from crm.permissions import register, role, sees, visible


def sees_activity(user: Any, activity: Any) -> bool:
    return activity.agreement_id is None or sees(user, activity.agreement)


def visible_activities(user: Any) -> ColumnElement[bool]:
    if user.has_role("manager"):
        return true()
    return or_(Activity.agreement_id.is_(None), Activity.agreement.has(visible(Agreement, user)))


register(
    Activity,
    sees=sees_activity,
    where=visible_activities,
    create=role("staff"),
    edit=role("staff"),
    archive=role("staff"),
    restore=role("staff"),
)
