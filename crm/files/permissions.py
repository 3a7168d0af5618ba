"""Who sees a prepared file: its owner alone. To anyone else it does not exist (a 404)."""

from typing import Any

from sqlalchemy import ColumnElement

from crm.files.models import PreparedFile
from crm.permissions import register


def sees_file(user: Any, prepared: Any) -> bool:
    return bool(prepared.owner_id == user.id)


def own_files(user: Any) -> ColumnElement[bool]:
    return PreparedFile.owner_id == user.id


register(PreparedFile, sees=sees_file, where=own_files)
