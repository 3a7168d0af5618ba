"""Delivery of one ledger row: claim it, check it still applies, tell its recipient, mark it.

In-app: the notification is written in the same transaction as the row's "sent", so it exists
exactly once, whatever stops when. E-mail: sent, then marked; a worker that dies between the
two leaves the row "sending", the reaper gives it back, and it is sent again with the same
``Message-ID`` (the one narrow window, see the README).
"""

import logging
from datetime import datetime
from typing import Any

from crm.auth.models import User
from crm.extensions import db
from crm.formatting import Formatter
from crm.models import utcnow
from crm.notifications.models import Notification
from crm.notifications.services import RECORD_LINKS
from crm.reminders import ledger, mail
from crm.reminders.models import Reminder
from crm.reminders.rules import RULES, Message
from crm.reminders.settings import Settings, load

log = logging.getLogger(__name__)


def deliver(reminder_id: int, now: datetime | None = None) -> str:
    """Deliver one row if it is pending and due; returns what became of it (``sent``,
    ``cancelled``, ``retry``, ``failed`` or ``not claimed``)."""
    now = now or utcnow()
    if not ledger.claim(reminder_id, now):
        return "not claimed"
    settings = load()
    reminder = db.session.get_one(Reminder, reminder_id)
    try:
        outcome = _deliver(reminder, now, settings)
    except Exception as error:  # noqa: BLE001 - any failure is retried, then shown to admins
        db.session.rollback()
        reminder = db.session.get_one(Reminder, reminder_id)
        log.warning("reminder %s failed: %s", reminder_id, error.__class__.__name__)
        problem = f"{error.__class__.__name__}: {error}"
        ledger.retry_later(reminder, now, problem, settings.max_attempts)
        outcome = "failed" if reminder.status == "failed" else "retry"
    db.session.commit()
    return outcome


def _deliver(reminder: Reminder, now: datetime, settings: Settings) -> str:
    rule = RULES.get(reminder.rule)
    recipient = db.session.get(User, reminder.recipient_id)
    record = None
    if rule is not None and recipient is not None and recipient.active:
        record = rule.current(reminder, recipient, settings)
    if rule is None or recipient is None or record is None:
        reminder.status = "cancelled"
        reminder.last_error = "It no longer applies."
        return "cancelled"
    reader = Formatter.for_user(recipient)
    message = rule.message(reader, recipient, record, reminder)
    if reminder.channel == "in_app":
        db.session.add(
            Notification(
                user_id=recipient.id,
                kind=reminder.rule,
                subject=message.subject[:500],
                record_kind=message.record_kind,
                record_id=message.record_id,
                reminder_id=reminder.id,
                late=reminder.late,
                created_at=now,
            )
        )
    else:
        mail.send(_email(reader, recipient, reminder, message))
    reminder.status, reminder.sent_at, reminder.last_error = "sent", now, ""
    return "sent"


def _email(reader: Formatter, recipient: Any, reminder: Reminder, message: Message):
    link = None
    if reminder.rule == "stage_request_waiting":  # where the manager grants or refuses it
        link = mail.record_link("agreements.requests")
    elif message.record_kind in RECORD_LINKS:
        endpoint, name = RECORD_LINKS[message.record_kind]
        link = mail.record_link(endpoint, **{name: message.record_id})
    elif reminder.rule == "digest":
        link = mail.record_link("activities.mine")
    elif reminder.rule == "dormant_partners":
        link = mail.record_link("partners.index", owner=recipient.id)
    return mail.compose(
        reader,
        recipient.email,
        message.subject,
        "reminder",
        reminder.message_id,
        message=message,
        link=link,
        late=reminder.late,
        settings_link=mail.record_link("auth.settings"),
    )
