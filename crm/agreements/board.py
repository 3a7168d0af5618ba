"""The pipeline board: the agreements a user may see, in a column per stage, each column its
count and its first cards in the chosen order; every card says how long it has been in its
stage (from the stage history) and stands out when that is longer than ``CRM_STUCK_DAYS``.

Three statements whatever the number of agreements: the counts per stage (the list's), the first
cards of every column (one window query), and the parties of those cards.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import selectinload

from crm.agreements.lists import AgreementFilters, filtered, stage_counts
from crm.agreements.models import STAGES, Agreement, StageChange
from crm.agreements.pipeline import FINAL_STAGES
from crm.extensions import db
from crm.formatting import Formatter
from crm.models import UTCDateTime

CARDS = 50  # a column shows this many; its count and a link to the list tell the rest
ORDERS = ("days", "expires_on", "title")  # longest in its stage, soonest to expire, by title
DEFAULT_ORDER = "days"
# Stages an agreement is expected to leave: a long stay there is "stuck" (an active agreement
# stays active for years, an ended one for good).
WAITING_STAGES = tuple(s for s in STAGES if s not in FINAL_STAGES and s != "active")


@dataclass
class Card:
    agreement: Agreement
    days: int  # whole days in its current stage, in the reader's calendar
    stuck: bool


@dataclass
class BoardColumn:
    stage: str
    count: int
    cards: list[Card] = field(default_factory=list)


def stage_since() -> Any:
    """When each agreement last entered its current stage: its latest stage-history row into
    it (its creation when the history says nothing), per agreement row of the outer query."""
    entered = (
        select(func.max(StageChange.changed_at))
        .where(StageChange.agreement_id == Agreement.id, StageChange.to_stage == Agreement.stage)
        .correlate(Agreement)
        .scalar_subquery()
    )
    return type_coerce(func.coalesce(entered, Agreement.created_at), UTCDateTime)


def _order(order: str, since: Any, locale: str) -> list[Any]:
    if order == "expires_on":
        return [Agreement.expires_on.asc().nulls_last(), Agreement.id]
    if order == "title":
        return [Agreement.name_order(locale), Agreement.id]
    return [since.asc(), Agreement.id]


def board(
    user: Any, f: AgreementFilters, fmt: Formatter, order: str, stuck_days: int
) -> list[BoardColumn]:
    """The columns of the board for ``user`` (only what they may see, in cards and counts),
    filtered by ``f`` (its stage ignored), the cards of each in ``order``."""
    counts = stage_counts(user, f, fmt)
    since = stage_since()
    ranked = filtered(
        select(
            Agreement.id,
            Agreement.stage,
            since.label("since"),
            func.row_number()
            .over(partition_by=Agreement.stage, order_by=_order(order, since, fmt.locale))
            .label("position"),
        ),
        user,
        f,
        fmt.today(),
        with_stage=False,
    ).subquery()
    rows = db.session.execute(
        select(ranked.c.id, ranked.c.since)
        .where(ranked.c.position <= CARDS)
        .order_by(ranked.c.stage, ranked.c.position)
    ).all()
    agreements = {
        a.id: a
        for a in db.session.scalars(
            select(Agreement)
            .options(selectinload(Agreement.parties))
            .where(Agreement.id.in_([row.id for row in rows] or [0]))
        )
    }
    columns = {stage: BoardColumn(stage, counts.get(stage, 0)) for stage in STAGES}
    today = fmt.today()
    for row in rows:
        agreement = agreements[row.id]
        days = max((today - fmt.local(_aware(row.since)).date()).days, 0)
        stuck = agreement.stage in WAITING_STAGES and days > stuck_days
        columns[agreement.stage].cards.append(Card(agreement, days, stuck))
    return list(columns.values())


def _aware(value: datetime) -> datetime:
    """``coalesce`` of two UTC columns comes back from SQLite as text or a naive time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return UTCDateTime().process_result_value(value, None)
