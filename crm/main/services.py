"""The start page's figures and the global search."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, selectinload

from crm.activities import followups
from crm.activities.lists import (
    MIN_QUERY,
    happened,
    load_page,
    still_ahead,
    when_key,
)
from crm.activities.models import Activity
from crm.agreements.models import Agreement
from crm.extensions import db
from crm.formatting import Formatter
from crm.main.figures import Expiring, expiring_agreements, stage_counts
from crm.models import utcnow
from crm.partners.models import Contact, Partner
from crm.permissions import visible
from crm.reference import DOMAINS
from crm.search import Wanted, best_ids_of
from crm.text import normalize_search

SEARCH_LIMIT = 10
RECENT = 5  # activities coming up and past, on the start page


@dataclass
class Dashboard:
    partners_by_domain: dict[str, int]
    agreements_by_stage: dict[str, int]
    expiring: tuple[Expiring, ...]  # the first ten
    overdue: list[Activity]
    upcoming: list[Activity]
    coming: list[Activity]  # everyone's (visible) activities still ahead, the soonest first
    past: list[Activity]  # and those whose time has come, the latest first
    today: date

    @property
    def partner_total(self) -> int:
        return sum(self.partners_by_domain.values())

    @property
    def agreement_total(self) -> int:
        return sum(self.agreements_by_stage.values())


def partners_per_domain() -> Select:
    """Current partners per domain (read from ``ix_partners_domain_archived`` alone)."""
    return (
        select(Partner.domain, func.count())
        .where(Partner.archived_at.is_(None))
        .group_by(Partner.domain)
    )


def dashboard(user: Any, fmt: Formatter, top: int = 5, now: datetime | None = None) -> Dashboard:
    """The start page of ``user``, in the days of the reader of ``fmt``: a fixed handful of
    grouped queries, whatever the data. Its agreement figures are those of the pipeline report
    (``crm.main.figures``)."""
    now = now or utcnow()
    today = now.astimezone(fmt.zone).date()
    per_domain = dict(db.session.execute(partners_per_domain()).all())
    expiring, _total = expiring_agreements(user, fmt, today, limit=10)
    overdue, upcoming = followups.overdue_and_upcoming(user, fmt, limit=top, now=now)
    current = select(Activity.id).where(Activity.archived_at.is_(None), visible(Activity, user))
    coming_ids = list(
        db.session.scalars(
            current.where(still_ahead(now)).order_by(when_key(), Activity.id).limit(RECENT)
        )
    )
    past_ids = list(
        db.session.scalars(
            current.where(happened(now))
            .order_by(when_key().desc(), Activity.id.desc())
            .limit(RECENT)
        )
    )
    loaded = {a.id: a for a in load_page(coming_ids + past_ids)}
    return Dashboard(
        partners_by_domain={code: per_domain.get(code, 0) for code in DOMAINS},
        agreements_by_stage=stage_counts(user)[0],
        expiring=expiring,
        overdue=overdue,
        upcoming=upcoming,
        coming=[loaded[i] for i in coming_ids if i in loaded],
        past=[loaded[i] for i in past_ids if i in loaded],
        today=today,
    )


@dataclass
class SearchResults:
    query: str
    partners: list[Partner] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    too_short: bool = False

    @property
    def total(self) -> int:
        return len(self.partners) + len(self.contacts) + len(self.agreements) + len(self.activities)


def search_everything(user: Any, text: str | None, limit: int = SEARCH_LIMIT) -> SearchResults:
    """Partners, contacts, agreements (visible ones) and activities whose search key holds every
    word of the query, after the same normalisation as the stored keys (Arabic yeh/kaf,
    diacritics, ZWNJ). Archived records are left out. Each list holds up to ``limit + 1`` rows,
    so the page knows when to offer "see all": those whose words start with the query's words
    first, then the newest first (``crm.search.best_ids_of``)."""
    query = normalize_search(text)
    results = SearchResults(query=(text or "").strip())
    if len(query.replace(" ", "")) < MIN_QUERY:
        results.too_short = bool(query)
        return results
    current = Partner.archived_at.is_(None)
    more = limit + 1
    ids = best_ids_of(
        query,
        {
            "partners": Wanted(Partner, [current], more),
            "contacts": Wanted(
                Contact, [Contact.archived_at.is_(None), Contact.partner.has(current)], more
            ),
            "agreements": Wanted(
                Agreement, [Agreement.archived_at.is_(None), visible(Agreement, user)], more
            ),
            "activities": Wanted(
                Activity, [Activity.archived_at.is_(None), visible(Activity, user)], more
            ),
        },
    )
    results.partners = _load(Partner, ids["partners"])
    results.contacts = _load(Contact, ids["contacts"], joinedload(Contact.partner))
    results.agreements = _load(Agreement, ids["agreements"], selectinload(Agreement.parties))
    results.activities = load_page(ids["activities"])
    return results


def _load(model: Any, ids: list[int], *options: Any) -> list:
    """The rows of ``ids``, loaded with ``options``, in the order of ``ids``."""
    if not ids:
        return []
    rows = db.session.scalars(select(model).where(model.id.in_(ids)).options(*options))
    loaded = {row.id: row for row in rows.unique()}
    return [loaded[i] for i in ids if i in loaded]
