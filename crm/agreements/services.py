"""Agreement queries and rules."""

from sqlalchemy import ColumnElement, true

from crm.agreements.models import Agreement
from crm.auth.models import User


def visible_to(user: User) -> ColumnElement[bool]:
    """A WHERE clause: confidential agreements are seen by managers and administrators only.

    Every query that lists or shows agreements (partner pages, search, dashboards) uses it.
    """
    if user.can("manager"):
        return true()
    return Agreement.confidentiality != "confidential"
