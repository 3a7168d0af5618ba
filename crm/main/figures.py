"""The pipeline's figures for one reader: one service for the managers' pipeline report (a PDF),
the start page and the managers' dashboard.

Everything counts only what the reader may see (``crm.permissions.visible``): for staff and
viewers a confidential agreement is not counted in any figure, nor its time in each stage, nor
the follow-ups about it. Archived records are left out. The queries are a fixed handful,
grouped in SQL where the database can do it, whatever the data:

- agreements per stage (from the index ``ix_agreements_stage_archived`` alone),
- agreements per domain: the domains of its parties (an agreement with a city and a company
  counts in both domains, once in each),
- the stage history, one row per move, for the days spent in each stage (median and mean: the
  median needs every value, which no SQL both databases speak gives),
- agreements in force expiring in the coming ``EXPIRY_WINDOW_DAYS`` days, with their parties
  and owners (two queries, and their total in the first),
- overdue follow-ups per owner: how many and the oldest day due.

The dashboard (``dashboard_figures``) reads the same figures and a few more, each one more
grouped query: activities per month of the reader's calendar and per domain, agreements per
cooperation area, partners and agreements in the top countries, and how many partners are
dormant (``crm.activities.lists.dormant``).
"""

import itertools
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Float, Select, String, distinct, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.functions import FunctionElement

from crm.activities.lists import dormant, overdue
from crm.activities.models import Activity
from crm.agreements.models import (
    STAGES,
    Agreement,
    StageChange,
    agreement_areas,
    agreement_parties,
)
from crm.agreements.pipeline import FINAL_STAGES
from crm.auth.models import User
from crm.auth.services import NO_ONE
from crm.extensions import db
from crm.formatting import Formatter
from crm.models import CooperationArea, UTCDateTime, utcnow
from crm.partners.models import Partner
from crm.permissions import visible
from crm.reference import DOMAINS
from crm.reminders.settings import load as reminder_settings

EXPIRY_WINDOW_DAYS = 90
LIVE_STAGES = ("signed", "active", "renewal")  # in force: their expiry date matters
EXPIRING_LIMIT = 100
# Stages an agreement spends time in on its way; the final ones only end it.
TIMED_STAGES = tuple(stage for stage in STAGES if stage not in FINAL_STAGES)
DAY = 86400.0
MONTHS = 12  # the dashboard's activity over time, up to this month
TOP_COUNTRIES = 10


@dataclass(frozen=True)
class StageTime:
    """The days agreements spent in a stage: once per time one entered it (the stage an
    agreement is in counts up to now)."""

    stage: str
    spells: int
    median_days: float
    mean_days: float


@dataclass(frozen=True)
class Expiring:
    id: int
    title: str
    partners: tuple[str, ...]
    expires_on: date
    days_left: int
    owner: str
    confidential: bool


@dataclass(frozen=True)
class OwnerOverdue:
    owner_id: int | None
    owner: str
    count: int
    oldest: date


@dataclass(frozen=True)
class PipelineFigures:
    today: date
    by_stage: Mapping[str, int]  # every stage, in pipeline order
    by_domain: Mapping[str, int]  # the four domains, in their order
    stage_times: tuple[StageTime, ...]  # the stages some agreement spent time in, in order
    expiring: tuple[Expiring, ...]  # the first ``limit``, the soonest first
    expiring_total: int
    overdue: tuple[OwnerOverdue, ...]  # the owners with the most first
    confidential_total: int  # confidential agreements counted (none for staff and viewers)

    @property
    def agreement_total(self) -> int:
        return sum(self.by_stage.values())

    @property
    def overdue_total(self) -> int:
        return sum(row.count for row in self.overdue)


def current_agreements(user: Any) -> tuple:
    return (Agreement.archived_at.is_(None), visible(Agreement, user))


def agreements_per_stage(user: Any) -> Select:
    """Current agreements ``user`` may see, per stage and confidentiality (from
    ``ix_agreements_stage_archived`` alone)."""
    return (
        select(Agreement.stage, Agreement.confidentiality, func.count())
        .where(*current_agreements(user))
        .group_by(Agreement.stage, Agreement.confidentiality)
    )


