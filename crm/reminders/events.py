"""Telling of something as it happens (a stage request made or decided), through the same
ledger and delivery as the reminders a sweep finds.

``tell`` runs in the transaction of the act it tells of: each recipient's in-app notification is
written there and then (its ledger row written as sent with it, so the bell shows it the moment
the act is committed, and never when the act is rolled back); the e-mail, for a recipient who
has not turned that rule's e-mail off, is a pending ledger row that is handed to the queue once
the act commits (``crm.jobs.enqueue_after_commit``) and, should Redis be away, by the next sweep.
Delivery then checks that it still applies and writes it in the recipient's language and zone.
"""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from crm import jobs
from crm.auth.models import User
from crm.extensions import db
from crm.formatting import Formatter
from crm.notifications.models import Notification
from crm.reminders.messages import Due
from crm.reminders.models import Reminder, UserReminderSetting
from crm.reminders.rules import RULES
from crm.reminders.settings import load
from crm.reminders.tasks import deliver_job


def tell(dues: Iterable[Due], now: datetime) -> list[Reminder]:
    """Write the in-app notification of each of ``dues`` now and queue its e-mail after the
    commit; returns the ledger rows written. The caller commits."""
    dues = list(dues)
    if not dues:
        return []
    recipients = {d.recipient_id for d in dues}
    no_email = set(
        db.session.execute(
            select(UserReminderSetting.user_id, UserReminderSetting.rule).where(
                UserReminderSetting.user_id.in_(recipients), UserReminderSetting.email.is_(False)
            )
        )
    )
    settings = load()
    rows: list[Reminder] = []
    for due in dues:
        rule, recipient = RULES[due.rule], db.session.get_one(User, due.recipient_id)
        in_app = _row(due, "in_app", now, status="sent", sent_at=now)
        db.session.add(in_app)
        db.session.flush()
        record = rule.current(in_app, recipient, settings)
        if record is None:  # (its rule's own check; the caller chose who is told)
            in_app.status, in_app.sent_at = "cancelled", None
            continue
        message = rule.message(Formatter.for_user(recipient), recipient, record, in_app)
        db.session.add(
            Notification(
                user_id=recipient.id,
                kind=due.rule,
                subject=message.subject[:500],
                record_kind=message.record_kind,
                record_id=message.record_id,
                reminder_id=in_app.id,
                created_at=now,
            )
        )
        rows.append(in_app)
        if (recipient.id, due.rule) not in no_email:
            email = _row(due, "email", now)
            db.session.add(email)
            rows.append(email)
    db.session.flush()
    for row in rows:
        if row.channel == "email":
            jobs.enqueue_after_commit(deliver_job, row.id, job_id=f"deliver-{row.id}")
    return rows


def _row(due: Due, channel: str, now: datetime, **values) -> Reminder:
    return Reminder(
        rule=due.rule,
        record_kind=due.record_kind,
        record_id=due.record_id,
        occurrence=due.occurrence,
        recipient_id=due.recipient_id,
        channel=channel,
        due_at=due.due_at,
        created_at=now,
        attempts=0,
        last_error="",
        **{"status": "pending", **values},
    )


def managers() -> list[User]:
    """The active managers (who are told of a request waiting for a decision)."""
    return list(
        db.session.scalars(select(User).where(User.active.is_(True), User.role == "manager"))
    )
