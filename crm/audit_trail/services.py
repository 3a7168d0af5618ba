"""The audit log for administrators: its filters, a page of it grouped by act, and its export.

A page lists audit entries (one record's create, change, archive or restore) the newest act
first, the entries of one act together, and says each change in words as the records' pages
do (``crm.history``): fields by their labels, codes by their labels, ids by the names of the
records. A record deleted since is still listed, by its kind and number. The page costs the
same few queries however long the log is; the export streams it in batches.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import DateTime, Select, func, select, type_coerce
from sqlalchemy.orm import joinedload

from crm.audit import AuditAct, AuditEntry
from crm.audit_trail.kinds import KIND_LABELS, KINDS
from crm.auth.models import User
from crm.extensions import db
from crm.formatting import Formatter
from crm.history import ACTIONS, referred_ids, shorten, value_text
from crm.lists import Batch, stream_rows
from crm.permissions import sees

VIA = {"web": _l("In the app"), "job": _l("Background job"), "cli": _l("Command")}
SYSTEM = _l("System")
NO_USER = "none"  # the user filter's value for what no one did (the system)
SHORT = 160  # longer values are cut on the page; the whole text is a click away


@dataclass
class AuditFilters:
    user: str | None = None  # a user id, or NO_USER
    kind: str | None = None  # a key of KINDS
    record: int | None = None  # a record's number
    act: int | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass
class Value:
    text: str  # shortened to SHORT characters
    full: str | None = None  # the whole text, when it was shortened


@dataclass
class FieldChange:
    label: str
    old: Value
    new: Value


@dataclass
class EntryRow:
    entry: AuditEntry
    action: str
    kind: str  # the record kind's label
    name: str | None  # the record's name; None when it no longer exists
    url: str | None
    changes: list[FieldChange] = field(default_factory=list)


@dataclass
class ActGroup:
    act: AuditAct
    how: str  # how the act was done (in the app, a job, a command)
    total: int  # entries the act holds, shown or not
    rows: list[EntryRow] = field(default_factory=list)


def user_choices() -> list[tuple[str, Any]]:
    """Every user, active or not (the log names the deactivated too), by name."""
    users = db.session.execute(
        select(User.id, User.display_name, User.active).order_by(User.display_name, User.id)
    )
    return [
        (str(id_), name if active else _l("%(name)s (deactivated)", name=name))
        for id_, name, active in users
    ]


def _filtered(stmt: Select, filters: AuditFilters, fmt: Formatter) -> Select:
    if filters.user == NO_USER:
        stmt = stmt.where(AuditEntry.user_id.is_(None))
    elif filters.user:
        stmt = stmt.where(AuditEntry.user_id == int(filters.user))
    if filters.kind:
        stmt = stmt.where(AuditEntry.object_type == filters.kind)
    if filters.record:
        stmt = stmt.where(AuditEntry.object_id == filters.record)
    if filters.act:
        stmt = stmt.where(AuditEntry.act_id == filters.act)
    if filters.date_from:
        stmt = stmt.where(AuditEntry.at >= fmt.to_utc(filters.date_from))
    if filters.date_to:
        stmt = stmt.where(AuditEntry.at < fmt.to_utc(filters.date_to + timedelta(days=1)))
    # the newest act first, its entries together (act ids follow time: see crm.audit)
    return stmt.order_by(AuditEntry.act_id.desc(), AuditEntry.id.desc())


def entries_query(filters: AuditFilters, fmt: Formatter) -> Select:
    """The ids of the entries the filters pick, in the trail's order (to paginate)."""
    return _filtered(select(AuditEntry.id), filters, fmt)


