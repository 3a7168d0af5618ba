"""One permission layer: who acts, which records a user may see, and what they may do to them.

Each domain registers its record kinds at start-up (``crm/<domain>/permissions.py``): a
visibility rule written twice, as a Python predicate for a loaded record and as a SQL condition
for queries (tests check that the two agree), and its actions as predicates of (user, record).
Views, templates, services, jobs, PDFs and the API all ask here:

    can(user, "edit", partner)            # may this user edit this partner?
    ensure(user, "edit", partner)         # the same, raising NotFound / Forbidden
    select(Agreement).where(visible(Agreement, user))

A record the user may not see is "not found" to them, never "forbidden": a 403 would reveal
that it exists. The acting user (for rules and the audit log) is set once per unit of work
with ``acting_as(user)``: by the request for a signed-in user, by a job or a command for
the user it acts for.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, true

from crm.exceptions import Forbidden, NotFound

Predicate = Callable[[Any, Any], bool]


def role(name: str) -> Predicate:
    """A predicate: the user has role ``name`` or a more powerful one."""

    def check(user: Any, _record: Any) -> bool:
        return bool(user.has_role(name))

    check.__name__ = f"role_{name}"
    return check


def anyone(user: Any, _record: Any) -> bool:
    return True


@dataclass
class Policy:
    sees: Predicate
    where: Callable[[Any], ColumnElement[bool]]
    actions: dict[str, Predicate] = field(default_factory=dict)


_policies: dict[type, Policy] = {}


def register(
    model: type,
    *,
    sees: Predicate = anyone,
    where: Callable[[Any], ColumnElement[bool]] = lambda user: true(),
    **actions: Predicate,
) -> None:
    """Register a record kind: its visibility (Python and SQL) and its actions."""
    _policies[model] = Policy(sees, where, dict(actions))


def _is_kind(target: Any) -> bool:
    return isinstance(target, type | str)


def _policy(target: Any) -> Policy:
    """The policy of a record, a model class, or a model's name (for templates)."""
    if isinstance(target, str):
        for model, policy in _policies.items():
            if model.__name__ == target:
                return policy
        raise LookupError(f"no permissions registered for {target}")
    model = target if isinstance(target, type) else type(target)
    for cls in model.__mro__:
        if cls in _policies:
            return _policies[cls]
    raise LookupError(f"no permissions registered for {model.__name__}")


def actions(target: Any) -> tuple[str, ...]:
    return ("view", *_policy(target).actions)


def visible(model: type, user: Any) -> ColumnElement[bool]:
    """A WHERE clause: the rows of ``model`` that ``user`` may see."""
    return _policy(model).where(user)


def sees(user: Any, record: Any) -> bool:
    """May ``user`` see this loaded record (and so learn its name)?"""
    if record is None:
        return True
    return user is not None and bool(_policy(record).sees(user, record))


def can(user: Any, action: str, target: Any) -> bool:
    """May ``user`` do ``action`` to ``target`` (a record, or a model class or its name for
    actions that need no record, such as ``create``)? Unknown actions are a programming
    error."""
    if user is None or target is None or not getattr(user, "is_active", False):
        return False
    policy = _policy(target)
    if not _is_kind(target) and not policy.sees(user, target):
        return False
    if action == "view":
        return True
    if action not in policy.actions:
        raise LookupError(f"unknown action {action!r} on {policy}")
    return bool(policy.actions[action](user, target))


def ensure(user: Any, action: str, target: Any) -> None:
    """Raise NotFound when ``user`` may not see the record, Forbidden when they may see it but
    not do ``action``."""
    if not _is_kind(target) and not sees(user, target):
        raise NotFound()
    if not can(user, action, target):
        raise Forbidden()


# --- the acting user -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Acting:
    user: Any
    via: str  # "web", "job" or "cli"


_acting: ContextVar[Acting | None] = ContextVar("crm_acting", default=None)


@contextmanager
def acting_as(user: Any, via: str = "web") -> Iterator[Any]:
    """Everything done inside the block is done by ``user`` (checked against their rights and
    written to the audit log under their name, with how they acted)."""
    previous = _acting.get()
    _acting.set(Acting(user, via))
    try:
        yield user
    finally:
        _acting.set(previous)


def current_acting() -> Acting | None:
    return _acting.get()


def current_actor() -> Any:
    """The acting user; a service that writes cannot run without one."""
    acting = _acting.get()
    if acting is None or acting.user is None:
        raise RuntimeError("No acting user: run the operation inside acting_as(user).")
    return acting.user
