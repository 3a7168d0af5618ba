"""What people change and see of the reminders: a user's e-mail choices, the admin's settings,
and the state of the queue, the workers and the ledger."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import redis
from flask_babel import lazy_gettext as _l
from rq import Worker
from rq.registry import FailedJobRegistry
from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from crm import jobs
from crm.extensions import db
from crm.models import utcnow
from crm.reminders import ledger
from crm.reminders.models import Reminder, ReminderSetting, SweepRun, UserReminderSetting
from crm.reminders.settings import Settings, load

RULE_LABELS = {  # in the order the settings show them
    "activity_due": _l("Reminders of my planned activities"),
    "digest": _l("My daily digest: overdue, today, this week"),
    "agreement_expiry": _l("Agreements about to expire"),
    "renewal_notice": _l("Renewal-notice deadlines of agreements"),
    "milestone_due": _l("Milestones and obligations I am responsible for"),
    "agreement_lapsed": _l("Agreements that expired or renewed themselves"),
    "approval_waiting": _l("Agreements waiting for my approval (managers)"),
    "stage_request_waiting": _l("Stage requests waiting for my decision (managers)"),
    "stage_request_decided": _l("My stage requests granted or refused"),
    "anniversary": _l("Anniversaries of relationships and signings"),
    "dormant_partners": _l("My partners with no activity for a long time (weekly)"),
}


WORKER_STATES = {  # RQ's states of a worker
    "idle": _l("waiting for work"),
    "busy": _l("working"),
    "started": _l("starting"),
    "suspended": _l("suspended"),
}


def email_choices(user: Any) -> dict[str, bool]:
    """Per rule, whether the user also gets its reminders by e-mail (default: yes)."""
    saved = dict(
        db.session.execute(
            select(UserReminderSetting.rule, UserReminderSetting.email).where(
                UserReminderSetting.user_id == user.id
            )
        ).all()
    )
    return {rule: saved.get(rule, True) for rule in RULE_LABELS}


def set_email_choices(user: Any, by_email: set[str]) -> None:
    db.session.execute(delete(UserReminderSetting).where(UserReminderSetting.user_id == user.id))
    for rule in RULE_LABELS:
        db.session.add(UserReminderSetting(user_id=user.id, rule=rule, email=rule in by_email))


@dataclass
class SettingsData:
    digest_hour: int = Settings.digest_hour
    expiry_days: tuple[int, ...] = Settings.expiry_days
    milestone_days: tuple[int, ...] = Settings.milestone_days
    catch_up_days: int = Settings.catch_up_days
    max_attempts: int = Settings.max_attempts
    approval_repeat_days: int = Settings.approval_repeat_days
    dormant_days: int = Settings.dormant_days
    activity_remind_minutes: int = Settings.activity_remind_minutes


def save_settings(data: SettingsData) -> Settings:
    values = {
        "digest_hour": str(data.digest_hour),
        "expiry_days": ",".join(str(d) for d in data.expiry_days),
        "milestone_days": ",".join(str(d) for d in data.milestone_days),
        "catch_up_days": str(data.catch_up_days),
        "max_attempts": str(data.max_attempts),
        "approval_repeat_days": str(data.approval_repeat_days),
        "dormant_days": str(data.dormant_days),
        "activity_remind_minutes": str(data.activity_remind_minutes),
    }
    for key, value in values.items():
        row = db.session.get(ReminderSetting, key)
        if row is None:
            db.session.add(ReminderSetting(key=key, value=value))
        else:
            row.value = value
    db.session.flush()
    return load()


@dataclass
class Status:
    """What the admin page shows."""

    settings: Settings
    last_sweep: SweepRun | None
    counts: dict[str, int]
    problems: list[Reminder]  # failed, and late ones of the last week
    redis_error: str | None = None
    queued: int | None = None
    failed_jobs: int | None = None
    workers: list[dict] = field(default_factory=list)
    embedded: bool = False

    @property
    def sweep_age(self) -> timedelta | None:
        return utcnow() - self.last_sweep.started_at if self.last_sweep else None


def status(now: datetime | None = None) -> Status:
    from flask import current_app

    now = now or utcnow()
    problems = db.session.scalars(
        select(Reminder)
        .where(
            (Reminder.status == "failed")
            | ((Reminder.late.is_(True)) & (Reminder.created_at >= now - timedelta(days=7)))
        )
        .options(selectinload(Reminder.recipient))
        .order_by(Reminder.id.desc())
        .limit(100)
    )
    last = db.session.scalars(select(SweepRun).order_by(SweepRun.id.desc()).limit(1)).first()
    result = Status(load(), last, ledger.counts(), list(problems))
    result.embedded = bool(current_app.config["CRM_EMBEDDED_JOBS"])
    try:
        queue = jobs.queue()
        result.queued = queue.count
        result.failed_jobs = FailedJobRegistry(queue=queue).count
        result.workers = [
            {"name": w.name, "state": w.get_state(), "heartbeat": w.last_heartbeat}
            for w in Worker.all(queue=queue)
        ]
    except redis.RedisError as error:
        result.redis_error = error.__class__.__name__
    return result
