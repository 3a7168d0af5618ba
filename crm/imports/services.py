"""Imports: upload, mapping (remembered per user and kind), commit all or nothing as one
audited act, and undo as another.

Services flush; views and the job commit. The acting user (``crm.permissions.acting_as``)
saves every record through the partners' services, so their rules and the audit log apply.
"""

import logging
from collections.abc import Callable, Iterable
from dataclasses import fields
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import Select, func, insert, select, tuple_
from sqlalchemy.orm import defer, with_expression

from crm import records
from crm.audit import AuditEntry, audit_act
from crm.exceptions import Forbidden, RuleBroken
from crm.extensions import db
from crm.formatting import Formatter
from crm.imports.fields import FIELDS, guess_mapping, heading_key
from crm.imports.models import KINDS, ImportItem, ImportMapping, ImportRun
from crm.imports.preview import Preview, Row, contact_data, dry_run, partner_data, row_number
from crm.imports.reading import read_table
from crm.models import utcnow
from crm.partners.contacts import ContactData, save_contact
from crm.partners.models import Contact, Partner
from crm.partners.services import PartnerData, save_partner
from crm.permissions import current_actor, visible
from crm.records import get_or_not_found

log = logging.getLogger(__name__)
IN_REQUEST = 500  # rows committed within the request; larger imports go to a worker
Progress = Callable[[int], None]
CHECKING = 40  # of a commit's progress, the share of its dry run
FLUSH_EVERY = 200  # records a commit saves between two flushes


def may_import(user: Any) -> bool:
    return bool(user and user.has_role("staff"))


def _check_importer(user: Any) -> None:
    if not may_import(user):
        raise Forbidden()


# --- upload and mapping --------------------------------------------------------------------------
def upload(user: Any, kind: str, data: bytes, filename: str, encoding: str = "") -> ImportRun:
    """Read the file and keep it as a new import of ``kind``, its columns mapped as guessed
    (or as the user mapped the same headings last time). Raises ``RuleBroken`` on ``file``."""
    _check_importer(user)
    if kind not in KINDS:
        raise RuleBroken(_l("Choose from the list."), "kind")
    table = read_table(data, filename, encoding)
    run = ImportRun(
        kind=kind,
        owner_id=user.id,
        filename=(filename or "")[:200],
        encoding=table.encoding,
        headers=table.headers,
        rows=table.rows,
        mapping=guess_mapping(kind, table.headers, remembered_mapping(user, kind)),
    )
    db.session.add(run)
    db.session.flush()
    log.info("import %s: %s rows of %s uploaded by user %s", run.id, len(run.rows), kind, user.id)
    return run


def remembered_mapping(user: Any, kind: str) -> dict[str, Any]:
    stmt = select(ImportMapping.mapping).where(
        ImportMapping.user_id == user.id, ImportMapping.kind == kind
    )
    return db.session.scalar(stmt) or {}


def set_mapping(run: ImportRun, mapping: list[str | None], on_match: str) -> None:
    """Map the columns (each field at most once) and remember it for the owner's next file."""
    _check_open(run)
    allowed = {f.key for f in FIELDS[run.kind]}
    chosen = [key if key in allowed else None for key in mapping][: len(run.headers)]
    chosen += [None] * (len(run.headers) - len(chosen))
    keys = [key for key in chosen if key]
    if len(keys) != len(set(keys)):
        raise RuleBroken(_l("Each field can take one column only."), "mapping")
    if not keys:
        raise RuleBroken(_l("Choose the field of at least one column."), "mapping")
    run.mapping = chosen
    run.on_match = "update" if on_match == "update" else "skip"
    run.choices = {}
    run.preview, run.error = None, ""  # a dry run of another mapping
    remembered = {heading_key(h): key for h, key in zip(run.headers, chosen, strict=True)}
    saved = db.session.scalar(
        select(ImportMapping).where(
            ImportMapping.user_id == run.owner_id, ImportMapping.kind == run.kind
        )
    )
    if saved is None:
        saved = ImportMapping(user_id=run.owner_id, kind=run.kind)
        db.session.add(saved)
    saved.mapping = {**(saved.mapping or {}), **remembered}
    saved.updated_at = utcnow()
    db.session.flush()


def set_choices(run: ImportRun, choices: dict[str, str], on_match: str, skip_bad: bool) -> None:
    """The reader's update or skip per matched row, the default for the others, and whether
    rows with errors are left out (else any such row stops the commit)."""
    _check_open(run)
    run.on_match = "update" if on_match == "update" else "skip"
    run.choices = {k: c for k, c in choices.items() if c in ("update", "skip")}
    run.skip_bad = bool(skip_bad)
    db.session.flush()


def in_request(run: ImportRun) -> bool:
    """Whether the dry run, commit and undo of ``run`` are done within the request (else a
    worker does them: ``queue``)."""
    return len(run.rows) <= IN_REQUEST


