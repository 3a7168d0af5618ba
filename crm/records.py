"""What every record kind shares: get it or "not found", the checks before saving, archive and
restore.

Each goes through the permission layer with the acting user, so the same rules hold from a
page, a job, a command or the API.
"""

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from crm.exceptions import NotFound, RuleBroken
from crm.extensions import db
from crm.formatting import Formatter
from crm.models import max_length
from crm.permissions import current_acting, current_actor, ensure, visible
from crm.text import parse_id, too_long_problem

T = TypeVar("T")


def get_or_not_found(model: type[T], record_id: int | None, user: Any, *options: Any) -> T:
    """The record with this id if it exists and ``user`` may see it, else ``NotFound`` (also
    for an id the database could not hold: callers outside a request pass them too)."""
    if parse_id(record_id) is None:
        raise NotFound()
    stmt = select(model).where(model.id == record_id, visible(model, user))  # type: ignore[attr-defined]
    record = db.session.scalar(stmt.options(*options))
    if record is None:
        raise NotFound()
    return record


def ensure_current(record: Any, message: Any = None) -> None:
    """An archived record cannot be changed until it is restored."""
    if getattr(record, "archived", False):
        raise RuleBroken(message or _l("This record is archived. Restore it before you change it."))


def check_save(
    model: type, record: Any, archived: Any, problems: Callable[[], dict[str, Any]]
) -> Any:
    """What every save checks first: the acting user may create a ``model`` (``record`` is
    None) or edit ``record``, which is not archived (else ``RuleBroken(archived)``), and the
    data breaks none of the rules ``problems()`` finds. Returns the acting user."""
    actor = current_actor()
    if record is None:
        ensure(actor, "create", model)
    else:
        ensure(actor, "edit", record)
        ensure_current(record, archived)
    errors = problems()
    if errors:
        raise RuleBroken(errors=errors)
    return actor


def archive(record: Any, flush: bool = True) -> bool:
    """Archive ``record`` as the acting user; False when it already was. With ``flush``
    False the caller flushes (an import's undo archives hundreds per flush)."""
    ensure(current_actor(), "archive", record)
    if record.archived:
        return False
    record.archive()
    if flush:
        db.session.flush()
    return True


def restore(record: Any) -> bool:
    """Restore an archived ``record`` as the acting user; False when it was not archived."""
    ensure(current_actor(), "restore", record)
    if not record.archived:
        return False
    record.restore()
    db.session.flush()
    return True


def length_problems(model: type, data: Any) -> dict[str, Any]:
    """The texts of ``data`` (a ``…Data``) longer than ``model``'s column of the same name
    holds (``crm.models.max_length``), by field: a rule of the data, so a form, an import and
    the API all meet it. The message speaks the acting user's digits."""
    texts = {item.name: getattr(data, item.name) for item in dataclasses.fields(data)}
    return text_problems(model, **texts)


def text_problems(model: type, **texts: Any) -> dict[str, Any]:
    """``length_problems`` for loose values: ``text_problems(Activity, outcome=text)``."""
    acting = current_acting()
    reader = Formatter.for_user(acting.user) if acting and acting.user else Formatter.default()
    errors: dict[str, Any] = {}
    for name, value in texts.items():
        attribute = getattr(model, name, None)
        if not isinstance(value, str) or not isinstance(attribute, InstrumentedAttribute):
            continue
        limit, length = max_length(attribute), len(value.strip())
        if limit is not None and length > limit:
            errors[name] = too_long_problem(reader.number(limit), reader.number(length))
    return errors
