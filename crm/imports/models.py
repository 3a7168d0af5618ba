"""An import run (one uploaded file, its mapping, choices and result), what it wrote row by
row (for undo), and the last mapping each user chose per kind."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression

from crm.extensions import Model
from crm.models import UTCDateTime, utcnow

KINDS = ("partners", "contacts")
# mapping: the columns are being mapped and previewed; queued / running: a worker does its
# ``job``; done: committed; failed: the commit wrote nothing; undone: undo ran.
STATUSES = ("mapping", "queued", "running", "done", "failed", "undone")
WAITING = ("queued", "running")
# What a worker does with a large file: the dry run (from ``mapping`` back to ``mapping``, its
# result kept in ``preview``), the commit (to ``done``, or ``failed``), the undo (from ``done``
# to ``undone``, or back to ``done`` when it failed).
JOBS = ("preview", "commit", "undo")


class ImportRun(Model):
    """One uploaded file of ``kind`` for ``owner_id``. ``headers`` and ``rows`` hold the cells
    as read (text, or ``["date", "YYYY-MM-DD"]`` for a spreadsheet's date cell), so a worker on
    any host can commit it. ``mapping`` is a field per column (or None), ``choices`` the
    reader's update or skip per matched row (by row number), ``on_match`` the default for the
    others, ``skip_bad`` that rows with errors are explicitly left out. ``act_id`` is the
    audited act of the commit, ``undo_act_id`` that of the undo. ``job`` is what a worker does
    (or last did) with it, ``error`` why that failed (in the owner's language), ``preview``
    the dry run a worker made of a large file (``crm.imports.preview.stored``)."""

    __tablename__ = "imports"
    __table_args__ = (Index("ix_imports_owner_id_id", "owner_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(200), default="")
    encoding: Mapped[str] = mapped_column(String(40), default="")
    headers: Mapped[list[Any]] = mapped_column(JSON, default=list)
    rows: Mapped[list[Any]] = mapped_column(JSON, default=list)
    mapping: Mapped[list[Any]] = mapped_column(JSON, default=list)
    choices: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    on_match: Mapped[str] = mapped_column(String(10), default="skip")
    skip_bad: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default="mapping")
    progress: Mapped[int] = mapped_column(default=0)
    job: Mapped[str] = mapped_column(String(10), default="commit", server_default="commit")
    preview: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempt: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(String(500), default="")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    kept: Mapped[list[Any]] = mapped_column(JSON, default=list)
    act_id: Mapped[int | None] = mapped_column(ForeignKey("audit_acts.id"))
    undo_act_id: Mapped[int | None] = mapped_column(ForeignKey("audit_acts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # how many rows the file has, counted by the database for a list (``imports_query``),
    # which leaves the cells unread
    row_count: Mapped[int | None] = query_expression()

    @property
    def waiting(self) -> bool:
        return self.status in WAITING

    def __repr__(self) -> str:
        return f"<ImportRun {self.id} {self.kind} {self.status}>"


class ImportItem(Model):
    """A record an import created or changed: ``action`` ``create`` or ``update``, and for a
    change the values it had before (``before``, by field), which undo puts back."""

    __tablename__ = "import_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id"), index=True)
    row: Mapped[int] = mapped_column()
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column()
    action: Mapped[str] = mapped_column(String(10))
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    def __repr__(self) -> str:
        return f"<ImportItem {self.action} {self.object_type}#{self.object_id}>"


class ImportMapping(Model):
    """The mapping a user chose last for ``kind``: the field of each column heading (as
    ``normalize_search`` writes it), offered again for the next file."""

    __tablename__ = "import_mappings"
    __table_args__ = (UniqueConstraint("user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<ImportMapping {self.user_id} {self.kind}>"
