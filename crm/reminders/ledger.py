"""The reminder ledger: writing what a sweep found, claiming a row for delivery, and the
reaper. Every change of a row is one conditional statement, so that any number of sweeps and
workers, on any hosts, agree on each row's state."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Executable, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from crm.extensions import db
from crm.reminders.models import Reminder

CLAIM_TIMEOUT = timedelta(minutes=10)  # a row "sending" longer than this was abandoned
REQUEUE_AFTER = timedelta(minutes=10)  # a pending row enqueued longer ago is enqueued again
BATCH = 500


def write(rows: Iterable[dict[str, Any]]) -> int:
    """Insert ``rows`` that are not in the ledger yet (the unique occurrence decides); returns
    how many were new."""
    dialect = sqlite if db.engine.dialect.name == "sqlite" else postgresql
    written, batch = 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            written += _insert(dialect, batch)
            batch = []
    if batch:
        written += _insert(dialect, batch)
    return written


def _insert(dialect: Any, batch: list[dict[str, Any]]) -> int:
    table = Reminder.__table__
    stmt = dialect.insert(table).on_conflict_do_nothing().returning(table.c.id)
    return len(db.session.execute(stmt, batch).all())  # only the rows inserted come back


def _changed(stmt: Executable) -> int:
    """Run an UPDATE; how many rows it changed."""
    return cast(CursorResult, db.session.execute(stmt)).rowcount or 0


def ready(now: datetime) -> list[int]:
    """The pending rows due by ``now`` that no worker has been given lately (never, or before
    ``REQUEUE_AFTER``: a queue lost with Redis), marked as given now."""
    ids = list(
        db.session.scalars(
            select(Reminder.id).where(
                Reminder.status == "pending",
                Reminder.due_at <= now,
                or_(Reminder.next_try_at.is_(None), Reminder.next_try_at <= now),
                or_(Reminder.enqueued_at.is_(None), Reminder.enqueued_at <= now - REQUEUE_AFTER),
            )
        )
    )
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        db.session.execute(update(Reminder).where(Reminder.id.in_(chunk)).values(enqueued_at=now))
    return ids


def claim(reminder_id: int, now: datetime) -> bool:
    """Take a pending row for delivery (pending -> sending); False when another worker has it,
    it was delivered already, or its retry is not due yet. Commits, so others see the claim."""
    claimed = _changed(
        update(Reminder)
        .where(
            Reminder.id == reminder_id,
            Reminder.status == "pending",
            or_(Reminder.next_try_at.is_(None), Reminder.next_try_at <= now),
        )
        .values(status="sending", claimed_at=now, attempts=Reminder.attempts + 1)
    )
    db.session.commit()
    return bool(claimed)


def reap(now: datetime, max_attempts: int) -> int:
    """Rows left "sending" by a worker that died: back to pending, or failed after the last
    attempt. Returns how many were returned or failed."""
    stuck = (Reminder.status == "sending", Reminder.claimed_at <= now - CLAIM_TIMEOUT)
    failed = _changed(
        update(Reminder)
        .where(*stuck, Reminder.attempts >= max_attempts)
        .values(status="failed", last_error="The worker stopped while sending it.")
    )
    return failed + _changed(
        update(Reminder).where(*stuck).values(status="pending", enqueued_at=None)
    )


def retry_later(reminder: Reminder, now: datetime, error: str, max_attempts: int) -> None:
    """A failed attempt: try again after a back-off (1, 5, 25… minutes), or give up."""
    reminder.last_error = error[:1000]
    if reminder.attempts >= max_attempts:
        reminder.status = "failed"
        return
    reminder.status = "pending"
    reminder.enqueued_at = None
    reminder.next_try_at = now + timedelta(minutes=5 ** (reminder.attempts - 1))


def retry_failed(reminder_id: int) -> bool:
    """An admin's retry of a failed row: pending again, with its attempts afresh."""
    return bool(
        _changed(
            update(Reminder)
            .where(Reminder.id == reminder_id, Reminder.status == "failed")
            .values(status="pending", attempts=0, next_try_at=None, enqueued_at=None)
        )
    )


def counts() -> dict[str, int]:
    """Rows by status."""
    stmt = select(Reminder.status, func.count()).group_by(Reminder.status)
    return dict(db.session.execute(stmt).all())
