"""What a rule finds (``Due``: a ledger row to write for each channel) and what a reminder says
(``Message``), shared by the rules of ``crm.reminders.rules`` and
``crm.reminders.request_rules``."""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Due:
    """One reminder a sweep found: a ledger row to write for each channel."""

    rule: str
    record_kind: str
    record_id: int
    occurrence: str
    recipient_id: int
    due_at: datetime


@dataclass(frozen=True)
class Message:
    """What a reminder says, in its reader's language: a subject and the lines of its body
    (``(label, value)``), and the record it is about (for its link)."""

    subject: str
    lines: list[tuple[str, str]]
    record_kind: str | None
    record_id: int | None