def queue(run: ImportRun, job: str) -> None:
    """Hand ``run``'s ``job`` (``preview``, ``commit`` or ``undo``) to a worker: the caller
    commits, then starts it (``crm.imports.tasks.start``)."""
    if job == "undo":
        _check_undoable(run)
    else:
        _check_open(run)
    run.status, run.job, run.error, run.progress = "queued", job, "", 0
    run.attempt, run.touched_at = 0, utcnow()  # the tries of this job (the tidy-up counts)
    if job == "preview":
        run.preview = None
    db.session.flush()


def _check_open(run: ImportRun) -> None:
    if run.status != "mapping":
        raise RuleBroken(_l("This import has already been committed."))


# --- reading -------------------------------------------------------------------------------------
def get_import(import_id: int, user: Any) -> ImportRun:
    return get_or_not_found(ImportRun, import_id, user)


def imports_query(user: Any) -> Select:
    """``user``'s imports, newest first, for a list: their rows counted, their cells unread."""
    return (
        select(ImportRun)
        .where(visible(ImportRun, user))
        .options(
            defer(ImportRun.rows),
            defer(ImportRun.headers),
            defer(ImportRun.preview),
            with_expression(ImportRun.row_count, func.json_array_length(ImportRun.rows)),
        )
        .order_by(ImportRun.id.desc())
    )


def items_query(run: ImportRun) -> Select:
    """What ``run`` wrote, in the file's order."""
    return select(ImportItem).where(ImportItem.import_id == run.id).order_by(ImportItem.id)


def items_of(run: ImportRun) -> list[ImportItem]:
    return list(db.session.scalars(items_query(run)))


def records_of(user: Any, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Any]:
    """The records named by ``keys`` (``(object_type, id)`` as an import notes them) that
    ``user`` may see, by key: one query per kind. A record missing here is one to show
    neither the name of nor a link to."""
    wanted: dict[str, set[int]] = {}
    for object_type, object_id in keys:
        wanted.setdefault(object_type, set()).add(object_id)
    found: dict[tuple[str, int], Any] = {}
    for object_type, ids in wanted.items():
        model: Any = MODELS[object_type]
        stmt = select(model).where(model.id.in_(sorted(ids)), visible(model, user))
        found.update(((object_type, r.id), r) for r in db.session.scalars(stmt))
    return found


# --- commit --------------------------------------------------------------------------------------
def check_committable(run: ImportRun, preview: Preview) -> None:
    """All or nothing: a row with errors stops the commit unless the reader chose to leave
    such rows out; nothing to write stops it too."""
    check_errors(run, preview)
    if not any(row.action in ("create", "update") for row in preview.rows):
        raise RuleBroken(_l("There is nothing to import: every row is skipped."))


def check_errors(run: ImportRun, preview: Preview) -> None:
    """A row with errors stops the commit unless the reader chose to leave such rows out."""
    if preview.errors and not run.skip_bad:
        raise RuleBroken(
            lazy_ngettext(
                "%(count)s row has errors. Correct the file and upload it again, or choose "
                "to leave the rows with errors out.",
                "%(count)s rows have errors. Correct the file and upload it again, or choose "
                "to leave the rows with errors out.",
                preview.errors,
                count=Formatter.for_user(current_actor()).number(preview.errors),
            )
        )


