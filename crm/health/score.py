"""The relationship health score: the rules and their weights, in one place (docs: README).

A partner's score (0–100) is the sum of what speaks for the relationship, less what speaks
against it, from facts that reveal nothing confidential (``crm.health.services`` gathers them
from non-confidential agreements and the activities not tied to a confidential agreement):

- recency: the last activity done (``RECENCY_POINTS``: within 30 days 35 points, … none: 0);
- frequency: activities done in the last ``FREQUENCY_WINDOW_DAYS`` days, ``POINTS_PER_ACTIVITY``
  each, at most ``FREQUENCY_MAX``;
- agreements in force (signed, active or in renewal), ``POINTS_PER_AGREEMENT`` each, at most
  ``AGREEMENTS_MAX``;
- open follow-ups still ahead, ``POINTS_PER_OPEN_FOLLOWUP`` each, at most ``OPEN_FOLLOWUPS_MAX``;
- overdue follow-ups, less ``PENALTY_PER_OVERDUE`` each, at most ``OVERDUE_MAX_PENALTY``.

The best a partner can reach is exactly 100; the score is kept within 0–100. Each part gives a
reason (a code, its count and its points), translated only when shown (``reason_texts``).
"""

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from crm.formatting import Formatter

# (within so many days, points) for the last activity done, the first step that holds.
RECENCY_POINTS = ((30, 35), (90, 25), (180, 12), (365, 5))
FREQUENCY_WINDOW_DAYS = 365
POINTS_PER_ACTIVITY = 5
FREQUENCY_MAX = 25
POINTS_PER_AGREEMENT = 15
AGREEMENTS_MAX = 25
POINTS_PER_OPEN_FOLLOWUP = 5
OPEN_FOLLOWUPS_MAX = 15
PENALTY_PER_OVERDUE = 10
OVERDUE_MAX_PENALTY = 30
# The bands: from GOOD_FROM "good", from WATCH_FROM "watch", below it "at risk".
GOOD_FROM = 70
WATCH_FROM = 40

BANDS = {"good": _l("Good"), "watch": _l("Watch"), "at_risk": _l("At risk")}
BAND_STYLES = {"good": "success", "watch": "warning", "at_risk": "danger"}


@dataclass(frozen=True)
class Facts:
    """What the score is made of, for one partner at one moment."""

    last_activity_days: int | None = None  # days since the last activity done; None: never
    recent_activities: int = 0  # done in the last FREQUENCY_WINDOW_DAYS days
    active_agreements: int = 0
    open_followups: int = 0  # planned and still ahead
    overdue_followups: int = 0


def recency_points(days: int | None) -> int:
    if days is None:
        return 0
    return next((points for within, points in RECENCY_POINTS if days <= within), 0)


def score(facts: Facts) -> tuple[int, list[dict[str, Any]]]:
    """The score of ``facts`` and its reasons (the worst first)."""
    reasons: list[dict[str, Any]] = []

    def add(code: str, count: int | None, points: int) -> None:
        reasons.append({"code": code, "count": count, "points": points})

    if facts.overdue_followups:
        penalty = min(facts.overdue_followups * PENALTY_PER_OVERDUE, OVERDUE_MAX_PENALTY)
        add("overdue", facts.overdue_followups, -penalty)
    if facts.last_activity_days is None:
        add("no_activity", None, 0)
    else:
        add("last_activity", facts.last_activity_days, recency_points(facts.last_activity_days))
        add(
            "recent_activities",
            facts.recent_activities,
            min(facts.recent_activities * POINTS_PER_ACTIVITY, FREQUENCY_MAX),
        )
    add(
        "active_agreements",
        facts.active_agreements,
        min(facts.active_agreements * POINTS_PER_AGREEMENT, AGREEMENTS_MAX),
    )
    if facts.open_followups:
        points = min(facts.open_followups * POINTS_PER_OPEN_FOLLOWUP, OPEN_FOLLOWUPS_MAX)
        add("open_followups", facts.open_followups, points)
    total = sum(reason["points"] for reason in reasons)
    return max(0, min(100, total)), reasons


def band(value: int | None) -> str | None:
    """``good``, ``watch`` or ``at_risk``; None for a partner not scored yet."""
    if value is None:
        return None
    if value >= GOOD_FROM:
        return "good"
    return "watch" if value >= WATCH_FROM else "at_risk"


def reason_text(reason: dict[str, Any], fmt: Formatter) -> str:
    """One stored reason in the reader's words and digits ("Last activity 200 days ago")."""
    code, count = reason.get("code"), reason.get("count") or 0
    gettext, ngettext = fmt.catalog.gettext, fmt.catalog.ngettext
    num = {"num": fmt.number(count)}
    if code == "overdue":
        return ngettext("%(num)s overdue follow-up", "%(num)s overdue follow-ups", count) % num
    if code == "no_activity":
        return gettext("No activity done yet")
    if code == "last_activity":
        if count == 0:
            return gettext("Last activity today")
        return (
            ngettext("Last activity %(num)s day ago", "Last activity %(num)s days ago", count) % num
        )
    if code == "recent_activities":
        if count == 0:
            return gettext("No activity in the last year")
        return (
            ngettext(
                "%(num)s activity in the last year", "%(num)s activities in the last year", count
            )
            % num
        )
    if code == "active_agreements":
        if count == 0:
            return gettext("No agreement in force")
        return ngettext("%(num)s agreement in force", "%(num)s agreements in force", count) % num
    if code == "open_followups":
        return ngettext("%(num)s open follow-up", "%(num)s open follow-ups", count) % num
    return str(code)


def reason_texts(reasons: list[dict[str, Any]] | None, fmt: Formatter) -> list[str]:
    return [reason_text(reason, fmt) for reason in reasons or []]


def signed_points(points: int, fmt: Formatter) -> str:
    """``+35``, ``−30`` or ``0``, in the reader's digits (a reason's weight on the page)."""
    sign = "+" if points > 0 else "−" if points < 0 else ""
    return sign + fmt.number(abs(points))