def load_entries(ids: list[int]) -> list[AuditEntry]:
    """The entries of ``ids`` in that order, with their acts and users (one query)."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.id.in_(ids or [0]))
        .options(joinedload(AuditEntry.act).joinedload(AuditAct.user))
    )
    by_id = {entry.id: entry for entry in db.session.scalars(stmt)}
    return [by_id[i] for i in ids if i in by_id]


def _lookup(
    pairs: Iterable[tuple[str, int]],
    entries: Iterable[tuple[str, dict]],
    reader: Any,
    fmt: Formatter,
) -> tuple[dict[str, dict[int, Any]], dict[Any, dict[int, str]]]:
    """The records still there among (kind, id) ``pairs``, by kind, and the names behind the
    ids in the changes of (kind, changes) ``entries`` that ``reader`` may see, by model: one
    query per model for both, however many rows (a record and a name of the same model, say a
    partner changed and a partner named in an agreement's change, come from the same query)."""
    wanted: dict[Any, set[int]] = {}
    records_of: dict[Any, set[int]] = {}
    for kind, record_id in pairs:
        if kind in KINDS:
            records_of.setdefault(KINDS[kind].model, set()).add(record_id)
    for kind, changes in entries:
        if kind in KINDS:
            referred_ids(changes, KINDS[kind].targets, wanted)
    found: dict[Any, dict[int, Any]] = {}
    for model in records_of.keys() | wanted.keys():
        ids = records_of.get(model, set()) | wanted.get(model, set())
        rows = db.session.scalars(select(model).where(model.id.in_(sorted(ids))))
        found[model] = {obj.id: obj for obj in rows}
    records = {
        kind: {i: found[rk.model][i] for i in records_of[rk.model] if i in found[rk.model]}
        for kind, rk in KINDS.items()
        if rk.model in records_of
    }
    names = {
        model: {
            i: fmt.name(obj)
            for i in ids
            if (obj := found[model].get(i)) is not None and sees(reader, obj)
        }
        for model, ids in wanted.items()
    }
    return records, names


def _value(text: str) -> Value:
    short = shorten(text, SHORT)
    return Value(short, None if short == text else text)


def field_changes(
    kind: str, changes: dict, names: dict, fmt: Formatter, plain: bool = False
) -> Iterator[tuple[str, str, str]]:
    """(label, old, new) of each changed field, in words, in full, in the order recorded."""
    record_kind = KINDS.get(kind)
    labels = fmt.labels(record_kind.labels) if record_kind else {}
    codes = record_kind.codes if record_kind else {}
    targets = record_kind.targets if record_kind else {}
    for key, (old, new) in (changes or {}).items():
        ref = names.get(targets[key], {}) if key in targets else None
        yield (
            labels.get(key, key),
            value_text(key, old, codes, ref, fmt, plain),
            value_text(key, new, codes, ref, fmt, plain),
        )


def kind_label(kind: str, fmt: Formatter) -> str:
    return fmt.label(KIND_LABELS, kind)


def via_label(via: str | None, fmt: Formatter) -> str:
    return fmt.label(VIA, via) if via else ""


def act_groups(entries: list[AuditEntry], reader: Any, fmt: Formatter) -> list[ActGroup]:
    """The entries of a page in words, grouped by act (they come in the trail's order)."""
    records, names = _lookup(
        [(e.object_type, e.object_id) for e in entries],
        [(e.object_type, e.changes) for e in entries],
        reader,
        fmt,
    )
    act_ids = {e.act_id for e in entries}
    totals = dict(
        db.session.execute(
            select(AuditEntry.act_id, func.count())
            .where(AuditEntry.act_id.in_(act_ids or {0}))
            .group_by(AuditEntry.act_id)
        ).all()
    )
    groups: list[ActGroup] = []
    for entry in entries:
        if not groups or groups[-1].act.id != entry.act_id:
            how = via_label(entry.act.via, fmt)
            groups.append(ActGroup(entry.act, how, totals.get(entry.act_id, 0)))
        record = records.get(entry.object_type, {}).get(entry.object_id)
        kind = KINDS.get(entry.object_type)
        row = EntryRow(
            entry,
            fmt.label(ACTIONS, entry.action),
            kind_label(entry.object_type, fmt),
            fmt.name(record) if record is not None else None,
            kind.url(record) if record is not None and kind is not None else None,
        )
        for label, old, new in field_changes(entry.object_type, entry.changes, names, fmt):
            row.changes.append(FieldChange(label, _value(old), _value(new)))
        groups[-1].rows.append(row)
    return groups


# --- the export --------------------------------------------------------------------------------
EXPORT_BATCH = 1000  # entries a batch; each batch costs one query per model it shows
EXPORT_FIELDS = (
    "act",
    "at",
    "user",
    "via",
    "action",
    "kind",
    "record_id",
    "record",
    "field",
    "old",
    "new",
)


def export_rows(filters: AuditFilters, reader: Any, fmt: Formatter) -> Iterator[Batch]:
    """The filtered log as export rows, one per changed field (an entry without changes is one
    row), streamed: the entries come from one query a batch at a time, and each batch looks up
    the names it shows with a query per kind of record, so memory stays flat."""
    stmt = select(
        AuditEntry.act_id,
        # the stored UTC time as it is (``Formatter`` reads a naive one as UTC)
        type_coerce(AuditEntry.at, DateTime()).label("at"),
        User.display_name.label("user"),
        AuditEntry.via,
        AuditEntry.action,
        AuditEntry.object_type,
        AuditEntry.object_id,
        AuditEntry.changes,
    ).outerjoin(User, User.id == AuditEntry.user_id)
    system, deleted = fmt.translate(SYSTEM), fmt.translate(_l("(deleted)"))
    for batch in stream_rows(_filtered(stmt, filters, fmt), EXPORT_BATCH):
        kinds, ids, changes = batch["object_type"], batch["object_id"], batch["changes"]
        records, names = _lookup(
            zip(kinds, ids, strict=True), zip(kinds, changes, strict=True), reader, fmt
        )
        out: dict[str, list[Any]] = {name: [] for name in EXPORT_FIELDS}
        for i, kind in enumerate(kinds):
            record = records.get(kind, {}).get(ids[i])
            common = (
                batch["act_id"][i],
                batch["at"][i],
                batch["user"][i] or system,
                via_label(batch["via"][i], fmt),
                fmt.label(ACTIONS, batch["action"][i]),
                kind_label(kind, fmt),
                ids[i],
                fmt.name(record) if record is not None else deleted,
            )
            lines = list(field_changes(kind, changes[i], names, fmt, plain=True)) or [("", "", "")]
            for line in lines:
                for name, value in zip(EXPORT_FIELDS, common + line, strict=True):
                    out[name].append(value)
        yield dict(out)