def commit(run: ImportRun, progress: Progress | None = None) -> dict[str, int]:
    """Write the import as one audited act, as the acting user: the rows to create and to
    update, each through the partners' services, and a note per record for undo. A rule
    broken on any row raises ``RuleBroken`` naming the row: the caller rolls back, and
    nothing is written."""
    _check_importer(current_actor())
    if run.status != "mapping" and (run.status, run.job) != ("running", "commit"):
        raise RuleBroken(_l("This import has already been committed."))
    told = progress or (lambda percent: None)
    preview = dry_run(run, lambda percent: told(percent * CHECKING // 100))
    check_committable(run, preview)
    total = len(preview.rows) or 1
    counts = {"created": 0, "updated": 0, "skipped": 0, "left_out": 0}
    written: list[tuple[Row, Partner | Contact, dict[str, Any]]] = []
    items: list[dict[str, Any]] = []
    with audit_act("import", f"{run.kind}: {run.filename}") as act:
        run.act_id = act.id
        for index, row in enumerate(preview.rows):
            try:
                _write(run, row, counts, written)
            except RuleBroken as error:
                message = next(iter(error.errors.values()))
                raise RuleBroken(
                    _l("Row %(row)s: %(message)s", row=row_number(row.number), message=message)
                ) from None
            if len(written) >= FLUSH_EVERY:
                items += _flushed(run, written)
            if index % 50 == 0:
                told(CHECKING + (100 - CHECKING) * index // total)
        items += _flushed(run, written)
        if items:  # one statement for the notes undo reads
            db.session.execute(insert(ImportItem), items)
        run.status, run.counts, run.finished_at = "done", counts, utcnow()
        run.progress, run.preview = 100, None
        db.session.flush()
    log.info("import %s committed: %s", run.id, counts)
    return counts


def _flushed(
    run: ImportRun, written: list[tuple[Row, Partner | Contact, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Flush the records saved since the last flush (one statement per table for all of
    them, their audit entries too) and empty ``written``: the notes undo reads of them."""
    db.session.flush()
    items = [
        {
            "import_id": run.id,
            "row": row.number,
            "object_type": record.__tablename__,
            "object_id": record.id,
            "action": row.action,
            "before": before,
        }
        for row, record, before in written
    ]
    written.clear()
    return items


def _write(
    run: ImportRun,
    row: Row,
    counts: dict[str, int],
    written: list[tuple[Row, Partner | Contact, dict[str, Any]]],
) -> None:
    if row.action == "error":
        counts["left_out"] += 1
        return
    if row.action == "skip":
        counts["skipped"] += 1
        return
    record: Partner | Contact
    if run.kind == "partners":
        record, before = _write_partner(row)
    else:
        record, before = _write_contact(row)
    written.append((row, record, before))
    counts["created" if row.action == "create" else "updated"] += 1


def _changed(old: Any, new: Any) -> dict[str, Any]:
    """The fields of ``old`` (a …Data) that ``new`` changes, with their old values."""
    return {
        f.name: _plain(getattr(old, f.name))
        for f in fields(old)
        if getattr(old, f.name) != getattr(new, f.name)
    }


def _plain(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _write_partner(row: Row) -> tuple[Partner, dict[str, Any]]:
    if row.action == "create":
        return save_partner(None, row.data, flush=False), {}
    partner = db.session.get_one(Partner, row.match_id)
    before = _changed(partner_data(partner), row.data)
    return save_partner(partner, row.data, flush=False), before


def _write_contact(row: Row) -> tuple[Contact, dict[str, Any]]:
    if row.action == "create":
        partner = db.session.get_one(Partner, row.partner_id)
        return save_contact(None, row.data, partner, flush=False), {}
    contact = db.session.get_one(Contact, row.match_id)
    before = _changed(contact_data(contact), row.data)
    return save_contact(contact, row.data, flush=False), before


# --- undo ----------------------------------------------------------------------------------------
MODELS = {"partners": Partner, "contacts": Contact}


def edited_since(run: ImportRun, items: list[ImportItem]) -> set[tuple[str, int]]:
    """The records of ``items`` changed (edited, archived, restored) by any act after the
    import's own."""
    keys = {(item.object_type, item.object_id) for item in items}
    found: set[tuple[str, int]] = set()
    listed = sorted(keys)
    for start in range(0, len(listed), 500):
        chunk = listed[start : start + 500]
        stmt = select(AuditEntry.object_type, AuditEntry.object_id).where(
            AuditEntry.act_id > (run.act_id or 0),
            tuple_(AuditEntry.object_type, AuditEntry.object_id).in_(chunk),
        )
        found |= {(r.object_type, r.object_id) for r in db.session.execute(stmt.distinct())}
    return found


def _check_undoable(run: ImportRun) -> None:
    if run.status != "done":
        raise RuleBroken(_l("Only a committed import can be undone."))


def undo(run: ImportRun, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Undo a committed import as one audited act of the acting user: archive what it
    created, put back the old values of what it changed. A record edited since is left as
    it is and listed (kept on the run, ``kept``)."""
    _check_importer(current_actor())
    if (run.status, run.job) != ("running", "undo"):
        _check_undoable(run)
    items = items_of(run)
    edited = edited_since(run, items)
    kept: list[dict[str, Any]] = []
    total = len(items) or 1
    with audit_act("import_undo", f"{run.kind}: {run.filename}") as act:
        for start in range(0, len(items), FLUSH_EVERY):  # from the last row up
            chunk = items[::-1][start : start + FLUSH_EVERY]
            if progress is not None:
                progress(int(100 * start / total))
            loaded = _loaded(chunk)
            for item in chunk:
                key = (item.object_type, item.object_id)
                record = loaded.get(key)
                if record is None:
                    continue
                if key in edited:
                    kept.append({"type": item.object_type, "id": item.object_id, "row": item.row})
                elif item.action == "create":
                    records.archive(record, flush=False)
                else:
                    _restore(record, item.before)
            db.session.flush()
        run.undo_act_id, run.status, run.kept = act.id, "undone", kept[::-1]
        run.progress = 100
        db.session.flush()
    return run.kept


def _loaded(items: list[ImportItem]) -> dict[tuple[str, int], Any]:
    """The records of ``items``, by (object type, id): one query per kind."""
    wanted: dict[str, list[int]] = {}
    for item in items:
        wanted.setdefault(item.object_type, []).append(item.object_id)
    found: dict[tuple[str, int], Any] = {}
    for object_type, ids in wanted.items():
        model: Any = MODELS[object_type]
        stmt = select(model).where(model.id.in_(ids))
        found.update(((object_type, r.id), r) for r in db.session.scalars(stmt))
    return found


def _restore(record: Any, before: dict[str, Any]) -> None:
    from datetime import date

    if isinstance(record, Partner):
        data = partner_data(record)
        for key, value in before.items():
            if key == "relationship_since" and value:
                value = date.fromisoformat(value)
            setattr(data, key, value)
        save_partner(record, data, flush=False)
    else:
        contact = contact_data(record)
        for key, value in before.items():
            setattr(contact, key, value)
        save_contact(record, contact, flush=False)


__all__ = ["IN_REQUEST", "ContactData", "PartnerData", "Preview", "dry_run"]