def stage_counts(user: Any) -> tuple[dict[str, int], int]:
    """Every stage, in pipeline order, with how many current agreements ``user`` sees in it;
    and how many of those are confidential."""
    counts = dict.fromkeys(STAGES, 0)
    confidential = 0
    for stage, confidentiality, count in db.session.execute(agreements_per_stage(user)):
        counts[stage] = counts.get(stage, 0) + count
        confidential += count if confidentiality == "confidential" else 0
    return counts, confidential


def domain_counts(user: Any) -> dict[str, int]:
    """The four domains with how many current agreements ``user`` sees have a party there."""
    stmt = (
        select(Partner.domain, func.count(distinct(Agreement.id)))
        .select_from(Agreement)
        .join(agreement_parties, agreement_parties.c.agreement_id == Agreement.id)
        .join(Partner, Partner.id == agreement_parties.c.partner_id)
        .where(*current_agreements(user))
        .group_by(Partner.domain)
    )
    found = dict(db.session.execute(stmt).all())
    return {domain: found.get(domain, 0) for domain in DOMAINS}


class days_between(FunctionElement):
    """``end - start`` in days (a float), for two timestamps, on SQLite and PostgreSQL."""

    type = Float()
    inherit_cache = True


@compiles(days_between)
def _days_between(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(EXTRACT(EPOCH FROM ({end}) - ({start})) / {DAY})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"(julianday({end}) - julianday({start}))"


class joined_values(FunctionElement):
    """An aggregate: the group's values of a number, as text joined by commas (``group_concat``
    on SQLite, ``string_agg`` on PostgreSQL), so a median over thousands of rows comes back in
    one row per group instead of a row per value."""

    type = String()
    inherit_cache = True


@compiles(joined_values)
def _joined_values(element: joined_values, compiler: Any, **kw: Any) -> str:
    return f"string_agg(CAST({compiler.process(element.clauses, **kw)} AS TEXT), ',')"


@compiles(joined_values, "sqlite")
def _joined_values_sqlite(element: joined_values, compiler: Any, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)})"


def stage_times(user: Any, now: datetime) -> tuple[StageTime, ...]:
    """Median and mean days in each stage, from the stage history of the current agreements
    ``user`` sees: a spell runs from the move into a stage to the next move (``left_at``; the
    last one, to ``now``). Final stages are left out, and so is a spell that starts after
    ``now``. The database gives each stage's spells in one row (their days joined as text,
    from the index ``ix_agreement_stage_changes_spells``); the median is taken here."""
    left = func.coalesce(StageChange.left_at, literal(now, UTCDateTime))
    stmt = (
        select(StageChange.to_stage, joined_values(days_between(StageChange.changed_at, left)))
        .join(Agreement, Agreement.id == StageChange.agreement_id)
        .where(
            *current_agreements(user),
            StageChange.to_stage.not_in(FINAL_STAGES),
            StageChange.changed_at <= literal(now, UTCDateTime),
        )
        .group_by(StageChange.to_stage)
    )
    spells = {
        stage: [float(days) for days in joined.split(",")]
        for stage, joined in db.session.execute(stmt)
    }
    return tuple(
        StageTime(stage, len(days), statistics.median(days), statistics.fmean(days))
        for stage in TIMED_STAGES
        if (days := spells.get(stage))
    )


def expiring_agreements(
    user: Any, fmt: Formatter, today: date, limit: int = EXPIRING_LIMIT
) -> tuple[tuple[Expiring, ...], int]:
    """Agreements in force that ``user`` sees and that expire from ``today`` to
    ``EXPIRY_WINDOW_DAYS`` days later (both included), the soonest first: the first ``limit``
    of them, named for the reader of ``fmt``, and how many there are in all."""
    rows = db.session.execute(
        select(Agreement, func.count().over())
        .options(selectinload(Agreement.parties), joinedload(Agreement.owner))
        .where(
            *current_agreements(user),
            Agreement.stage.in_(LIVE_STAGES),
            Agreement.expires_on >= today,
            Agreement.expires_on <= today + timedelta(days=EXPIRY_WINDOW_DAYS),
        )
        .order_by(Agreement.expires_on, Agreement.id)
        .limit(limit)
    ).all()
    found = tuple(_expiring(agreement, fmt, today) for agreement, _total in rows)
    return found, (rows[0][1] if rows else 0)


