"""Partners: the list, one partner, and saving one under the rules of the domain."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from crm.activities.lists import dormant
from crm.auth.models import User
from crm.auth.services import check_owner
from crm.extensions import db
from crm.formatting import Formatter
from crm.health.models import PartnerHealth
from crm.lists import Batch, sorted_by, stream_rows, with_names
from crm.matching import name_keys, partner_matches
from crm.models import CooperationArea, utcnow
from crm.partners.models import (
    MAX_POPULATION,
    PARTNER_KINDS,
    RELATIONSHIPS,
    Partner,
    partner_areas,
)
from crm.permissions import current_actor
from crm.records import check_save, get_or_not_found, length_problems
from crm.reference import DOMAINS
from crm.search import best_ids
from crm.text import is_country, range_problem

PARTNER_SORTS = ("name", "country", "relationship", "updated", "health")
EXPORTED = (
    Partner.id,
    Partner.name_en,
    Partner.name_fa,
    Partner.name_local,
    Partner.kind,
    Partner.domain,
    Partner.country,
    Partner.region,
    Partner.population,
    Partner.relationship_type,
    Partner.relationship_since,
    Partner.website,
)


@dataclass
class PartnerFilters:
    """The partner list's filters (only valid values; the form drops the others)."""

    q: str = ""
    domain: str | None = None
    kind: str | None = None
    country: str | None = None
    relationship: str | None = None
    area: int | None = None
    owner: int | None = None
    dormant: int | None = None  # days without activity (``crm.activities.lists.dormant``)
    archived: bool = False
    sort: str = "name"


@dataclass
class PartnerData:
    """What a partner is made of, as typed in the form, an import or the API."""

    kind: str = "city"
    domain: str = "cities"
    name_en: str = ""
    name_fa: str = ""
    name_local: str = ""
    country: str | None = None
    region: str = ""
    population: int | None = None
    timezone: str = ""
    website: str = ""
    relationship_type: str = "prospect"
    relationship_since: date | None = None
    owner_id: int | None = None
    areas: list[int] = field(default_factory=list)
    summary: str = ""
    talking_points: str = ""


