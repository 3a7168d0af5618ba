"""The audit log, and the flush hook that writes it and keeps search keys current.

Every create, change, archive and restore of a model with ``AuditedMixin`` is recorded with the
acting user (``crm.permissions.acting_as``: a signed-in user, or the user a job or a command
acts for), how they acted (web, job, command) and the changed fields (old and new values).
Every entry belongs to an act: the changes one user made in one transaction (a request, a job's
unit of work) share the act the flush hook opens for them, and ``audit_act(kind)`` groups the
entries of a longer operation (an import, a merge) under one act of its own. Bulk inserts made
with Core (the large demo data set) bypass it on purpose.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Table, Text, event, insert, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from crm.extensions import Model, db
from crm.models import AuditedMixin, SearchableMixin, SortKeysMixin, UTCDateTime, utcnow
from crm.permissions import current_acting
from crm.text import search_key

ACTIONS = ("create", "update", "archive", "restore")


class AuditAct(Model):
    """The changes one user made at once: in one transaction (``kind`` empty), or in one
    operation that ``audit_act`` names (an import, a merge)."""

    __tablename__ = "audit_acts"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    via: Mapped[str] = mapped_column(String(10), default="web")
    kind: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[Any] = relationship("User")

    def __repr__(self) -> str:
        return f"<AuditAct {self.id} {self.kind}>"


class AuditEntry(Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    via: Mapped[str | None] = mapped_column(String(10))
    act_id: Mapped[int] = mapped_column(ForeignKey("audit_acts.id"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column()
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[Any] = relationship("User")
    act: Mapped[AuditAct] = relationship()

    # The audit trail lists acts newest first (by act), filtered by record, kind or user.
    __table_args__ = (
        db.Index("ix_audit_log_object", "object_type", "object_id", "act_id"),
        db.Index("ix_audit_log_kind_act", "object_type", "act_id"),
        db.Index("ix_audit_log_user_act", "user_id", "act_id"),
    )

    def __repr__(self) -> str:
        return f"<AuditEntry {self.action} {self.object_type}#{self.object_id}>"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, Model):
        return getattr(value, "id", None)
    return value


_AUDITED: dict[type, tuple[tuple[str, bool], ...]] = {}


def _audited(model: type) -> tuple[tuple[str, bool], ...]:
    """The attributes of ``model`` its audit entries record, each with whether it is a
    collection: worked out once per model (an import writes thousands of entries)."""
    if model not in _AUDITED:
        _AUDITED[model] = _audited_attributes(model)
    return _AUDITED[model]


def _audited_attributes(model: Any) -> tuple[tuple[str, bool], ...]:
    found = []
    attr: Any
    for attr in inspect(model).attrs:
        key = attr.key
        if key in model.__audit_exclude__ or key == "id":
            continue
        # Many-to-many links (areas, parties, participants) are part of the record; the other
        # side of a one-to-many (an agreement's milestones) is audited on its own rows.
        is_collection = bool(getattr(attr, "uselist", False))
        if is_collection and attr.secondary is None:
            continue
        if hasattr(attr, "direction") and not is_collection:
            continue  # a many-to-one: its foreign-key column is recorded instead
        found.append((key, is_collection))
    return tuple(found)


def _changes(obj: AuditedMixin, created: bool) -> dict[str, list]:
    state = inspect(obj)
    changes: dict[str, list] = {}
    for key, is_collection in _audited(type(obj)):
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        if is_collection:
            kept = list(hist.unchanged)
            changes[key] = [_plain(kept + list(hist.deleted)), _plain(kept + list(hist.added))]
        else:
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if created:
                if new in (None, "", False):
                    continue
                changes[key] = [None, _plain(new)]
            elif old != new:
                changes[key] = [_plain(old), _plain(new)]
    return changes


def _actor() -> tuple[int | None, str | None]:
    acting = current_acting()
    if acting is None:
        return None, None
    return getattr(acting.user, "id", None), acting.via


@contextmanager
def audit_act(kind: str, summary: str = "") -> Iterator[AuditAct]:
    """Group every audit entry written inside the block under one act of the acting user."""
    user_id, via = _actor()
    act = AuditAct(user_id=user_id, via=via or "web", kind=kind, summary=summary)
    db.session.add(act)
    db.session.flush()
    db.session.info["audit_act_id"] = act.id
    try:
        yield act
    finally:
        db.session.info.pop("audit_act_id", None)


@event.listens_for(Session, "before_flush")
def _refresh_search_keys(session: Session, flush_context, instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, SearchableMixin):
            obj.search_key = search_key(obj.search_values())
        if isinstance(obj, SortKeysMixin):
            for column, key in obj.sort_keys().items():
                setattr(obj, column, key)


def _action(first: str, changes: dict) -> str:
    if first == "create":
        return "create"
    if "archived_at" in changes:
        return "archive" if changes["archived_at"][1] else "restore"
    return "update"


@event.listens_for(Session, "after_flush")
def _write_audit(session: Session, flush_context) -> None:
    """One audit row per record and transaction: a later flush in the same transaction (an
    autoflush halfway through a form, say) updates the row the first flush wrote."""
    written: dict[tuple[str, int], tuple[int, str, dict]] = session.info.setdefault(
        "audit_rows", {}
    )
    found = [("create", obj) for obj in session.new if isinstance(obj, AuditedMixin)]
    found += [
        ("update", obj)
        for obj in session.dirty
        if isinstance(obj, AuditedMixin) and session.is_modified(obj)
    ]
    table, connection = AuditEntry.__table__, session.connection()
    assert isinstance(table, Table)
    fresh: list[tuple[tuple[str, int], str, dict]] = []  # the rows to insert, all at once
    values: list[dict[str, Any]] = []
    for first, obj in found:
        changes = _changes(obj, created=first == "create")
        key = (obj.__tablename__, obj.id)
        if key in written:
            row_id, first, merged = written[key]
            for field, (old, new) in changes.items():
                merged[field] = [merged[field][0] if field in merged else old, new]
            changes = {f: v for f, v in merged.items() if first == "create" or v[0] != v[1]}
            connection.execute(
                table.update()
                .where(table.c.id == row_id)
                .values(changes=changes, action=_action(first, changes))
            )
            written[key] = (row_id, first, changes)
        elif changes or first == "create":
            user_id, via = _actor()
            values.append(
                {
                    "at": utcnow(),
                    "user_id": user_id,
                    "via": via,
                    "act_id": _act_id(session, user_id, via),
                    "action": _action(first, changes),
                    "object_type": obj.__tablename__,
                    "object_id": obj.id,
                    "changes": changes,
                }
            )
            fresh.append((key, first, changes))
    if values:  # one statement for a flush of many records (an import flushes hundreds)
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        ids = connection.execute(stmt, values).scalars().all()
        for (key, first, changes), row_id in zip(fresh, ids, strict=True):
            written[key] = (row_id, first, changes)


def _act_id(session: Session, user_id: int | None, via: str | None) -> int:
    """The act of the entry about to be written: the one ``audit_act`` opened, else the act of
    this user's changes in this transaction, written with the first of them."""
    if (named := session.info.get("audit_act_id")) is not None:
        return named
    acts: dict[tuple[int | None, str | None], int] = session.info.setdefault("audit_acts", {})
    if (user_id, via) not in acts:
        table = AuditAct.__table__
        assert isinstance(table, Table)
        inserted = session.connection().execute(
            insert(table).values(at=utcnow(), user_id=user_id, via=via or "", kind="", summary="")
        )
        assert inserted.inserted_primary_key is not None
        acts[(user_id, via)] = inserted.inserted_primary_key[0]
    return acts[(user_id, via)]


@event.listens_for(Session, "after_transaction_end")
def _forget_audit_rows(session: Session, transaction) -> None:
    # The acts of a transaction end with it, a savepoint's too (its act may be rolled back);
    # not with the inner transaction of each flush.
    if transaction.parent is None or transaction.nested:
        session.info.pop("audit_acts", None)
    if transaction.parent is None:
        session.info.pop("audit_rows", None)


def history_for(obj: AuditedMixin, limit: int = 50, also: Iterable[int] = ()) -> list[AuditEntry]:
    """The newest audit entries of one record (and of the records ``also``, of its kind: those
    merged into it), with their users loaded."""
    ids = [obj.id, *also]
    return list(
        db.session.scalars(
            db.select(AuditEntry)
            .where(AuditEntry.object_type == obj.__tablename__, AuditEntry.object_id.in_(ids))
            .options(db.joinedload(AuditEntry.user))
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )
