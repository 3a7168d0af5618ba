"""What reminds whom, and when: each rule finds the reminders due in a span of time, and tells at
delivery whether one still applies and what it says.

A reminder is due at a moment in UTC computed in its recipient's time zone: a reminder about a
time (a meeting at 10:00) goes out the activity's own "remind me" ahead of it; one about a date
(a due date, an expiry) goes out at the morning hour of the digest (``Settings.digest_hour``) in
the recipient's zone, on the day it is about or the given number of days ahead. A date is a
date: it never moves a day with the zone. Each reminder names its occurrence (the moment it is
about, and how far ahead), so a changed date is a new occurrence; the old one is found not to
apply any more when delivery comes to it, and is cancelled.
"""

from calendar import isleap
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from itertools import count
from typing import Any

from sqlalchemy import and_, func, or_, select

from crm.activities.lists import dormant
from crm.activities.models import Activity
from crm.agreements.models import MAX_RENEWAL_NOTICE_DAYS, Agreement, Milestone, StageChange
from crm.agreements.permissions import sees_agreement
from crm.extensions import db
from crm.formatting import Formatter, local_to_utc, zone_of
from crm.partners.models import Partner
from crm.permissions import sees
from crm.reminders.messages import Due, Message
from crm.reminders.models import Reminder
from crm.reminders.request_rules import StageRequestDecided, StageRequestWaiting
from crm.reminders.settings import Settings

DAY = 1440  # minutes
LIVE_STAGES = ("signed", "active", "renewal")  # agreements whose expiry matters


def morning(day: date, user: Any, settings: Settings) -> datetime:
    """The digest's hour on ``day`` in ``user``'s zone, in UTC."""
    return local_to_utc(day, time(settings.digest_hour), zone_of(user.timezone))


def _in_span(due_at: datetime, since: datetime, until: datetime) -> bool:
    return since < due_at <= until


def _days(since: datetime, until: datetime, ahead: Sequence[int]) -> tuple[date, date]:
    """The dates a reminder ``ahead`` days before them can fall due in (since, until], in any
    zone (a day either side)."""
    return (
        since.date() - timedelta(days=1) + timedelta(days=min(ahead, default=0)),
        until.date() + timedelta(days=1) + timedelta(days=max(ahead, default=0)),
    )


# --- a planned activity: its owner, its own "remind me" ahead -------------------------------
def activity_moment(
    starts_at: datetime | None, due_on: date | None, minutes: int, owner: Any, settings: Settings
) -> tuple[str, datetime] | None:
    """The occurrence and due moment of an activity's reminder: ``minutes`` before its time,
    or, for a due date, the morning of the day that many whole days before (on the day for
    less than a day)."""
    if starts_at is not None:
        return f"{starts_at:%Y%m%dT%H%MZ}-{minutes}", starts_at - timedelta(minutes=minutes)
    if due_on is not None:
        ahead = timedelta(days=minutes // DAY)
        return f"{due_on.isoformat()}-{minutes}", morning(due_on - ahead, owner, settings)
    return None


class ActivityDue:
    name, record_kind = "activity_due", "activity"

    def due(
        self, since: datetime, until: datetime, users: dict, settings: Settings
    ) -> Iterator[Due]:
        longest = timedelta(days=7, hours=1)  # the longest "remind me" (a week), and a day
        # The current activities of about a week, from the index of their time; the status is
        # tested on each (an index of the status alone would read every planned activity).
        rows = db.session.execute(
            select(
                Activity.id,
                Activity.owner_id,
                Activity.starts_at,
                Activity.due_on,
                Activity.remind_before_minutes,
                Activity.status,
            ).where(
                Activity.archived_at.is_(None),
                Activity.when_at > since - timedelta(days=1, hours=2),
                Activity.when_at <= until + longest,
            )
        )
        for activity_id, owner_id, starts_at, due_on, minutes, status in rows:
            owner = users.get(owner_id)
            if owner is None or minutes is None or status != "planned":
                continue
            found = activity_moment(starts_at, due_on, minutes, owner, settings)
            if found and _in_span(found[1], since, until):
                yield Due(self.name, self.record_kind, activity_id, found[0], owner.id, found[1])

    def current(self, reminder: Reminder, recipient: Any, settings: Settings):
        activity = db.session.get(Activity, reminder.record_id)
        if (
            activity is None
            or activity.archived
            or activity.status != "planned"
            or activity.owner_id != recipient.id
            or activity.remind_before_minutes is None
            or not sees(recipient, activity)
        ):
            return None
        found = activity_moment(
            activity.starts_at,
            activity.due_on,
            activity.remind_before_minutes,
            recipient,
            settings,
        )
        return activity if found and found[0] == reminder.occurrence else None

    def message(
        self, reader: Formatter, recipient: Any, activity: Activity, reminder: Reminder
    ) -> Message:
        if activity.starts_at is not None:
            when = reader.datetime(activity.starts_at)
        else:
            when = reader.catalog.gettext("due %(date)s") % {"date": reader.date(activity.due_on)}
        _ = reader.catalog.gettext
        lines = [(_("When"), when)]
        if activity.partner is not None and sees(recipient, activity.partner):
            lines.append((_("Partner"), reader.name(activity.partner)))
        if activity.location:
            lines.append((_("Location"), activity.location))
        return Message(
            _("Reminder: %(subject)s, %(when)s") % {"subject": activity.subject, "when": when},
            lines,
            self.record_kind,
            activity.id,
        )


# --- an agreement's expiry and its renewal-notice deadline: owner and managers --------------
def _agreement_recipients(row: Any, users: dict) -> list[Any]:
    owner = users.get(row.owner_id)
    managers = [u for u in users.values() if u.role == "manager"]
    chosen = ([owner] if owner is not None else []) + [m for m in managers if m is not owner]
    return [u for u in chosen if sees_agreement(u, row)]


class AgreementDate:
    """Reminders ``Settings.expiry_days`` ahead of a date of a signed or active agreement."""

    name, record_kind, reach = "agreement", "agreement", 0  # reach: days from the date to expiry

    def day(self, expires_on: date, notice_days: int) -> date | None:
        raise NotImplementedError

    def due(
        self, since: datetime, until: datetime, users: dict, settings: Settings
    ) -> Iterator[Due]:
        first, last = _days(since, until, settings.expiry_days)
        rows = db.session.execute(
            select(
                Agreement.id,
                Agreement.owner_id,
                Agreement.expires_on,
                Agreement.renewal_notice_days,
                Agreement.confidentiality,
            ).where(
                Agreement.archived_at.is_(None),
                Agreement.stage.in_(LIVE_STAGES),
                Agreement.expires_on >= first,
                Agreement.expires_on <= last + timedelta(days=self.reach),
            )
        )
        for row in rows:
            day = self.day(row.expires_on, row.renewal_notice_days)
            if day is None:
                continue
            for ahead in settings.expiry_days:
                for user in _agreement_recipients(row, users):
                    due_at = morning(day - timedelta(days=ahead), user, settings)
                    if _in_span(due_at, since, until):
                        occurrence = f"{day.isoformat()}-{ahead}"
                        yield Due(self.name, "agreement", row.id, occurrence, user.id, due_at)

    def current(self, reminder: Reminder, recipient: Any, settings: Settings):
        agreement = db.session.get(Agreement, reminder.record_id)
        if agreement is None or agreement.archived or agreement.stage not in LIVE_STAGES:
            return None
        told = recipient.id == agreement.owner_id or recipient.role == "manager"
        if not told or not sees(recipient, agreement):
            return None
        if agreement.expires_on is None:
            return None
        day = self.day(agreement.expires_on, agreement.renewal_notice_days)
        if day is None or not reminder.occurrence.startswith(day.isoformat() + "-"):
            return None
        return agreement

    def days_left(self, reminder: Reminder) -> int:
        return int(reminder.occurrence.rsplit("-", 1)[1])


class AgreementExpiry(AgreementDate):
    name, reach = "agreement_expiry", 0

    def day(self, expires_on: date, notice_days: int) -> date | None:
        return expires_on

    def message(
        self, reader: Formatter, recipient: Any, agreement: Agreement, reminder: Reminder
    ) -> Message:
        days = self.days_left(reminder)
        values = {
            "title": reader.name(agreement),
            "date": reader.date(agreement.expires_on),
            "days": reader.number(days),
        }
        subject = reader.catalog.ngettext(
            "%(title)s expires on %(date)s, in %(days)s day",
            "%(title)s expires on %(date)s, in %(days)s days",
            days,
        )
        return _agreement_message(reader, agreement, subject % values, self.record_kind)


class RenewalNotice(AgreementDate):
    """The last day to give notice of renewal (or of ending): ``renewal_notice_days`` before
    the expiry."""

    name, reach = "renewal_notice", MAX_RENEWAL_NOTICE_DAYS

    def day(self, expires_on: date, notice_days: int) -> date | None:
        return expires_on - timedelta(days=notice_days) if notice_days else None

    def message(
        self, reader: Formatter, recipient: Any, agreement: Agreement, reminder: Reminder
    ) -> Message:
        days = self.days_left(reminder)
        deadline = self.day(agreement.expires_on, agreement.renewal_notice_days)  # type: ignore[arg-type]
        values = {
            "title": reader.name(agreement),
            "date": reader.date(deadline),
            "days": reader.number(days),
        }
        subject = reader.catalog.ngettext(
            "The renewal notice of %(title)s is due by %(date)s, in %(days)s day",
            "The renewal notice of %(title)s is due by %(date)s, in %(days)s days",
            days,
        )
        return _agreement_message(reader, agreement, subject % values, self.record_kind)


def _agreement_message(reader: Formatter, agreement: Agreement, subject: str, kind: str) -> Message:
    _ = reader.catalog.gettext
    lines = [(_("Expires"), reader.date(agreement.expires_on))]
    if agreement.auto_renew:
        lines.append((_("Renewal"), _("Renews itself for its term")))
    return Message(subject, lines, kind, agreement.id)


# --- an agreement that lapsed: expired, or renewed by itself (the sweep moves it) ------------
class AgreementLapsed:
    """Told to the owner and the managers when the sweep moves an agreement whose expiry has
    passed (``crm.agreements.pipeline.lapse``); the sweep writes its rows, ``due`` finds none."""

    name, record_kind = "agreement_lapsed", "agreement"

    def due(
        self, since: datetime, until: datetime, users: dict, settings: Settings
    ) -> Iterator[Due]:
        return iter(())

    def told(
        self, agreement: Any, ended_on: date, outcome: str, users: dict, now: datetime
    ) -> list[Due]:
        """The rows telling of ``agreement``, whose expiry ``ended_on`` passed."""
        occurrence = f"{ended_on.isoformat()}-{outcome}"
        return [
            Due(self.name, self.record_kind, agreement.id, occurrence, user.id, now)
            for user in _agreement_recipients(agreement, users)
        ]

    def current(self, reminder: Reminder, recipient: Any, settings: Settings):
        agreement = db.session.get(Agreement, reminder.record_id)
        if agreement is None or agreement.archived or not sees(recipient, agreement):
            return None
        return agreement

    def message(
        self, reader: Formatter, recipient: Any, agreement: Agreement, reminder: Reminder
    ) -> Message:
        _ = reader.catalog.gettext
        values = {"title": reader.name(agreement), "date": reader.date(agreement.expires_on)}
        if reminder.occurrence.endswith("-renewed"):
            subject = _("%(title)s renewed itself for its term, until %(date)s") % values
        else:
            subject = _("%(title)s has expired (%(date)s)") % values
        return _agreement_message(reader, agreement, subject, self.record_kind)


# --- a milestone or obligation due: its responsible user -----------------------------------
class MilestoneDue:
    name, record_kind = "milestone_due", "milestone"

    def due(
        self, since: datetime, until: datetime, users: dict, settings: Settings
    ) -> Iterator[Due]:
        first, last = _days(since, until, settings.milestone_days)
        rows = db.session.execute(
            select(
                Milestone.id, Milestone.responsible_id, Milestone.due_on, Agreement.confidentiality
            )
            .join(Agreement, Agreement.id == Milestone.agreement_id)
            .where(
                Milestone.status == "open",
                Milestone.responsible_id.is_not(None),
                Milestone.due_on >= first,
                Milestone.due_on <= last,
                Agreement.archived_at.is_(None),
            )
        )
        for row in rows:
            user = users.get(row.responsible_id)
            if user is None or not sees_agreement(user, row):
                continue
            for ahead in settings.milestone_days:
                due_at = morning(row.due_on - timedelta(days=ahead), user, settings)
                if _in_span(due_at, since, until):
                    occurrence = f"{row.due_on.isoformat()}-{ahead}"
                    yield Due(self.name, self.record_kind, row.id, occurrence, user.id, due_at)

    def current(self, reminder: Reminder, recipient: Any, settings: Settings):
        milestone = db.session.get(Milestone, reminder.record_id)
        if (
            milestone is None
            or milestone.status != "open"
            or milestone.responsible_id != recipient.id
            or milestone.due_on is None
            or milestone.agreement.archived
            or not reminder.occurrence.startswith(milestone.due_on.isoformat() + "-")
            or not sees(recipient, milestone)
        ):
            return None
        return milestone

    def message(
        self, reader: Formatter, recipient: Any, milestone: Milestone, reminder: Reminder
    ) -> Message:
        _ = reader.catalog.gettext
        values = {
            "title": milestone.title,
            "agreement": reader.name(milestone.agreement),
            "date": reader.date(milestone.due_on),
        }
        return Message(
            _("%(title)s of %(agreement)s is due on %(date)s") % values,
            [(_("Agreement"), values["agreement"]), (_("Due"), values["date"])],
            "agreement",
            milestone.agreement_id,
        )


# --- the daily digest: overdue, today, this week -------------------------------------------
class Digest:
    name, record_kind = "digest", "user"

    def due(
        self, since: datetime, until: datetime, users: dict, settings: Settings
    ) -> Iterator[Due]:
        for user in users.values():
            zone = zone_of(user.timezone)
            day, last = since.astimezone(zone).date(), until.astimezone(zone).date()
            while day <= last:
                due_at = morning(day, user, settings)
                if _in_span(due_at, since, until):
                    yield Due(
                        self.name, self.record_kind, user.id, day.isoformat(), user.id, due_at
                    )
                day += timedelta(days=1)

    def current(self, reminder: Reminder, recipient: Any, settings: Settings):
        """The user's follow-ups of the digest's day; None when there is nothing to tell."""
        from crm.activities.followups import my_followups

        reader = Formatter.for_user(recipient)
        followups = my_followups(
            recipient, reader, now=reminder.due_at, limit=10, groups=("overdue", "today", "week")
        )
        counts = followups.counts
        return followups if counts["overdue"] + counts["today"] + counts["week"] else None

    def message(
        self, reader: Formatter, recipient: Any, followups: Any, reminder: Reminder
    ) -> Message:
        _ = reader.catalog.gettext
        counts = {
            name: reader.number(followups.counts[name]) for name in ("overdue", "today", "week")
        }
        lines = []
        for name, label in (
            ("overdue", _("Overdue")),
            ("today", _("Today")),
            ("week", _("This week")),
        ):
            for activity in followups.groups.get(name, []):
                when = (
                    reader.datetime(activity.starts_at)
                    if activity.starts_at
                    else reader.date(activity.due_on)
                )
                lines.append((label, f"{activity.subject} ({when})"))
        subject = _("Your follow-ups: %(overdue)s overdue, %(today)s today, %(week)s this week")
        return Message(subject % counts, lines, None, None)


# --- an agreement waiting in internal approval: the managers, at once and again ------------
class ApprovalWaiting:
    name, record_kind = "approval_waiting", "agreement"

    def due(
        self, since: datetime, until: datetime, users: dict, settings: Settings
    ) -> Iterator[Due]:
        entered = (  # when it last entered internal approval (from its own history rows)
            select(func.max(StageChange.changed_at))
            .where(
                StageChange.agreement_id == Agreement.id,
                StageChange.to_stage == "internal_approval",
            )
            .scalar_subquery()
        )
        rows = db.session.execute(
            select(Agreement.id, Agreement.confidentiality, entered.label("at")).where(
                Agreement.stage == "internal_approval", Agreement.archived_at.is_(None)
            )
        )
        every = timedelta(days=max(settings.approval_repeat_days, 1))
        managers = [u for u in users.values() if u.role == "manager"]
        for row in rows:
            if row.at is None:
                continue
            at = row.at if row.at.tzinfo else row.at.replace(tzinfo=since.tzinfo)
            first = max(0, -(-(since - at) // every))  # the first time after ``since``
            times = count(first)
            for n in times:
                due_at = at + n * every
                if due_at > until:
                    break
                if not _in_span(due_at, since, until):
                    continue
                for user in managers:
                    if sees_agreement(user, row):
                        occurrence = f"{at:%Y%m%dT%H%M%S}-{n}"
                        yield Due(self.name, self.record_kind, row.id, occurrence, user.id, due_at)

    def current(self, reminder: Reminder, recipient: Any, settings: Settings):
        agreement = db.session.get(Agreement, reminder.record_id)
        if (
            agreement is None
            or agreement.archived
            or agreement.stage != "internal_approval"
            or recipient.role != "manager"
            or not sees(recipient, agreement)
        ):
            return None
        return agreement

    def message(
        self, reader: Formatter, recipient: Any, agreement: Agreement, reminder: Reminder
    ) -> Message:
        _ = reader.catalog.gettext
        again = not reminder.occurrence.endswith("-0")
        text = (
            _("%(title)s is still waiting for your approval")
            if again
            else _("%(title)s is waiting for your approval")
        )
        subject = text % {"title": reader.name(agreement)}
        return Message(subject, [], self.record_kind, agreement.id)


# --- anniversaries of a relationship or a signing: the owner, a week ahead -----------------
ANNIVERSARY_AHEAD = 7
ROUND = 5  # every fifth year is flagged


def _same_day_filter(column: Any, days: list[date]) -> Any:
    """``column``'s month and day are those of one of ``days`` (29 February counts on the 28th
    in a common year)."""
    pairs = {(d.month, d.day) for d in days}
    pairs |= {(2, 29) for d in days if (d.month, d.day) == (2, 28) and not isleap(d.year)}
    month, day = func.extract("month", column), func.extract("day", column)
    return or_(*(and_(month == m, day == d) for m, d in sorted(pairs)))


def anniversary_in(since_day: date, year: int) -> date:
    try:
        return since_day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


class Anniversary:
    name, record_kind = "anniversary", "partner"
    KINDS: dict[str, tuple[Any, str]] = {  # record kind: (model, its date)
        "partner": (Partner, "relationship_since"),
        "agreement": (Agreement, "signed_on"),
    }

    def due(
        self, since: datetime, until: datetime, users: dict, settings: Settings
    ) -> Iterator[Due]:
        first, last = _days(since, until, (ANNIVERSARY_AHEAD,))
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        for kind, (model, column_name) in self.KINDS.items():
            column = getattr(model, column_name)
            where = [model.archived_at.is_(None), model.owner_id.is_not(None), column.is_not(None)]
            if model is Agreement:
                where.append(Agreement.stage.in_(LIVE_STAGES))
                where.append(Agreement.confidentiality != "confidential")
            rows = db.session.execute(
                select(model.id, model.owner_id, column).where(
                    *where, _same_day_filter(column, days)
                )
            )
            for record_id, owner_id, since_day in rows:
                owner = users.get(owner_id)
                if owner is None:
                    continue
                for year in {first.year, last.year}:
                    day = anniversary_in(since_day, year)
                    if year <= since_day.year:
                        continue
                    due_at = morning(day - timedelta(days=ANNIVERSARY_AHEAD), owner, settings)
                    if _in_span(due_at, since, until):
                        yield Due(self.name, kind, record_id, str(year), owner.id, due_at)

    def current(self, reminder: Reminder, recipient: Any, settings: Settings):
        model, column_name = self.KINDS[reminder.record_kind]
        record = db.session.get(model, reminder.record_id)
        if (
            record is None
            or record.archived
            or record.owner_id != recipient.id
            or getattr(record, column_name) is None
            or not sees(recipient, record)
        ):
            return None
        return record

    def message(
        self, reader: Formatter, recipient: Any, record: Any, reminder: Reminder
    ) -> Message:
        _ = reader.catalog.gettext
        model, column_name = self.KINDS[reminder.record_kind]
        since_day = getattr(record, column_name)
        year = int(reminder.occurrence)
        years = year - since_day.year
        values = {
            "name": reader.name(record),
            "years": reader.number(years),
            "date": reader.date(anniversary_in(since_day, year)),
        }
        if model is Partner:
            subject = reader.catalog.ngettext(
                "%(years)s year of the relationship with %(name)s on %(date)s",
                "%(years)s years of the relationship with %(name)s on %(date)s",
                years,
            )
        else:
            subject = reader.catalog.ngettext(
                "%(years)s year since %(name)s was signed, on %(date)s",
                "%(years)s years since %(name)s was signed, on %(date)s",
                years,
            )
        lines = [(_("Round anniversary"), _("Yes"))] if years % ROUND == 0 else []
        return Message(subject % values, lines, reminder.record_kind, record.id)


# --- dormant partners: their owner, weekly ------------------------------------------------
class DormantPartners:
    name, record_kind = "dormant_partners", "user"

    def due(
        self, since: datetime, until: datetime, users: dict, settings: Settings
    ) -> Iterator[Due]:
        for user in users.values():
            reader = Formatter.for_user(user)
            day, last = since.astimezone(reader.zone).date(), until.astimezone(reader.zone).date()
            while day <= last:
                if reader.week_end(day) - timedelta(days=6) == day:  # the first day of a week
                    due_at = morning(day, user, settings)
                    if _in_span(due_at, since, until):
                        yield Due(self.name, "user", user.id, day.isoformat(), user.id, due_at)
                day += timedelta(days=1)

    def current(self, reminder: Reminder, recipient: Any, settings: Settings):
        """The recipient's dormant partners (at most 20, the longest quiet first), or None."""
        cutoff = reminder.due_at - timedelta(days=settings.dormant_days)
        partners = db.session.scalars(
            select(Partner)
            .where(Partner.owner_id == recipient.id, dormant(cutoff))
            .order_by(Partner.updated_at, Partner.id)
            .limit(20)
        ).all()
        return partners or None

    def message(
        self, reader: Formatter, recipient: Any, partners: list, reminder: Reminder
    ) -> Message:
        settings_days = (reminder.due_at.date() - partners[0].created_at.date()).days
        del settings_days
        subject = reader.catalog.gettext(
            "Partners of yours with no activity for a long time: %(names)s"
        ) % {"names": reader.list(reader.name(p) for p in partners[:3])}
        lines = [(reader.name(p), reader.country(p.country)) for p in partners]
        return Message(subject, lines, None, None)


RULES = {
    rule.name: rule
    for rule in (
        ActivityDue(),
        AgreementExpiry(),
        RenewalNotice(),
        AgreementLapsed(),
        ApprovalWaiting(),
        MilestoneDue(),
        Anniversary(),
        DormantPartners(),
        Digest(),
        StageRequestWaiting(),
        StageRequestDecided(),
    )
}