# --- reading -------------------------------------------------------------------------------------
def _partners(filters: PartnerFilters, fmt: Formatter, user: Any = None) -> Select:
    """Partners matching ``filters``, sorted for the reader of ``fmt`` (who is ``user``: a
    partner is dormant for them when none of its activities they may see is recent)."""
    stmt = select(Partner).where(Partner.matching(filters.q))
    if not filters.archived:
        stmt = stmt.where(Partner.archived_at.is_(None))
    for column, value in (
        (Partner.domain, filters.domain),
        (Partner.kind, filters.kind),
        (Partner.country, filters.country),
        (Partner.relationship_type, filters.relationship),
        (Partner.owner_id, filters.owner),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if filters.area is not None:
        stmt = stmt.where(Partner.areas.any(CooperationArea.id == filters.area))
    if filters.dormant is not None:
        stmt = stmt.where(dormant(utcnow() - timedelta(days=filters.dormant), user))
    columns = {
        "name": Partner.name_order(fmt.locale),
        "country": Partner.country_order(fmt.locale),
        "relationship": case(
            {code: rank for rank, code in enumerate(RELATIONSHIPS)},
            value=Partner.relationship_type,
            else_=len(RELATIONSHIPS),
        ),
        "updated": Partner.updated_at,
        # the worst first; a partner not scored yet (-1) before them all
        "health": func.coalesce(
            select(PartnerHealth.score)
            .where(PartnerHealth.partner_id == Partner.id)
            .scalar_subquery(),
            -1,
        ),
    }
    return sorted_by(stmt, filters.sort, columns, "name", Partner.id)


def partner_query(filters: PartnerFilters, fmt: Formatter, user: Any = None) -> Select:
    """The partner list: search on the normalised search key, filters and a whitelisted sort in
    the reader's language. Owner, health and areas are loaded eagerly, so a page costs the same
    number of queries whatever its size."""
    return _partners(filters, fmt, user).options(
        joinedload(Partner.owner), joinedload(Partner.health), selectinload(Partner.areas)
    )


def export_rows(filters: PartnerFilters, fmt: Formatter, user: Any = None) -> Iterator[Batch]:
    """The rows of the list's export, with the owner's name and the areas' names: one
    statement, streamed, however many rows."""
    owner = aliased(User)
    stmt = (
        _partners(filters, fmt, user)
        .outerjoin(owner, owner.id == Partner.owner_id)
        .with_only_columns(*EXPORTED, owner.display_name.label("owner"), maintain_column_froms=True)
    )
    stmt = with_names(
        stmt,
        "areas",
        partner_areas,
        "partner_id",
        "area_id",
        CooperationArea,
        fmt,
        order=CooperationArea.position,
    )
    yield from stream_rows(stmt)


def lookup_partners(q: str, fmt: Formatter, limit: int = 20) -> list[Partner]:
    """Current partners whose names match the typed text, for pickers that search as you
    type: the same normalised search as the partner list, those whose names start with the
    typed words first, then the newest (``crm.search.best_ids``)."""
    ids = best_ids(Partner, q, [Partner.archived_at.is_(None)], limit)
    partners = db.session.scalars(select(Partner).where(Partner.id.in_(ids or [0])))
    loaded = {partner.id: partner for partner in partners}
    return [loaded[i] for i in ids if i in loaded]


def get_partner(partner_id: int | None, user: Any) -> Partner:
    """The partner with its owner and areas loaded, or ``NotFound``."""
    return get_or_not_found(
        Partner, partner_id, user, selectinload(Partner.owner), selectinload(Partner.areas)
    )


def partner_names(
    ids: Iterable[int | None], fmt: Formatter, keep: Iterable[int | None] = ()
) -> list[tuple[int, str]]:
    """(id, name) of the partners among ``ids`` that may be chosen: current ones, and those in
    ``keep`` (already linked) even if archived since. Unknown ids are left out."""
    wanted = {int(i) for i in ids if i}
    keep = set(keep)
    if not wanted:
        return []
    partners = db.session.scalars(select(Partner).where(Partner.id.in_(wanted)))
    return sorted(
        ((p.id, fmt.name(p)) for p in partners if not p.archived or p.id in keep),
        key=lambda item: item[1].casefold(),
    )


def duplicate_partners(
    data: PartnerData, partner: Partner | None = None, limit: int = 5
) -> list[Partner]:
    """The partners, archived ones too, that ``data`` probably is already (``crm.matching``):
    the same country (or neither has one) and one of their names, in any of English, Persian
    or its own language, equal once normalised for search, or a transliteration of it
    ("Teheran" and "Tehran"). ``partner`` is the one being edited: never its own duplicate,
    and an edit that keeps its names and country finds none. The partner form warns with
    these before saving."""
    names = (data.name_en, data.name_fa, data.name_local)
    country = (data.country or "").upper() or None
    unchanged = (
        partner is not None
        and partner.country == country
        and name_keys(*names) == name_keys(partner.name_en, partner.name_fa, partner.name_local)
    )
    if unchanged:
        return []
    exclude = partner.id if partner is not None else None
    return [match.partner for match in partner_matches(names, country, exclude, limit)]


# --- writing -------------------------------------------------------------------------------------
def partner_problems(partner: Partner | None, data: PartnerData) -> dict[str, Any]:
    """What is wrong with ``data`` for ``partner`` (None: a new one), by field: the rules the
    acting user's save would break. Saving checks them; a form shows them all at once."""
    reader = Formatter.for_user(current_actor())
    today = reader.today()
    errors: dict[str, Any] = {}
    if not data.name_en.strip() and not data.name_fa.strip():
        errors["name_en"] = _l("Enter the name in English or in Persian (or both).")
    for name, table in (
        ("kind", PARTNER_KINDS),
        ("domain", DOMAINS),
        ("relationship_type", RELATIONSHIPS),
    ):
        if getattr(data, name) not in table:
            errors[name] = _l("Choose from the list.")
    if data.country and not is_country(data.country):
        errors["country"] = _l("Choose from the list.")
    if data.population is not None and not 0 <= data.population <= MAX_POPULATION:
        errors["population"] = range_problem(reader.number(0), reader.number(MAX_POPULATION))
    if data.relationship_since and data.relationship_since > today:
        errors["relationship_since"] = _l("This date is in the future.")
    owner_error = check_owner(data.owner_id, partner.owner_id if partner else None)
    if owner_error:
        errors["owner_id"] = owner_error
    known = (  # no query without areas: an import checks thousands of rows this way
        set(
            db.session.scalars(select(CooperationArea.id).where(CooperationArea.id.in_(data.areas)))
        )
        if data.areas
        else set()
    )
    if set(data.areas) - known:
        errors["areas"] = _l("Choose from the list.")
    for name, message in length_problems(Partner, data).items():
        errors.setdefault(name, message)
    return errors


def save_partner(partner: Partner | None, data: PartnerData, flush: bool = True) -> Partner:
    """Create (``partner`` is None) or change a partner as the acting user. Raises
    ``RuleBroken`` with a message per field, ``Forbidden`` or ``RuleBroken`` (archived).
    The caller commits; with ``flush`` False, the caller flushes too (an import saves
    hundreds of partners per flush)."""
    check_save(
        Partner,
        partner,
        _l("This partner is archived. Restore it before editing."),
        lambda: partner_problems(partner, data),
    )
    if partner is None:
        partner = Partner()
        db.session.add(partner)
    for item in fields(data):
        value = getattr(data, item.name)
        if item.name == "areas":
            continue
        if isinstance(value, str) and item.name not in ("summary", "talking_points"):
            value = value.strip()
        setattr(partner, item.name, value)
    partner.country = (data.country or "").upper() or None
    with db.session.no_autoflush:  # one flush per save at most: an import saves thousands
        chosen = select(CooperationArea).where(CooperationArea.id.in_(data.areas))
        partner.areas = (
            list(db.session.scalars(chosen.order_by(CooperationArea.position)))
            if data.areas
            else []
        )
    if flush:
        db.session.flush()
    return partner
