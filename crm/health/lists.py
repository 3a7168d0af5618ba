"""The partners whose health is falling: today's score against the one 30 days earlier."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, select

from crm.extensions import db
from crm.formatting import Formatter
from crm.health.models import PartnerHealth, PartnerHealthHistory
from crm.health.score import reason_texts
from crm.health.services import health_day
from crm.lists import Batch, sorted_by, stream_rows
from crm.models import utcnow
from crm.partners.models import Partner

COMPARE_DAYS = 30
# No score stored that very day (the nightly job did not run): the latest of the week before.
LOOKBACK_DAYS = 7
FALLING_SORTS = ("drop", "score", "before", "name", "country")


@dataclass(frozen=True)
class Falling:
    partner: Partner
    health: PartnerHealth
    before: int

    @property
    def drop(self) -> int:
        return self.before - self.health.score


def compared_day(today: date | None = None) -> date:
    return (today or health_day(utcnow())) - timedelta(days=COMPARE_DAYS)


def _earlier(day: date, ids: list[int] | None = None) -> Any:
    """Each partner's score on ``day``, or on its latest day of the ``LOOKBACK_DAYS`` before
    (of the partners ``ids`` only, when given)."""
    history = PartnerHealthHistory
    days = select(history.partner_id, func.max(history.day).label("day")).where(
        history.day <= day, history.day > day - timedelta(days=LOOKBACK_DAYS)
    )
    if ids is not None:
        days = days.where(history.partner_id.in_(ids or [0]))
    latest = days.group_by(history.partner_id).subquery()
    return (
        select(history.partner_id, history.score)
        .join(latest, and_(latest.c.partner_id == history.partner_id, latest.c.day == history.day))
        .subquery()
    )


def _falling(sort: str, fmt: Formatter, day: date) -> tuple[Select, Any]:
    earlier = _earlier(day)
    drop = earlier.c.score - PartnerHealth.score
    stmt = (
        select(Partner.id)
        .join(PartnerHealth, PartnerHealth.partner_id == Partner.id)
        .join(earlier, earlier.c.partner_id == Partner.id)
        .where(Partner.archived_at.is_(None), drop > 0)
    )
    columns = {
        "drop": drop,
        "score": PartnerHealth.score,
        "before": earlier.c.score,
        "name": Partner.name_order(fmt.locale),
        "country": Partner.country_order(fmt.locale),
    }
    return sorted_by(stmt, sort, columns, "-drop", Partner.id), earlier


def falling_ids(sort: str, fmt: Formatter, day: date | None = None) -> Select:
    """The ids of the current partners whose score is lower than ``COMPARE_DAYS`` days before
    ``day`` (today), sorted by ``sort`` (the biggest drop first by default)."""
    return _falling(sort, fmt, day or compared_day())[0]


def load_falling(ids: list[int], day: date | None = None) -> list[Falling]:
    """The rows of a page of ``falling_ids``, in its order: one query."""
    earlier = _earlier(day or compared_day(), ids)
    rows = db.session.execute(
        select(Partner, PartnerHealth, earlier.c.score)
        .join(PartnerHealth, PartnerHealth.partner_id == Partner.id)
        .join(earlier, earlier.c.partner_id == Partner.id)
        .where(Partner.id.in_(ids or [0]))
    ).all()
    found = {partner.id: Falling(partner, health, before) for partner, health, before in rows}
    return [found[i] for i in ids if i in found]


def export_falling(sort: str, fmt: Formatter, day: date | None = None) -> Iterator[Batch]:
    """The falling list as the export's rows: one statement, streamed."""
    stmt, earlier = _falling(sort, fmt, day or compared_day())
    stmt = stmt.with_only_columns(
        Partner.id,
        Partner.name_en,
        Partner.name_fa,
        Partner.country,
        earlier.c.score.label("before"),
        PartnerHealth.score,
        (earlier.c.score - PartnerHealth.score).label("drop"),
        PartnerHealth.reasons,
        maintain_column_froms=True,
    )
    for batch in stream_rows(stmt):
        batch["reasons"] = [fmt.list(reason_texts(reasons, fmt)) for reasons in batch["reasons"]]
        yield batch
