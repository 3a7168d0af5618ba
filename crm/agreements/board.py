"""The pipeline board: the agreements a user may see, in a column per stage, each column its
count and its first cards in the chosen order; every card says how long it has been in its
stage (from the stage history) and stands out when that is longer than ``CRM_STUCK_DAYS``.

Three statements whatever the number of agreements: the counts per stage (the list's), the first
cards of every column (one window query), and the parties of those cards.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, type_coerce

from crm.agreements.lists import AgreementFilters, filtered, stage_counts
from crm.agreements.models import STAGES, Agreement, StageChange, agreement_parties
from crm.agreements.pipeline import FINAL_STAGES
from crm.extensions import db
from crm.formatting import Formatter
from crm.models import UTCDateTime
from crm.partners.models import Partner

CARDS = 50  # a column shows this many; its count and a link to the list tell the rest
ORDERS = ("days", "expires_on", "title")  # longest in its stage, soonest to expire, by title
DEFAULT_ORDER = "days"
# Stages an agreement is expected to leave: a long stay there is "stuck" (an active agreement
# stays active for years, an ended one for good).
WAITING_STAGES = tuple(s for s in STAGES if s not in FINAL_STAGES and s != "active")


@dataclass
class Card:
    """What a card shows, as plain values (no ORM objects: a board holds hundreds)."""

    id: int
    title: str  # in the reader's language
    parties: list[str]
    expires_on: date | None
    confidential: bool
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


def _order(order: str, shown: Any) -> list[Any]:
    """The order of the cards in a column, on the columns of the board's inner query."""
    if order == "expires_on":
        return [shown.c.expires_on.asc().nulls_last(), shown.c.id]
    if order == "title":
        return [shown.c.sort, shown.c.id]
    return [shown.c.since.asc(), shown.c.id]


def board(
    user: Any, f: AgreementFilters, fmt: Formatter, order: str, stuck_days: int
) -> list[BoardColumn]:
    """The columns of the board for ``user`` (only what they may see, in cards and counts),
    filtered by ``f`` (its stage ignored), the cards of each in ``order``."""
    counts = stage_counts(user, f, fmt)
    shown = filtered(
        select(
            Agreement.id,
            Agreement.stage,
            Agreement.name_sql(fmt.locale).label("title"),
            Agreement.expires_on,
            Agreement.confidentiality,
            stage_since().label("since"),
            *([Agreement.name_order(fmt.locale).label("sort")] if order == "title" else []),
        ),
        user,
        f,
        fmt.today(),
        with_stage=False,
    ).subquery()
    ranked = select(
        shown,
        func.row_number()
        .over(partition_by=shown.c.stage, order_by=_order(order, shown))
        .label("position"),
    ).subquery()
    rows = db.session.execute(
        select(ranked).where(ranked.c.position <= CARDS).order_by(ranked.c.stage, ranked.c.position)
    ).all()
    parties = _party_names([row.id for row in rows], fmt.locale)
    columns = {stage: BoardColumn(stage, counts.get(stage, 0)) for stage in STAGES}
    today = fmt.today()
    for row in rows:
        days = max((today - fmt.local(_aware(row.since)).date()).days, 0)
        card = Card(
            id=row.id,
            title=row.title,
            parties=parties.get(row.id, []),
            expires_on=row.expires_on,
            confidential=row.confidentiality == "confidential",
            days=days,
            stuck=row.stage in WAITING_STAGES and days > stuck_days,
        )
        columns[row.stage].cards.append(card)
    return list(columns.values())


def _party_names(ids: list[int], locale: str) -> dict[int, list[str]]:
    """The names of the parties of each agreement in ``ids``, in ``locale``: one query."""
    name = Partner.name_sql(locale)
    stmt = (
        select(agreement_parties.c.agreement_id, name)
        .join(Partner, Partner.id == agreement_parties.c.partner_id)
        .where(agreement_parties.c.agreement_id.in_(ids or [0]))
        .order_by(agreement_parties.c.agreement_id, Partner.name_en)
    )
    names: dict[int, list[str]] = {}
    for agreement_id, partner_name in db.session.execute(stmt):
        names.setdefault(agreement_id, []).append(partner_name)
    return names


def _aware(value: datetime | str) -> datetime:
    """``coalesce`` of two UTC columns may come back from SQLite as text or a naive time."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
