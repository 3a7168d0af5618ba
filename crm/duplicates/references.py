"""What points at a merged partner or contact from outside the records' own tables, moved to
the survivor by a merge and put back by its undo:

- in-app notifications that link to it (``record_kind``, ``record_id``);
- reminders still waiting to go out about it (the ledger's ``pending`` rows), unless the
  survivor already has the same one, or the reminder is about a date the survivor does not
  share (an anniversary of the other's ``relationship_since`` when the survivor kept its own):
  those stay and are cancelled when their turn comes, as for any archived record;
- briefing packs queued to be prepared that name the partner: they name the survivor
  instead, once. A pack being prepared or ready is left as it was asked for and made.

Contacts are named only by notifications and reminders; no rule reminds of a contact today,
so for them these find nothing until one does. ``move`` returns what moved as plain values
for the ``Merge`` row; ``put_back`` undoes exactly that, leaving what changed since.
"""

from typing import Any

from sqlalchemy import select, update

from crm.extensions import db
from crm.files.models import PreparedFile
from crm.notifications.models import Notification
from crm.reminders.models import Reminder
from crm.reminders.rules import Anniversary

# rule → the field of the record whose date its reminders are about
DATED_BY = {Anniversary.name: Anniversary.KINDS["partner"][1]}


def _twin(reminder: Reminder, record_id: int) -> Any:
    """The same reminder about ``record_id``: the ledger holds each one once."""
    return select(Reminder.id).where(
        Reminder.rule == reminder.rule,
        Reminder.record_kind == reminder.record_kind,
        Reminder.record_id == record_id,
        Reminder.occurrence == reminder.occurrence,
        Reminder.recipient_id == reminder.recipient_id,
        Reminder.channel == reminder.channel,
    )


def _move_reminders(reminders: list[Reminder], to_id: int) -> list[int]:
    """Point ``reminders`` at record ``to_id``, each unless that record has its twin; returns
    the ids moved."""
    moved = []
    for reminder in reminders:
        if db.session.scalar(_twin(reminder, to_id).limit(1)) is None:
            reminder.record_id = to_id
            moved.append(reminder.id)
            db.session.flush()  # the next one's twin may be this one
    return moved


def _pending(kind: str, record_id: int, *where: Any) -> list[Reminder]:
    stmt = select(Reminder).where(
        Reminder.record_kind == kind,
        Reminder.record_id == record_id,
        Reminder.status == "pending",
        *where,
    )
    return list(db.session.scalars(stmt.order_by(Reminder.id)))


def _same_date(reminder: Reminder, survivor: Any, other: Any) -> bool:
    """The reminder is about a date the survivor has too (or about no date of the record)."""
    name = DATED_BY.get(reminder.rule)
    return name is None or getattr(survivor, name) == getattr(other, name)


def move(kind: str, survivor: Any, other: Any) -> dict[str, Any]:
    """Point what names ``other`` (a ``kind``: ``partner`` or ``contact``) at ``survivor``."""
    notifications = list(
        db.session.scalars(
            select(Notification.id).where(
                Notification.record_kind == kind, Notification.record_id == other.id
            )
        )
    )
    if notifications:
        db.session.execute(
            update(Notification)
            .where(Notification.id.in_(notifications))
            .values(record_id=survivor.id)
        )
    reminders = _move_reminders(
        [r for r in _pending(kind, other.id) if _same_date(r, survivor, other)], survivor.id
    )
    files: dict[str, list[int]] = {}
    if kind == "partner":
        for prepared in db.session.scalars(
            select(PreparedFile).where(PreparedFile.kind == "pack", PreparedFile.status == "queued")
        ):
            ids = [int(i) for i in prepared.parameters.get("partner_ids") or []]
            if other.id in ids:
                files[str(prepared.id)] = ids
                named = [survivor.id if i == other.id else i for i in ids]
                prepared.parameters = {
                    **prepared.parameters,
                    "partner_ids": list(dict.fromkeys(named)),
                }
    return {"notifications": notifications, "reminders": reminders, "files": files}


def put_back(kind: str, survivor_id: int, other_id: int, moved: dict[str, Any]) -> None:
    """Undo ``move``: what still names the survivor as the merge left it names the other
    again (a reminder sent since, or a pack being prepared since, stays as it is)."""
    if moved.get("notifications"):
        db.session.execute(
            update(Notification)
            .where(
                Notification.id.in_(moved["notifications"]),
                Notification.record_kind == kind,
                Notification.record_id == survivor_id,
            )
            .values(record_id=other_id)
        )
    if moved.get("reminders"):
        _move_reminders(_pending(kind, survivor_id, Reminder.id.in_(moved["reminders"])), other_id)
    for file_id, ids in (moved.get("files") or {}).items():
        prepared = db.session.get(PreparedFile, int(file_id))
        if prepared is None or prepared.status != "queued":
            continue
        named = list(dict.fromkeys(survivor_id if i == other_id else i for i in ids))
        if [int(i) for i in prepared.parameters.get("partner_ids") or []] == named:
            prepared.parameters = {**prepared.parameters, "partner_ids": ids}
