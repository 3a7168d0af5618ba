"""Erasing a contact's personal data on their request.

The row stays, so that the activities, merges and imports that point to it keep pointing
somewhere: its names become "Erased contact" (in English and in Persian, so every list, search
and export shows it in its reader's language), its other personal fields are blanked, it stops
being the primary contact and is archived. The audit log forgets the old values: every entry
of the contact keeps which fields changed, with each personal value replaced by
``crm.history.REDACTED`` (shown "(erased)"); so do the entries and the record of a merge that
involved the contact, an act's summary that names it, and the cells of an imported row that
made or changed it. The erasure itself is an audited act ("erase") that names no one.

Who may erase: administrators. It is the one act that cannot be undone, so it sits above a
merge (managers; a merge can be undone) and archiving (staff).

Free text that mentions the person (an activity's notes, a document) is not searched: the
office reviews it by hand.
"""

from typing import Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from crm.audit import AuditAct, AuditEntry, audit_act
from crm.duplicates.models import Merge
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.history import REDACTED
from crm.imports.models import ImportItem, ImportRun
from crm.models import utcnow
from crm.partners.models import ERASED_NAME, Contact
from crm.permissions import current_actor, ensure

PERSONAL = ("name_latin", "name_fa", "title", "department", "email", "phone", "notes")


def _placeholders() -> dict[str, str]:
    names = {}
    for column, locale in (("name_latin", "en"), ("name_fa", "fa")):
        with force_locale(locale):
            names[column] = str(ERASED_NAME)
    return names


def erase_contact(contact: Contact) -> None:
    """Erase ``contact``'s personal data as the acting user, in one audited act. The caller
    commits (and must not change the contact again in the same transaction: the audit hook
    would write its old values back)."""
    ensure(current_actor(), "erase", contact)
    if contact.erased_at is not None:
        raise RuleBroken(_l("This contact's personal data were erased already."))
    values = {value for name in PERSONAL if (value := getattr(contact, name))}
    names = [value for value in (contact.name_latin, contact.name_fa) if value]
    placeholders = _placeholders()
    with audit_act("erase"):
        for name in PERSONAL:
            setattr(contact, name, placeholders.get(name, ""))
        contact.is_primary = False
        contact.archive()
        contact.erased_at = utcnow()
        db.session.flush()
        _redact(contact, values, names, set(placeholders.values()))
        db.session.flush()


def _hidden(value: Any, values: set[str], keep: set[str]) -> Any:
    if isinstance(value, str) and value in values and value not in keep:
        return REDACTED
    return value


def _redacted_changes(changes: dict, values: set[str], personal: bool, keep: set[str]) -> dict:
    """``changes`` with each personal value (of a personal field: any; elsewhere: one of the
    erased ``values``) replaced by ``REDACTED``."""
    result = {}
    for field, pair in changes.items():
        if personal and field in PERSONAL:
            pair = [REDACTED if v not in (None, "") and v not in keep else v for v in pair]
        else:
            pair = [_hidden(v, values, keep) for v in pair]
        result[field] = pair
    return result


def _redact(contact: Contact, values: set[str], names: list[str], keep: set[str]) -> None:
    for entry in db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.object_type == "contacts", AuditEntry.object_id == contact.id
        )
    ):
        entry.changes = _redacted_changes(entry.changes, values, True, keep)
    merges = db.session.scalars(
        select(Merge).where(
            Merge.kind == "contact",
            or_(Merge.survivor_id == contact.id, Merge.merged_id == contact.id),
        )
    ).all()
    acts = {act for merge in merges for act in (merge.act_id, merge.undo_act_id) if act}
    for merge in merges:
        fields = {
            name: [_hidden(v, values, keep) for v in pair]
            for name, pair in merge.moved.get("fields", {}).items()
        }
        merge.moved = {**merge.moved, "fields": fields}
    if acts:  # what the merge gave the other contact
        for entry in db.session.scalars(select(AuditEntry).where(AuditEntry.act_id.in_(acts))):
            entry.changes = _redacted_changes(entry.changes, values, False, keep)
    if names:
        named = or_(*(AuditAct.summary.contains(name, autoescape=True) for name in names))
        for act in db.session.scalars(select(AuditAct).where(named)):
            for name in sorted(names, key=len, reverse=True):
                act.summary = act.summary.replace(name, str(ERASED_NAME))
    _redact_imports(contact)


def _redact_imports(contact: Contact) -> None:
    """The cells of each imported row that made or changed the contact are blanked, and the
    values an import changed are forgotten."""
    items = db.session.scalars(
        select(ImportItem).where(
            ImportItem.object_type == "contacts", ImportItem.object_id == contact.id
        )
    ).all()
    rows_of: dict[int, set[int]] = {}
    for item in items:
        rows_of.setdefault(item.import_id, set()).add(item.row)
        item.before = {
            name: REDACTED if name in PERSONAL and value not in (None, "") else value
            for name, value in item.before.items()
        }
    for run in db.session.scalars(select(ImportRun).where(ImportRun.id.in_(rows_of))):
        run.rows = [  # a row's number is the spreadsheet's: the first row of data is row 2
            ["" for _cell in cells] if index + 2 in rows_of[run.id] else cells
            for index, cells in enumerate(run.rows)
        ]
