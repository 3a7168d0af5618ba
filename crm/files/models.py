"""A file a user asked for, built in the background: its request, progress and result."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import Model
from crm.models import UTCDateTime, utcnow

KINDS = ("pack", "pipeline")
STATUSES = ("queued", "running", "ready", "failed", "expired")
WAITING = ("queued", "running")  # not finished yet: the page keeps watching


class PreparedFile(Model):
    """One job run (DESIGN.md's "Job run"): ``kind`` is what is built (``pack`` for a
    briefing pack of several partners, ``pipeline`` for the managers' pipeline report) for
    ``owner_id``, who alone sees it. ``parameters`` holds plain values only (partner ids,
    language). ``attempt`` counts the runs that claimed it: a run writes its progress and its
    result only while the row is still its own, so a worker thought dead and replaced cannot
    overwrite the run that replaced it. ``touched_at`` is the last sign of life (queued,
    claimed or progress); a row waiting or running without one for too long is handed out
    again. ``stored_name`` is the file's name in ``CRM_FILES_FOLDER``."""

    __tablename__ = "prepared_files"
    __table_args__ = (
        Index("ix_prepared_files_owner_id_id", "owner_id", "id"),  # "My files", newest first
        Index("ix_prepared_files_status_touched", "status", "touched_at"),  # the tidy-up
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    step: Mapped[str] = mapped_column(String(200), default="")
    attempt: Mapped[int] = mapped_column(default=0)
    filename: Mapped[str] = mapped_column(String(200), default="")
    stored_name: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int | None]
    error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def waiting(self) -> bool:
        return self.status in WAITING

    def __repr__(self) -> str:
        return f"<PreparedFile {self.id} {self.kind} {self.status} for user {self.owner_id}>"
