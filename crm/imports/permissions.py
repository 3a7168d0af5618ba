"""Who sees an import: the colleague who made it, and administrators. Viewers make none."""

from typing import Any

from sqlalchemy import ColumnElement, true

from crm.imports.models import ImportRun
from crm.permissions import register, role


def sees_import(user: Any, run: Any) -> bool:
    return bool(run.owner_id == user.id or user.has_role("admin"))


def own_imports(user: Any) -> ColumnElement[bool]:
    return true() if user.has_role("admin") else ImportRun.owner_id == user.id


register(ImportRun, sees=sees_import, where=own_imports, create=role("staff"))
