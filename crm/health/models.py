"""A partner's health now (score and reasons) and one score per day, for "30 days earlier"."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.models import UTCDateTime, utcnow


class PartnerHealth(Model):
    """The current score of a partner (0–100) and its reasons, as ``crm.health.score`` gives
    them: ``[{"code": "overdue", "count": 3, "points": -30}, …]``, translated when shown.
    Derived data: written by ``crm.health.services.recompute``, never by hand, not audited."""

    __tablename__ = "partner_health"

    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[int] = mapped_column(index=True)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<PartnerHealth {self.partner_id} {self.score}>"


class PartnerHealthHistory(Model):
    """A partner's score on a day (the application's zone): the last one computed that day."""

    __tablename__ = "partner_health_history"
    __table_args__ = (Index("ix_partner_health_history_day", "day", "partner_id"),)

    partner_id: Mapped[int] = mapped_column(
        ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    score: Mapped[int]

    def __repr__(self) -> str:
        return f"<PartnerHealthHistory {self.partner_id} {self.day} {self.score}>"
