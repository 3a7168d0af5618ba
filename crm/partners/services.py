"""Partner and contact queries and rules: lists, the 360° view, saving, primary contact,
archive and restore."""

from collections.abc import Iterable
from typing import Any

from flask import abort
from flask_babel import get_locale
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import selectinload

from crm.activities.models import Activity
from crm.activities.services import visible_activities, when_key
from crm.agreements.models import Agreement, agreement_parties
from crm.agreements.services import visible_to
from crm.auth.models import User
from crm.extensions import db
from crm.i18n import country_choices
from crm.models import CooperationArea
from crm.partners.models import RELATIONSHIPS, Contact, Partner

PARTNER_FIELDS = (
    "kind",
    "domain",
    "name_en",
    "name_fa",
    "name_local",
    "country",
    "region",
    "population",
    "timezone",
    "website",
    "relationship_type",
    "relationship_since",
    "owner_id",
    "summary",
    "talking_points",
)
PARTNER_SORTS = ("name", "country", "relationship", "updated")


# --- shared helpers ------------------------------------------------------------------------------
def _persian() -> bool:
    return str(get_locale() or "en") == "fa"


def name_order(en, fa, other=None):
    """The name column the user reads first (Persian in fa), falling back to the others."""
    first, second = (fa, en) if _persian() else (en, fa)
    parts = [func.nullif(first, ""), func.nullif(second, "")] + (
        [other] if other is not None else []
    )
    return func.lower(func.coalesce(*parts, ""))


def sorted_by(
    stmt: Select,
    sort: str | None,
    allowed: Iterable[str],
    columns: dict[str, Any],
    default: str,
    tie,
) -> Select:
    """Order by a whitelisted ``sort`` key (``name`` or ``-name``); unknown keys use default."""
    sort = sort or default
    key = sort.lstrip("-")
    if key not in allowed:
        sort, key = default, default.lstrip("-")
    column = columns[key]
    ordering = column.desc() if sort.startswith("-") else column.asc()
    return stmt.order_by(ordering, tie)


def clean_sort(sort: str | None, allowed: Iterable[str], default: str) -> str:
    """The sort key actually used for ``sort`` (for the table headers)."""
    return sort if sort and sort.lstrip("-") in allowed else default


# --- partners ------------------------------------------------------------------------------------
def partner_query(
    *,
    q: str | None = None,
    domain: str | None = None,
    kind: str | None = None,
    country: str | None = None,
    relationship: str | None = None,
    area: int | None = None,
    owner: int | None = None,
    archived: bool = False,
    sort: str | None = None,
    **_ignored,
) -> Select:
    """The partner list: search on the normalised search key, filters and a whitelisted sort.

    Owner and areas are loaded eagerly, so a page costs the same number of queries whatever
    its size.
    """
    stmt = select(Partner).options(selectinload(Partner.owner), selectinload(Partner.areas))
    stmt = stmt.where(Partner.matching(q))
    if not archived:
        stmt = stmt.where(Partner.archived_at.is_(None))
    for column, value in (
        (Partner.domain, domain),
        (Partner.kind, kind),
        (Partner.country, country),
        (Partner.relationship_type, relationship),
        (Partner.owner_id, owner),
    ):
        if value is not None:
            stmt = stmt.where(column == value)
    if area is not None:
        stmt = stmt.where(Partner.areas.any(CooperationArea.id == area))
    country_rank = {code: rank for rank, (code, _) in enumerate(country_choices())}
    columns = {
        "name": name_order(Partner.name_en, Partner.name_fa, Partner.name_local),
        "country": case(country_rank, value=Partner.country, else_=len(country_rank)),
        "relationship": case(
            {code: rank for rank, code in enumerate(RELATIONSHIPS)},
            value=Partner.relationship_type,
            else_=len(RELATIONSHIPS),
        ),
        "updated": Partner.updated_at,
    }
    return sorted_by(stmt, sort, PARTNER_SORTS, columns, "name", Partner.id)