def _expiring(agreement: Agreement, fmt: Formatter, today: date) -> Expiring:
    expires_on = agreement.expires_on or today  # never None: the query asks for a date
    return Expiring(
        id=agreement.id,
        title=fmt.name(agreement) or agreement.reference or "",
        partners=tuple(fmt.name(partner) for partner in agreement.parties),
        expires_on=expires_on,
        days_left=(expires_on - today).days,
        owner=fmt.name(agreement.owner),
        confidential=agreement.confidentiality == "confidential",
    )


def overdue_by_owner(user: Any, fmt: Formatter, now: datetime) -> tuple[OwnerOverdue, ...]:
    """Each owner's overdue follow-ups that ``user`` sees: how many, and the oldest day due
    (a due date as it is; a meeting's day in the reader's zone). The most first."""
    stmt = (
        select(
            Activity.owner_id,
            User.display_name,
            func.count(),
            func.min(Activity.due_on),
            func.min(Activity.starts_at),
        )
        .outerjoin(User, User.id == Activity.owner_id)
        .where(overdue(now), visible(Activity, user))
        .group_by(Activity.owner_id, User.display_name)
    )
    rows = []
    for owner_id, name, count, first_due, first_start in db.session.execute(stmt):
        days = [first_due] if first_due is not None else []
        if first_start is not None:
            days.append(fmt.local(first_start).date())
        owner = name if owner_id is not None else fmt.translate(NO_ONE)
        rows.append(OwnerOverdue(owner_id, owner or "", count, min(days)))
    rows.sort(key=lambda row: (-row.count, row.oldest, row.owner_id is None, row.owner))
    return tuple(rows)


def pipeline_figures(
    reader: Any, fmt: Formatter, now: datetime | None = None, limit: int = EXPIRING_LIMIT
) -> PipelineFigures:
    """The pipeline as ``reader`` may see it, in the days and words of the reader of ``fmt``:
    agreements per stage and per domain, days spent in each stage, the agreements expiring in
    the next ``EXPIRY_WINDOW_DAYS`` days (the first ``limit``) and overdue follow-ups per
    owner."""
    now = now or utcnow()
    today = now.astimezone(fmt.zone).date()
    expiring, expiring_total = expiring_agreements(reader, fmt, today, limit)
    by_stage, confidential = stage_counts(reader)
    return PipelineFigures(
        today=today,
        by_stage=by_stage,
        by_domain=domain_counts(reader),
        stage_times=stage_times(reader, now),
        expiring=expiring,
        expiring_total=expiring_total,
        overdue=overdue_by_owner(reader, fmt, now),
        confidential_total=confidential,
    )


# --- the dashboard -------------------------------------------------------------------------------
@dataclass(frozen=True)
class MonthCount:
    first: date  # the month's first and last day, in the reader's calendar
    last: date
    label: str
    count: int


@dataclass(frozen=True)
class AreaCount:
    id: int
    name: str
    count: int


@dataclass(frozen=True)
class CountryCount:
    code: str
    name: str
    partners: int
    agreements: int


@dataclass(frozen=True)
class DashboardFigures:
    pipeline: PipelineFigures
    months: tuple[MonthCount, ...]  # the last ``MONTHS`` months, the oldest first
    activity_by_domain: Mapping[str, int]  # the activities of those months, per domain
    by_area: tuple[AreaCount, ...]  # every area, the most agreements first
    countries: tuple[CountryCount, ...]  # the most partners first
    dormant: int  # current partners with no activity for ``dormant_days`` days
    dormant_days: int

    @property
    def active(self) -> int:
        return self.pipeline.by_stage.get("active", 0)

    @property
    def awaiting_approval(self) -> int:
        return self.pipeline.by_stage.get("internal_approval", 0)

    @property
    def months_first(self) -> date:
        return self.months[0].first

    @property
    def months_last(self) -> date:
        return self.months[-1].last


