"""Agreements, their parties, stage history, milestones and documents."""

from collections.abc import Collection
from datetime import date, datetime
from typing import ClassVar, cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    ForeignKey,
    Index,
    String,
    Table,
    Text,
    event,
    func,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from crm.auth.models import User
from crm.extensions import Model, db
from crm.models import (
    ArchivableMixin,
    AuditedMixin,
    CooperationArea,
    SearchableMixin,
    SortedNameMixin,
    TimestampMixin,
    UTCDateTime,
    area_link_table,
    current_index,
    sort_indexes,
    utcnow,
)
from crm.partners.models import Partner

AGREEMENT_TYPES = {
    "sister_city": _l("Sister-city agreement"),
    "friendship": _l("Friendship agreement"),
    "memorandum": _l("Memorandum of understanding"),
    "letter_of_intent": _l("Letter of intent"),
    "protocol": _l("Protocol"),
    "membership": _l("Membership"),
    "contract": _l("Contract"),
}
STAGES = {
    "idea": _l("Idea"),
    "exploring": _l("Exploring"),
    "drafting": _l("Drafting"),
    "negotiation": _l("Negotiation"),
    "internal_approval": _l("Internal approval"),
    "ready_to_sign": _l("Ready to sign"),
    "signed": _l("Signed"),
    "active": _l("Active"),
    "renewal": _l("Renewal"),
    "expired": _l("Expired"),
    "rejected": _l("Rejected"),
    "terminated": _l("Terminated"),
}
CONFIDENTIALITY = {
    "public": _l("Public"),
    "internal": _l("Internal"),
    "confidential": _l("Confidential"),
}
MILESTONE_STATUSES = {
    "open": _l("Open"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
    "cancelled": _l("Cancelled"),
}
MAX_RENEWAL_NOTICE_DAYS = 730  # two years

agreement_parties = Table(
    "agreement_parties",
    db.metadata,
    Column("agreement_id", ForeignKey("agreements.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_id", ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True),
    # A partner's agreements from the index alone (the dashboard's counts per domain, country).
    Index("ix_agreement_parties_partner_agreement", "partner_id", "agreement_id"),
)
agreement_areas = area_link_table("agreement_areas", "agreements")


class Agreement(
    SortedNameMixin, SearchableMixin, ArchivableMixin, AuditedMixin, TimestampMixin, Model
):
    __tablename__ = "agreements"
    __table_args__ = (
        # the list's default order: the latest changed first
        current_index("agreements", "current_updated", "updated_at", "id"),
        *sort_indexes("agreements", "sort_en", "sort_fa"),
        # the stage filter, and the start page's count per stage (of what its reader may see)
        # from the index alone
        Index("ix_agreements_stage_archived", "stage", "archived_at", "confidentiality"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(20), index=True)
    title_en: Mapped[str] = mapped_column(String(300), default="")
    title_fa: Mapped[str] = mapped_column(String(300), default="")
    reference: Mapped[str | None] = mapped_column(String(60), unique=True)
    terms_summary: Mapped[str] = mapped_column(Text, default="", info={"max_length": 20000})
    stage: Mapped[str] = mapped_column(String(20), default="idea")
    signed_on: Mapped[date | None]
    effective_on: Mapped[date | None]
    expires_on: Mapped[date | None] = mapped_column(index=True)
    renewal_notice_days: Mapped[int] = mapped_column(default=90)
    auto_renew: Mapped[bool] = mapped_column(default=False)
    signatories: Mapped[str] = mapped_column(Text, default="", info={"max_length": 5000})
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    confidentiality: Mapped[str] = mapped_column(String(20), default="internal", index=True)

    owner: Mapped[User | None] = relationship()
    parties: Mapped[list[Partner]] = relationship(
        secondary=agreement_parties, order_by=Partner.name_en
    )
    areas: Mapped[list[CooperationArea]] = relationship(
        secondary=agreement_areas, order_by=CooperationArea.position
    )
    history: Mapped[list["StageChange"]] = relationship(
        back_populates="agreement", order_by="StageChange.changed_at.desc()"
    )
    milestones: Mapped[list["Milestone"]] = relationship(
        back_populates="agreement", order_by="Milestone.due_on"
    )
    documents: Mapped[list["Document"]] = relationship(
        back_populates="agreement", order_by="Document.uploaded_at.desc()"
    )

    __name_columns__ = ("title_en", "title_fa")

    def search_values(self) -> list[str | None]:
        return [self.title_en, self.title_fa, self.reference, self.signatories]

    def __repr__(self) -> str:
        return f"<Agreement {self.id} {self.type} {self.stage}>"


class StageChange(Model):
    __tablename__ = "agreement_stage_changes"
    __table_args__ = (
        # when an agreement last entered a stage, from the index alone (the pipeline board's
        # days in a stage)
        Index("ix_agreement_stage_changes_entered", "agreement_id", "to_stage", "changed_at"),
        # the spells of each stage with their ends, from the index alone (the days spent in
        # each stage, ``crm.main.figures.stage_times``)
        Index(
            "ix_agreement_stage_changes_spells", "to_stage", "agreement_id", "changed_at", "left_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the agreement moved on (the next change's time): empty while it is in this stage.
    # Kept by ``close_spells`` after every flush that adds a change.
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(Text, default="", info={"max_length": 2000})

    agreement: Mapped[Agreement] = relationship(back_populates="history")
    changed_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<StageChange {self.agreement_id} {self.from_stage}->{self.to_stage}>"


def close_spells(connection: Connection, agreement_ids: Collection[int] | None = None) -> None:
    """Set each stage change's ``left_at`` to the time of the agreement's next change (in the
    order of time, then id), for the agreements given (None: all of them, after a bulk load),
    whatever order their changes were added in."""
    changes = cast(Table, StageChange.__table__)
    later = changes.alias("later")
    next_change = (
        select(func.min(later.c.changed_at))
        .where(
            later.c.agreement_id == changes.c.agreement_id,
            tuple_(later.c.changed_at, later.c.id) > tuple_(changes.c.changed_at, changes.c.id),
        )
        .scalar_subquery()
    )
    stmt = update(changes).values(left_at=next_change)
    if agreement_ids is not None:
        stmt = stmt.where(changes.c.agreement_id.in_(agreement_ids))
    connection.execute(stmt)


@event.listens_for(Session, "after_flush")
def _close_spells(session: Session, _flush_context: object) -> None:
    moved = {change.agreement_id for change in session.new if isinstance(change, StageChange)}
    if moved:
        close_spells(session.connection(), moved)


class Milestone(AuditedMixin, TimestampMixin, Model):
    """An obligation or milestone of an agreement, with a due date and a responsible user."""

    __tablename__ = "agreement_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date | None] = mapped_column(index=True)
    responsible_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="open")
    notes: Mapped[str] = mapped_column(Text, default="", info={"max_length": 5000})

    agreement: Mapped[Agreement] = relationship(back_populates="milestones")
    responsible: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Milestone {self.id} {self.status}>"


class Document(ArchivableMixin, AuditedMixin, Model):
    """A file attached to an agreement; the bytes live in the upload folder."""

    __tablename__ = "agreement_documents"
    __table_args__ = (current_index("agreement_documents", "current_agreement", "agreement_id"),)
    __audit_exclude__: ClassVar[tuple[str, ...]] = ()

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    description: Mapped[str] = mapped_column(String(300), default="")

    agreement: Mapped[Agreement] = relationship(back_populates="documents")
    uploaded_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.filename}>"


REQUEST_STATUSES = {
    "pending": _l("Waiting for approval"),
    "granted": _l("Granted"),
    "refused": _l("Refused"),
    "superseded": _l("No longer needed"),
}


class StageRequest(AuditedMixin, Model):
    """A staff member's move out of internal approval, waiting for a manager to grant or refuse
    it (``crm.agreements.requests``). At most one is pending per agreement; it is superseded
    when the agreement leaves the stage another way."""

    __tablename__ = "agreement_stage_requests"
    __table_args__ = (
        Index(
            "ux_agreement_stage_requests_pending",
            "agreement_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_agreement_stage_requests_status_id", "status", "id"),
        Index("ix_agreement_stage_requests_requested_by_id", "requested_by_id", "id"),
    )
    __audit_exclude__: ClassVar[tuple[str, ...]] = ()

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    from_stage: Mapped[str] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="", info={"max_length": 2000})
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="", info={"max_length": 2000})

    agreement: Mapped[Agreement] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<StageRequest {self.id} {self.agreement_id} {self.to_stage} {self.status}>"