def partner_names(ids: Iterable[int], keep: Iterable[int] = ()) -> list[tuple[int, str]]:
    """(id, name) of the partners among ``ids`` that may be chosen: current ones, and those in
    ``keep`` (already linked) even if archived since. Unknown ids are left out."""
    ids = {int(i) for i in ids if i}
    if not ids:
        return []
    keep = set(keep)
    partners = db.session.scalars(select(Partner).where(Partner.id.in_(ids)))
    return sorted(
        ((p.id, p.name) for p in partners if not p.archived or p.id in keep),
        key=lambda item: item[1].casefold(),
    )


def lookup_partners(q: str | None, limit: int = 20) -> list[Partner]:
    """Current partners whose names match the typed text, for pickers that search as you
    type: the same normalised search as the partner list."""
    stmt = partner_query(q=q, sort="name").limit(limit)
    return list(db.session.scalars(stmt).unique())


def get_partner(partner_id: int) -> Partner:
    """The partner with its owner and areas loaded, or a 404."""
    partner = db.session.get(
        Partner, partner_id, options=[selectinload(Partner.owner), selectinload(Partner.areas)]
    )
    if partner is None:
        abort(404)
    return partner


def save_partner(partner: Partner, values: dict[str, Any]) -> Partner:
    """Copy the form values to ``partner`` (new or existing); ``areas`` is a list of ids."""
    for name in PARTNER_FIELDS:
        if name in values:
            value = values[name]
            if isinstance(value, str) and name not in ("summary", "talking_points"):
                value = value.strip()
            if name == "country":
                value = value or None
            setattr(partner, name, value)
    if "areas" in values:
        ids = list(values["areas"] or [])
        partner.areas = (
            list(
                db.session.scalars(
                    select(CooperationArea)
                    .where(CooperationArea.id.in_(ids))
                    .order_by(CooperationArea.position)
                )
            )
            if ids
            else []
        )
    if partner.id is None:
        db.session.add(partner)
    db.session.flush()
    return partner


def partner_contacts(partner: Partner) -> list[Contact]:
    """The partner's current contacts, the primary one first."""
    return list(
        db.session.scalars(
            select(Contact)
            .where(Contact.partner_id == partner.id, Contact.archived_at.is_(None))
            .order_by(
                Contact.is_primary.desc(),
                name_order(Contact.name_latin, Contact.name_fa),
                Contact.id,
            )
        )
    )


def archived_contact_count(partner: Partner) -> int:
    return (
        db.session.scalar(
            select(func.count(Contact.id)).where(
                Contact.partner_id == partner.id, Contact.archived_at.is_not(None)
            )
        )
        or 0
    )


def partner_agreements(partner: Partner, user: User) -> list[Agreement]:
    """Agreements the partner is a party to, as far as ``user`` may see them."""
    return list(
        db.session.scalars(
            select(Agreement)
            .join(agreement_parties, agreement_parties.c.agreement_id == Agreement.id)
            .where(
                agreement_parties.c.partner_id == partner.id,
                Agreement.archived_at.is_(None),
                visible_to(user),
            )
            .order_by(Agreement.updated_at.desc(), Agreement.id.desc())
            .limit(50)
        )
    )


def partner_timeline(partner: Partner, user: User, limit: int = 20) -> list[Activity]:
    """Done and cancelled activities with the partner that the user may see, newest first."""
    return list(
        db.session.scalars(
            select(Activity)
            .options(selectinload(Activity.owner))
            .where(
                Activity.partner_id == partner.id,
                Activity.archived_at.is_(None),
                Activity.status != "planned",
                visible_activities(user),
            )
            .order_by(when_key().desc(), Activity.id.desc())
            .limit(limit)
        )
    )


def partner_followups(partner: Partner, user: User, limit: int = 20) -> list[Activity]:
    """Planned activities with the partner that the user may see, the earliest first."""
    when = when_key()
    return list(
        db.session.scalars(
            select(Activity)
            .options(selectinload(Activity.owner))
            .where(
                Activity.partner_id == partner.id,
                Activity.archived_at.is_(None),
                Activity.status == "planned",
                visible_activities(user),
            )
            .order_by(when.is_(None), when.asc(), Activity.id)
            .limit(limit)
        )
    )
