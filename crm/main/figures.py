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
"""

import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Float, Select, distinct, func, literal, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.sql.functions import FunctionElement

from crm.activities.lists import overdue
from crm.activities.models import Activity
from crm.agreements.models import STAGES, Agreement, StageChange, agreement_parties
from crm.agreements.pipeline import FINAL_STAGES
from crm.auth.models import User
from crm.auth.services import NO_ONE
from crm.extensions import db
from crm.formatting import Formatter
from crm.models import UTCDateTime, utcnow
from crm.partners.models import Partner
from crm.permissions import visible
from crm.reference import DOMAINS

EXPIRY_WINDOW_DAYS = 90
LIVE_STAGES = ("signed", "active", "renewal")  # in force: their expiry date matters
EXPIRING_LIMIT = 100
# Stages an agreement spends time in on its way; the final ones only end it.
TIMED_STAGES = tuple(stage for stage in STAGES if stage not in FINAL_STAGES)
DAY = 86400.0


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


def stage_times(user: Any, now: datetime) -> tuple[StageTime, ...]:
    """Median and mean days in each stage, from the stage history of the current agreements
    ``user`` sees: a spell runs from the move into a stage to the next move (the last one, to
    ``now``). Final stages are left out, and so is a spell that starts after ``now``. The
    database gives each spell's days (the rows' times stay there); the median is taken here."""
    left = func.coalesce(
        func.lead(StageChange.changed_at).over(
            partition_by=StageChange.agreement_id,
            order_by=(StageChange.changed_at, StageChange.id),
        ),
        literal(now, UTCDateTime),
    )
    spell = (
        select(
            StageChange.to_stage.label("stage"),
            days_between(StageChange.changed_at, left).label("days"),
        )
        .join(Agreement, Agreement.id == StageChange.agreement_id)
        .where(*current_agreements(user))
        .subquery()
    )
    stmt = select(spell.c.stage, spell.c.days).where(
        spell.c.stage.not_in(FINAL_STAGES), spell.c.days >= 0
    )
    spells: dict[str, list[float]] = {}
    for stage, days in db.session.execute(stmt):
        spells.setdefault(stage, []).append(days)
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
