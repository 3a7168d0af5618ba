"""Relationship health: gathering each partner's facts, storing its score, and keeping it fresh.

The facts come from what every reader may see (``crm.permissions.visible`` for a viewer): the
agreements that are not confidential and the activities not tied to a confidential agreement,
so that neither a score nor its reasons tells anyone about a confidential record. A score is
recomputed for all current partners nightly (``crm.health.tasks.health_job``, ``flask crm
health``), and for the partners of the activities and agreements a transaction changed, just
before it commits (the session hooks at the end): a few grouped statements, whatever the data.
"""

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from itertools import chain
from typing import Any, cast

from sqlalchemy import Table, case, distinct, event, func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from crm.activities.lists import overdue, still_ahead
from crm.activities.models import Activity
from crm.agreements.models import Agreement, agreement_parties
from crm.extensions import db
from crm.formatting import default_zone, zone_of
from crm.health.models import PartnerHealth, PartnerHealthHistory
from crm.health.score import FREQUENCY_WINDOW_DAYS, Facts, score
from crm.models import utcnow
from crm.partners.models import Partner
from crm.permissions import visible

LIVE_STAGES = ("signed", "active", "renewal")  # in force (as crm.main.figures counts them)
HISTORY_KEEP_DAYS = 400  # a day's score is kept this long: "30 days earlier" and more


class _Everyone:
    """The reader the facts are gathered for: a viewer, who sees no confidential record."""

    role = "viewer"
    is_active = True

    def has_role(self, role: str) -> bool:
        return role == "viewer"


EVERYONE = _Everyone()


def health_day(now: datetime) -> date:
    """The day a score belongs to in the history: ``now``'s day in the application's zone."""
    return now.astimezone(zone_of(default_zone())).date()


def gather_facts(session: Session, now: datetime, ids: set[int] | None) -> dict[int, Facts]:
    """The facts of the partners ``ids`` (None: every partner with any), by partner: one
    grouped statement over the activities, one over the agreements."""
    done = (Activity.status == "done") & (Activity.when_at <= now)
    since = now - timedelta(days=FREQUENCY_WINDOW_DAYS)
    activities = (
        select(
            Activity.partner_id,
            func.max(case((done, Activity.when_at))),
            func.sum(case((done & (Activity.when_at >= since), 1), else_=0)),
            func.sum(case((overdue(now), 1), else_=0)),
            func.sum(case(((Activity.status == "planned") & still_ahead(now), 1), else_=0)),
        )
        .where(
            Activity.archived_at.is_(None),
            Activity.partner_id.is_not(None),
            visible(Activity, EVERYONE),
        )
        .group_by(Activity.partner_id)
    )
    agreements = (
        select(agreement_parties.c.partner_id, func.count(distinct(Agreement.id)))
        .join(Agreement, Agreement.id == agreement_parties.c.agreement_id)
        .where(
            Agreement.archived_at.is_(None),
            Agreement.stage.in_(LIVE_STAGES),
            visible(Agreement, EVERYONE),
        )
        .group_by(agreement_parties.c.partner_id)
    )
    if ids is not None:
        activities = activities.where(Activity.partner_id.in_(ids))
        agreements = agreements.where(agreement_parties.c.partner_id.in_(ids))
    found: dict[int, dict[str, Any]] = {}
    for partner_id, last, recent, late, ahead in session.execute(activities):
        found[partner_id] = {
            "last_activity_days": None if last is None else max(0, (now - last).days),
            "recent_activities": int(recent or 0),
            "overdue_followups": int(late or 0),
            "open_followups": int(ahead or 0),
        }
    for partner_id, count in session.execute(agreements):
        found.setdefault(partner_id, {})["active_agreements"] = count
    return {partner_id: Facts(**values) for partner_id, values in found.items()}


def _upsert(session: Session, table: Any, rows: list[dict], keys: list[str]) -> None:
    """Insert ``rows`` into ``table``, or update those whose ``keys`` exist (one statement,
    safe against a second writer of the same partner at the same time)."""
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(table)
    columns = [name for name in rows[0] if name not in keys]
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={name: stmt.excluded[name] for name in columns}
    )
    session.execute(stmt, rows)


