"""A merge of two partners (or two contacts): what moved, so that an undo is exact."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.extensions import Model, db
from crm.models import UTCDateTime, utcnow

MERGE_KINDS = ("partner", "contact")


class Merge(Model):
    """``merged_id`` went into ``survivor_id`` (both of ``kind``) in audit act ``act_id``.

    ``moved`` holds what the merge changed, as plain values: ``{"fields": {name: [old, new]},
    "contacts": [ids], "activities": [ids], "agreements": [ids whose party changed],
    "agreements_shared": [ids that had both as parties], "notifications": [ids],
    "reminders": [pending reminder ids], "files": {queued pack id: its partner ids before}}``
    for partners (``merging``), the fields, activities and the same last three for contacts
    (``contact_merging``; ``references`` moves the last three). An undo (``undone_at``, in act
    ``undo_act_id``) puts back what was not changed since."""

    __tablename__ = "merges"
    __table_args__ = (Index("ix_merges_kind_survivor", "kind", "survivor_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    survivor_id: Mapped[int]
    merged_id: Mapped[int]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    act_id: Mapped[int] = mapped_column(ForeignKey("audit_acts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    moved: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    undo_act_id: Mapped[int | None] = mapped_column(ForeignKey("audit_acts.id"))

    user: Mapped[Any] = relationship("User", foreign_keys=[user_id])

    @property
    def undone(self) -> bool:
        return self.undone_at is not None

    def __repr__(self) -> str:
        return f"<Merge {self.id} {self.kind} {self.merged_id} into {self.survivor_id}>"


def merged_into(record: Any) -> list[int]:
    """The ids of the partners (or contacts) merged into ``record`` and not undone: its page's
    history shows theirs too."""
    kind = "partner" if record.__tablename__ == "partners" else "contact"
    return list(
        db.session.scalars(
            select(Merge.merged_id).where(
                Merge.kind == kind, Merge.survivor_id == record.id, Merge.undone_at.is_(None)
            )
        )
    )
