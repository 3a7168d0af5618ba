"""The sweep: find what fell due since the last sweep, write it to the ledger, hand it out.

Each sweep looks at the span from where the last one stopped to now, so nothing in between is
missed however long the pause. After downtime, what fell due within the catch-up window
(``Settings.catch_up_days``) is written pending and marked late; what is older is written
skipped: never a burst of stale messages. The first sweep of a database looks back only
``Settings.first_look_back_minutes``, so it floods no one. Two sweeps at once write each row
once (the ledger's unique occurrence) and a row is delivered once (its claim).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from time import perf_counter

from sqlalchemy import func, select

from crm.agreements.models import Agreement
from crm.agreements.pipeline import LAPSING, lapse
from crm.auth.models import User
from crm.extensions import db
from crm.formatting import Formatter
from crm.models import utcnow
from crm.permissions import acting_as
from crm.reminders import ledger
from crm.reminders.models import SweepRun, UserReminderSetting
from crm.reminders.rules import RULES, AgreementLapsed, Due
from crm.reminders.settings import load

LATE_AFTER = timedelta(minutes=15)  # a reminder sent this long after its moment is marked late


@dataclass
class SweepResult:
    since: datetime
    until: datetime
    written: int = 0
    skipped: int = 0
    reaped: int = 0
    ready: list[int] = field(default_factory=list)  # rows to deliver now
    seconds: float = 0.0


def sweep(now: datetime | None = None) -> SweepResult:
    """One sweep up to ``now``: rows written and committed; ``ready`` holds the ids to deliver
    (``crm.reminders.delivery.deliver``, usually as jobs)."""
    started = perf_counter()
    now = now or utcnow()
    settings = load()
    last = db.session.scalar(select(func.max(SweepRun.until)))
    since = last if last is not None else now - timedelta(minutes=settings.first_look_back_minutes)
    result = SweepResult(since=min(since, now), until=now)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.active.is_(True)))}
    no_email = set(
        db.session.execute(
            select(UserReminderSetting.user_id, UserReminderSetting.rule).where(
                UserReminderSetting.email.is_(False)
            )
        )
    )
    horizon = now - timedelta(days=settings.catch_up_days)
    rows = []
    for due in _lapse_agreements(now, users):
        rows += _rows(due, now, horizon, no_email)
    for rule in RULES.values():
        for due in rule.due(result.since, now, users, settings):
            rows += _rows(due, now, horizon, no_email)
    result.skipped = sum(1 for row in rows if row["status"] == "skipped")
    result.written = ledger.write(rows)
    result.reaped = ledger.reap(now, settings.max_attempts)
    result.ready = ledger.ready(now)
    result.seconds = perf_counter() - started
    db.session.add(
        SweepRun(
            started_at=now,
            until=now,
            seconds=result.seconds,
            written=result.written,
            skipped=result.skipped,
        )
    )
    db.session.commit()
    return result


def _lapse_agreements(now: datetime, users: dict) -> list[Due]:
    """Agreements whose expiry date has ended (in the application's zone: a date is a date)
    expire, or renew themselves for their term; their owner and the managers are told."""
    reader = Formatter.default()
    today = now.astimezone(reader.zone).date()
    lapsed = db.session.scalars(
        select(Agreement).where(
            Agreement.archived_at.is_(None),
            Agreement.stage.in_(LAPSING),
            Agreement.expires_on < today,
        )
    )
    told: list[Due] = []
    with acting_as(None, via="job"):
        for agreement in lapsed:
            ended_on = agreement.expires_on
            assert ended_on is not None  # the query's
            outcome = lapse(agreement, today, reader)
            told += AgreementLapsed().told(agreement, ended_on, outcome, users, now)
    return told


def _rows(due: Due, now: datetime, horizon: datetime, no_email: set) -> list[dict]:
    channels = ["in_app"] if (due.recipient_id, due.rule) in no_email else ["in_app", "email"]
    status = "skipped" if due.due_at <= horizon else "pending"
    return [
        {
            "rule": due.rule,
            "record_kind": due.record_kind,
            "record_id": due.record_id,
            "occurrence": due.occurrence,
            "recipient_id": due.recipient_id,
            "channel": channel,
            "due_at": due.due_at,
            "status": status,
            "late": status == "pending" and due.due_at < now - LATE_AFTER,
            "attempts": 0,
            "last_error": "",
            "created_at": now,
        }
        for channel in channels
    ]


def last_run() -> SweepRun | None:
    return db.session.scalars(select(SweepRun).order_by(SweepRun.id.desc()).limit(1)).first()