def activity_per_month(
    user: Any, fmt: Formatter, today: date
) -> tuple[tuple[MonthCount, ...], dict[str, int]]:
    """The current activities ``user`` sees that happen or are due in each of the last
    ``MONTHS`` months of the reader's calendar (Jalali in Persian), by their day in the
    reader's zone as the activity list's date range takes it; and those of all the months per
    domain. One query: a count per domain for each month's range of instants, the months'
    counts joined (each walks its own range of the index; one pass sorting a year of
    activities into months took twice as long)."""
    spans = fmt.months(today, MONTHS)
    edges = [fmt.to_utc(first) for first, _next in spans] + [fmt.to_utc(spans[-1][1])]
    stmt = union_all(
        *(
            select(literal(index).label("month"), Activity.domain, func.count())
            .where(
                Activity.archived_at.is_(None),
                visible(Activity, user),
                Activity.when_at >= start,
                Activity.when_at < end,
            )
            .group_by(Activity.domain)
            for index, (start, end) in enumerate(itertools.pairwise(edges))
        )
    )
    per_month = [0] * len(spans)
    per_domain = dict.fromkeys(DOMAINS, 0)
    for index, domain, count in db.session.execute(stmt):
        per_month[index] += count
        per_domain[domain] = per_domain.get(domain, 0) + count
    months = tuple(
        MonthCount(first, after - timedelta(days=1), fmt.month(first), count)
        for (first, after), count in zip(spans, per_month, strict=True)
    )
    return months, per_domain


def area_counts(user: Any, fmt: Formatter) -> tuple[AreaCount, ...]:
    """Every cooperation area with how many current agreements ``user`` sees cover it, the
    most first (then in the areas' order)."""
    counts = (
        select(agreement_areas.c.area_id, func.count().label("count"))
        .join(Agreement, Agreement.id == agreement_areas.c.agreement_id)
        .where(*current_agreements(user))
        .group_by(agreement_areas.c.area_id)
        .subquery()
    )
    stmt = (
        select(CooperationArea, func.coalesce(counts.c.count, 0))
        .outerjoin(counts, counts.c.area_id == CooperationArea.id)
        .order_by(CooperationArea.position, CooperationArea.id)
    )
    found = [AreaCount(area.id, fmt.name(area), count) for area, count in db.session.execute(stmt)]
    return tuple(sorted(found, key=lambda row: -row.count))


def country_counts(user: Any, fmt: Formatter, top: int = TOP_COUNTRIES) -> tuple[CountryCount, ...]:
    """The ``top`` countries with the most current partners, with how many current agreements
    ``user`` sees have a party there (two queries)."""
    partners = db.session.execute(
        select(Partner.country, func.count())
        .where(Partner.archived_at.is_(None), Partner.country.is_not(None))
        .group_by(Partner.country)
        .order_by(func.count().desc(), Partner.country)
        .limit(top)
    ).all()
    codes = [code for code, _count in partners]
    agreements = dict(
        db.session.execute(
            select(Partner.country, func.count(distinct(Agreement.id)))
            .select_from(Agreement)
            .join(agreement_parties, agreement_parties.c.agreement_id == Agreement.id)
            .join(Partner, Partner.id == agreement_parties.c.partner_id)
            .where(*current_agreements(user), Partner.country.in_(codes or [""]))
            .group_by(Partner.country)
        ).all()
    )
    return tuple(
        CountryCount(code or "", fmt.country(code), count, agreements.get(code, 0))
        for code, count in partners
    )


def dormant_count(user: Any, now: datetime, days: int) -> int:
    """How many current partners have had no activity ``user`` may see for ``days`` days."""
    cutoff = now - timedelta(days=days)
    stmt = select(func.count()).select_from(Partner).where(dormant(cutoff, user))
    return db.session.scalar(stmt) or 0


def dashboard_figures(
    reader: Any, fmt: Formatter, now: datetime | None = None, expiring: int = 5
) -> DashboardFigures:
    """The dashboard of ``reader``: the pipeline figures (with the first ``expiring`` of the
    agreements expiring soon) and the dashboard's own, in a fixed dozen queries."""
    now = now or utcnow()
    pipeline = pipeline_figures(reader, fmt, now, limit=expiring)
    months, per_domain = activity_per_month(reader, fmt, pipeline.today)
    days = reminder_settings().dormant_days
    return DashboardFigures(
        pipeline=pipeline,
        months=months,
        activity_by_domain=per_domain,
        by_area=area_counts(reader, fmt),
        countries=country_counts(reader, fmt),
        dormant=dormant_count(reader, now, days),
        dormant_days=days,
    )
