"""Who may merge: a merge changes records others work on, so managers and administrators find,
review and merge duplicates; only an administrator undoes a merge."""

from sqlalchemy import false, true

from crm.duplicates.models import Merge
from crm.permissions import register, role

register(
    Merge,
    sees=role("manager"),
    where=lambda user: true() if user.has_role("manager") else false(),
    undo=role("admin"),
)
