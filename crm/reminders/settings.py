"""The reminders' settings an admin can change (``ReminderSetting`` rows), with their defaults."""

from dataclasses import dataclass, fields, replace

from sqlalchemy import select

from crm.extensions import db
from crm.reminders.models import ReminderSetting


@dataclass(frozen=True)
class Settings:
    digest_hour: int = 8  # the morning hour, in each user's zone, of the digest and date reminders
    expiry_days: tuple[int, ...] = (90, 30, 7)  # ahead of an expiry and a renewal-notice deadline
    milestone_days: tuple[int, ...] = (7, 0)  # ahead of a milestone's due date (0: on the day)
    catch_up_days: int = (
        3  # after downtime, what was missed within this is sent late; older, skipped
    )
    max_attempts: int = 5  # of an e-mail, before it is failed
    approval_repeat_days: int = 3  # an agreement waiting for approval is reminded again after
    dormant_days: int = 180  # a partner without activity this long is dormant
    activity_remind_minutes: int = 60  # a new activity's "remind me" (0: no reminder)
    first_look_back_minutes: int = 15  # the first sweep of a database looks back only this far


def _parse(kind: type, text: str):
    if kind is int:
        return int(text)
    return tuple(sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True))


def load() -> Settings:
    """The settings as saved, a missing or unreadable one at its default."""
    saved = dict(db.session.execute(select(ReminderSetting.key, ReminderSetting.value)).all())
    settings = Settings()
    for field in fields(Settings):
        if field.name in saved:
            kind = int if field.type in (int, "int") else tuple
            try:
                settings = replace(settings, **{field.name: _parse(kind, saved[field.name])})
            except ValueError:
                continue
    return settings
