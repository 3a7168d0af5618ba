"""The change history of a record, in words: one presentation for every detail page.

``change_history(record, reader, fmt, labels, codes)`` turns the audit entries of a record into
rows that name the changed fields as the record's form does and show old and new values as the
reader wants them: dates in their calendar, codes by their label, ids by the name of what they
point to (loaded with one query per referenced table, however many entries there are) when
the reader may see it, and a dash when they may not.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select
from sqlalchemy.orm import Mapper
from wtforms import Form
from wtforms.fields.core import UnboundField

from crm.audit import AuditEntry, history_for
from crm.extensions import db
from crm.formatting import Formatter
from crm.permissions import sees

ACTIONS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "archive": _l("Archived"),
    "restore": _l("Restored"),
}
# Audit keys that are not the name of a form field.
LABELS = {
    "areas": _l("Cooperation areas"),
    "parties": _l("Parties"),
    "participants": _l("Participants"),
    "partner_id": _l("Partner"),
    "archived_at": _l("Archived"),
    "stage": _l("Stage"),
    "merged_into_id": _l("Merged into"),
    "erased_at": _l("Personal data erased"),
}
HIDDEN = "—"
# What the audit log keeps of a personal value erased on request (crm.partners.erasure).
REDACTED = "[erased]"
REDACTED_TEXT = _l("(erased)")
# Audit keys whose values the formatter names.
SHOWN_BY = {
    "country": Formatter.country,
    "timezone": Formatter.timezone,
    "phone": Formatter.phone,
}


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class HistoryRow:
    entry: AuditEntry
    action: str
    changes: list[Change] = field(default_factory=list)
    merged_from: int | None = None  # the id of the record merged into this one it is about


def form_labels(form_class: type[Form]) -> dict[str, str]:
    """Field name → label text of a form class (its audit keys are mostly its field names)."""
    return {
        name: unbound.args[0]
        for name, unbound in vars(form_class).items()
        if isinstance(unbound, UnboundField) and unbound.args
    }


def targets_of(model: type) -> dict[str, Any]:
    """Audit key → the model it refers to: foreign-key columns and collections."""
    mapper: Mapper[Any] = inspect(model)
    targets = {
        rel.key: rel.mapper.class_ for rel in mapper.relationships if rel.secondary is not None
    }
    for rel in mapper.relationships:
        for column in rel.local_columns:
            if not rel.uselist and column.key and column.key != "id":
                targets[column.key] = rel.mapper.class_
    return targets


def referred_ids(changes: dict, targets: dict[str, Any], wanted: dict[Any, set[int]]) -> None:
    """Add the ids that the values of ``changes`` refer to into ``wanted`` (model → ids)."""
    for key, values in (changes or {}).items():
        if key in targets:
            for value in values:
                ids = value if isinstance(value, list) else [value]
                wanted.setdefault(targets[key], set()).update(i for i in ids if i)


def names_of(wanted: dict[Any, set[int]], reader: Any, fmt: Formatter) -> dict[Any, dict[int, str]]:
    """The names of the records ``wanted`` (model → ids) that ``reader`` may see: one query
    per model, however many ids there are."""
    return {
        model: {
            obj.id: fmt.name(obj)
            for obj in db.session.scalars(select(model).where(model.id.in_(ids)))
            if sees(reader, obj)
        }
        for model, ids in wanted.items()
    }


def value_text(
    key: str,
    value: Any,
    codes: dict,
    names: dict[int, str] | None,
    fmt: Formatter,
    plain: bool = False,
) -> str:
    """An old or new value of an audit entry as ``fmt``'s reader reads it, in full: a label,
    the names behind ids (``names``: None when the key holds no ids), a date in their
    calendar. ``plain``: as an export writes them: dates, times and numbers as ``1405/09/05``
    and in Latin digits, nothing for no value."""
    if value in (None, "", []):
        return "" if plain else "—"
    if value == REDACTED:
        return fmt.translate(REDACTED_TEXT)
    if isinstance(value, bool):
        return fmt.translate(_l("Yes") if value else _l("No"))
    if names is not None:
        ids = value if isinstance(value, list) else [value]
        shown = [names[i] for i in ids if i in names]
        return fmt.list(shown) if shown else HIDDEN
    if key in codes:
        return fmt.label(codes[key], value)
    if key in SHOWN_BY:  # a country or a time zone by its name, a phone number grouped
        return SHOWN_BY[key](fmt, value) or str(value)
    if isinstance(value, int):
        return str(value) if plain else fmt.number(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            day = date.fromisoformat(value)
            return fmt.date_input(day) if plain else fmt.date(day)
        except ValueError:
            pass
    if isinstance(value, str) and "T" in value:
        try:
            moment = datetime.fromisoformat(value)
            return fmt.datetime_input(moment) if plain else fmt.datetime(moment)
        except ValueError:
            pass
    return str(value)


def shorten(text: str, limit: int = 160) -> str:
    """``text``, cut to ``limit`` characters with an ellipsis when it is longer."""
    return text if len(text) <= limit else text[: limit - 3] + "…"


def change_history(
    record,
    reader: Any,
    fmt: Formatter,
    labels: dict[str, Any],
    codes: dict[str, dict] | None = None,
    limit: int = 50,
    also: Iterable[int] = (),
) -> list[HistoryRow]:
    """The newest audit entries of ``record`` with their changes in words, for ``reader``.

    ``labels`` names the fields (``form_labels`` of the record's form, plus any extra keys);
    ``codes`` maps a field to its code table (e.g. ``{"stage": STAGES}``); ``also``: the
    ids of records of its kind whose entries it shows too (those merged into it).
    """
    codes = codes or {}
    labels = LABELS | labels
    entries = history_for(record, limit=limit, also=also)
    targets = targets_of(type(record))
    wanted: dict[Any, set[int]] = {}
    for entry in entries:
        if entry.action == "update":  # only changes are shown value by value
            referred_ids(entry.changes, targets, wanted)
    names = names_of(wanted, reader, fmt)
    rows = []
    for entry in entries:
        row = HistoryRow(entry, fmt.label(ACTIONS, entry.action))
        if entry.changes.get("erased_at", [None, None])[1]:
            row.action = fmt.translate(LABELS["erased_at"])
        if entry.object_id != record.id:
            row.merged_from = entry.object_id
        if entry.action == "update":
            for key, (old, new) in entry.changes.items():
                ref = names.get(targets[key], {}) if key in targets else None
                before = shorten(value_text(key, old, codes, ref, fmt))
                after = shorten(value_text(key, new, codes, ref, fmt))
                if before == after and old != REDACTED:  # both hidden from this reader
                    continue
                row.changes.append(Change(fmt.translate(labels.get(key, key)), before, after))
            if not row.changes:
                continue  # a change this reader may not know about
        rows.append(row)
    return rows