def recompute(
    session: Session, partner_ids: Iterable[int] | None = None, now: datetime | None = None
) -> int:
    """Score the current partners ``partner_ids`` (None: all of them) as of ``now``, store
    each score and its reasons, and today's score in the history. Returns how many were
    scored. The caller commits."""
    now = now or utcnow()
    ids = None if partner_ids is None else set(partner_ids)
    if ids is not None and not ids:
        return 0
    partners = select(Partner.id).where(Partner.archived_at.is_(None))
    if ids is not None:
        partners = partners.where(Partner.id.in_(ids))
    current = list(session.scalars(partners))
    facts = gather_facts(session, now, ids)
    day = health_day(now)
    health, history = [], []
    for partner_id in current:
        value, reasons = score(facts.get(partner_id, Facts()))
        health.append(
            {"partner_id": partner_id, "score": value, "reasons": reasons, "computed_at": now}
        )
        history.append({"partner_id": partner_id, "day": day, "score": value})
    for start in range(0, len(health), 1000):
        _upsert(session, PartnerHealth.__table__, health[start : start + 1000], ["partner_id"])
        chunk = history[start : start + 1000]
        _upsert(session, PartnerHealthHistory.__table__, chunk, ["partner_id", "day"])
    return len(current)


def forget_old_history(session: Session, now: datetime) -> int:
    """Remove the scores older than ``HISTORY_KEEP_DAYS``; returns how many went."""
    table = PartnerHealthHistory.__table__
    assert isinstance(table, Table)
    oldest = health_day(now) - timedelta(days=HISTORY_KEEP_DAYS)
    return cast(CursorResult, session.execute(table.delete().where(table.c.day < oldest))).rowcount


def recompute_all(now: datetime | None = None) -> dict[str, int]:
    """The nightly recompute: every current partner, and the history trimmed. Commits."""
    now = now or utcnow()
    session = db.session()
    scored = recompute(session, None, now)
    forgotten = forget_old_history(session, now)
    db.session.commit()
    return {"scored": scored, "forgotten": forgotten}


def current_health(partner_id: int) -> PartnerHealth | None:
    return db.session.get(PartnerHealth, partner_id)


# --- on change: the partners of the activities and agreements a transaction changed ---------
def _ids(history: Any) -> set[int]:
    return {value for value in chain(history.added, history.unchanged, history.deleted) if value}


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, flush_context: Any) -> None:
    partners: set[int] = session.info.setdefault("health_partners", set())
    agreements: set[int] = session.info.setdefault("health_agreements", set())
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Activity):
            partners |= _ids(inspect(obj).attrs.partner_id.history)
        elif isinstance(obj, Partner):  # a new one is scored at once, a restored one again
            partners.add(obj.id)
        elif isinstance(obj, Agreement):
            agreements.add(obj.id)  # its parties now are read at commit
            parties = inspect(obj).attrs.parties.history
            partners |= {party.id for party in chain(parties.added, parties.deleted)}


@event.listens_for(Session, "before_commit")
def _recompute_changed(session: Session) -> None:
    """Score again, in the transaction that changed them, the partners created or changed, and
    those whose activities or agreements (their parties, and the partners of their activities)
    changed."""
    session.flush()
    partners: set[int] = session.info.pop("health_partners", set())
    agreements: set[int] = session.info.pop("health_agreements", set())
    if agreements:
        parties = select(agreement_parties.c.partner_id).where(
            agreement_parties.c.agreement_id.in_(agreements)
        )
        about = select(Activity.partner_id).where(
            Activity.agreement_id.in_(agreements), Activity.partner_id.is_not(None)
        )
        partners |= set(session.scalars(parties.union(about)))
    if partners:
        recompute(session, partners)


@event.listens_for(Session, "after_transaction_end")
def _forget_changes(session: Session, transaction: Any) -> None:
    """A transaction rolled back: what it changed is no more (one committed was scored)."""
    if transaction.parent is None:
        session.info.pop("health_partners", None)
        session.info.pop("health_agreements", None)
