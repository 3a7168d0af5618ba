"""Agreements in lists: the pipeline list, its stage counts, its export, a partner's agreements."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from crm.agreements.models import (
    Agreement,
    agreement_areas,
    agreement_parties,
)
from crm.agreements.pipeline import LAPSING, PIPELINE
from crm.auth.models import User
from crm.extensions import db
from crm.formatting import Formatter
from crm.lists import Batch, stream_rows, with_names
from crm.models import CooperationArea
from crm.partners.models import Partner
from crm.permissions import visible

SORTS = ("title", "stage", "expires_on", "signed_on", "updated")
DEFAULT_SORT = "-updated"


@dataclass
class AgreementFilters:
    """The valid part of the list's query arguments (invalid ones are dropped by the form)."""

    q: str = ""
    stage: str | None = None
    type: str | None = None
    confidentiality: str | None = None
    partner_id: int | None = None
    party: str = ""
    domain: str | None = None
    country: str | None = None  # of a party
    area_id: int | None = None
    owner_id: int | None = None
    expiring: int | None = None  # days
    show: str = ""  # "" current, "archived" archived only, "all" both
    sort: str = DEFAULT_SORT


def filtered(stmt: Select, user: Any, f: AgreementFilters, today: date, *, with_stage: bool):
    """``stmt`` narrowed to the agreements ``user`` may see that match ``f`` (its stage too,
    ``with_stage``): the list's, the counts' and the pipeline board's one filter."""
    stmt = stmt.where(visible(Agreement, user))
    if f.show == "archived":
        stmt = stmt.where(Agreement.archived_at.is_not(None))
    elif f.show != "all":
        stmt = stmt.where(Agreement.archived_at.is_(None))
    if f.q:
        stmt = stmt.where(Agreement.matching(f.q))
    if with_stage and f.stage:
        stmt = stmt.where(Agreement.stage == f.stage)
    for column, value in (
        (Agreement.type, f.type),
        (Agreement.confidentiality, f.confidentiality),
        (Agreement.owner_id, f.owner_id),
    ):
        if value:
            stmt = stmt.where(column == value)
    if f.partner_id:
        stmt = stmt.where(Agreement.parties.any(Partner.id == f.partner_id))
    if f.party:
        stmt = stmt.where(Agreement.parties.any(Partner.matching(f.party)))
    # The agreements of the partners of a domain or a country: one list, made once (as an EXISTS
    # per agreement, SQLite went through every partner of the domain for each agreement).
    for party_column, wanted in ((Partner.domain, f.domain), (Partner.country, f.country)):
        if wanted:
            stmt = stmt.where(Agreement.id.in_(_with_party_where(party_column == wanted)))
    if f.area_id:
        stmt = stmt.where(Agreement.areas.any(CooperationArea.id == f.area_id))
    if f.expiring is not None:  # in force and ending soon (as the pipeline figures count them)
        stmt = stmt.where(
            Agreement.stage.in_(LAPSING),
            Agreement.expires_on.between(today, today + timedelta(days=f.expiring)),
        )
    return stmt


def _with_party_where(condition: Any) -> Select:
    """The ids of the agreements one of whose parties meets ``condition``."""
    return (
        select(agreement_parties.c.agreement_id)
        .join(Partner, Partner.id == agreement_parties.c.partner_id)
        .where(condition)
    )


def _sort_column(key: str, locale: str) -> Any:
    if key == "title":
        return Agreement.name_order(locale)
    if key == "stage":
        return case(
            {stage: i for i, stage in enumerate(PIPELINE)},
            value=Agreement.stage,
            else_=len(PIPELINE),
        )
    return {
        "expires_on": Agreement.expires_on,
        "signed_on": Agreement.signed_on,
        "updated": Agreement.updated_at,
    }[key]


def _agreements(user: Any, f: AgreementFilters, fmt: Formatter) -> Select:
    """The agreements ``user`` may see that match ``f``, sorted for the reader of ``fmt``."""
    stmt = filtered(select(Agreement), user, f, fmt.today(), with_stage=True)
    key = f.sort.lstrip("-")
    if key not in SORTS:
        key = DEFAULT_SORT.lstrip("-")
    column = _sort_column(key, fmt.locale)
    descending = f.sort.startswith("-")
    order = column.desc() if descending else column.asc()
    if key in {"expires_on", "signed_on"}:
        order = order.nulls_last()
    # Equal titles go by id in the title's direction: the title index holds both.
    ascending_id = key == "title" and not descending
    return stmt.order_by(order, Agreement.id.asc() if ascending_id else Agreement.id.desc())


def list_query(user: Any, f: AgreementFilters, fmt: Formatter) -> Select:
    """The ids of the agreements on the list, sorted (the default order from the partial index
    ``ix_agreements_current_updated``). Paginate it, then ``load_page``."""
    return _agreements(user, f, fmt).with_only_columns(Agreement.id)


def load_page(ids: list[int]) -> list[Agreement]:
    """The agreements of ``ids`` in that order, with everything the list shows."""
    stmt = (
        select(Agreement)
        .options(
            selectinload(Agreement.parties),
            selectinload(Agreement.areas),
            joinedload(Agreement.owner),
        )
        .where(Agreement.id.in_(ids or [0]))
    )
    by_id = {agreement.id: agreement for agreement in db.session.scalars(stmt).unique()}
    return [by_id[i] for i in ids if i in by_id]


def export_rows(user: Any, f: AgreementFilters, fmt: Formatter) -> Iterator[Batch]:
    """The rows of the list's export with the names of the parties, areas and owner: one
    statement, streamed, however many rows."""
    owner = aliased(User)
    stmt = (
        _agreements(user, f, fmt)
        .outerjoin(owner, owner.id == Agreement.owner_id)
        .with_only_columns(
            Agreement.id,
            Agreement.reference,
            Agreement.title_en,
            Agreement.title_fa,
            Agreement.type,
            Agreement.stage,
            Agreement.signed_on,
            Agreement.effective_on,
            Agreement.expires_on,
            Agreement.confidentiality,
            owner.display_name.label("owner"),
            maintain_column_froms=True,
        )
    )
    stmt = with_names(
        stmt, "parties", agreement_parties, "agreement_id", "partner_id", Partner, fmt
    )
    stmt = with_names(
        stmt,
        "areas",
        agreement_areas,
        "agreement_id",
        "area_id",
        CooperationArea,
        fmt,
        order=CooperationArea.position,
    )
    yield from stream_rows(stmt)


def stage_counts(user: Any, f: AgreementFilters, fmt: Formatter) -> dict[str, int]:
    """How many agreements match the filters (all but the stage) in each stage: one query."""
    return {stage: count for stage, count in db.session.execute(stage_count_query(user, f, fmt))}


def stage_count_query(user: Any, f: AgreementFilters, fmt: Formatter) -> Select:
    """The statement of ``stage_counts``: ``count(*)``, which the index on (stage, archived_at,
    confidentiality) answers alone when no other filter applies, where counting ids reads
    every row."""
    return filtered(
        select(Agreement.stage, func.count()), user, f, fmt.today(), with_stage=False
    ).group_by(Agreement.stage)


def _with_partner(stmt: Select, partner: Partner, user: Any) -> Select:
    return stmt.join(agreement_parties, agreement_parties.c.agreement_id == Agreement.id).where(
        agreement_parties.c.partner_id == partner.id,
        Agreement.archived_at.is_(None),
        visible(Agreement, user),
    )


def agreements_with_partner(partner: Partner, user: Any, limit: int = 10) -> list[Agreement]:
    """Current agreements the partner is a party to, as far as ``user`` may see them: the
    ``limit`` last changed."""
    stmt = _with_partner(select(Agreement), partner, user)
    return list(
        db.session.scalars(
            stmt.order_by(Agreement.updated_at.desc(), Agreement.id.desc()).limit(limit)
        )
    )


def count_agreements_with_partner(partner: Partner, user: Any) -> int:
    """How many agreements ``agreements_with_partner`` would show without a limit."""
    return db.session.scalar(_with_partner(select(func.count(Agreement.id)), partner, user)) or 0


def dated_agreements_with_partner(partner: Partner, user: Any) -> list[Agreement]:
    """The current agreements with the partner that ``user`` may see and that have a signing or
    an expiry date (for their coming anniversaries and expiries), soonest to expire first."""
    stmt = _with_partner(select(Agreement), partner, user).where(
        or_(Agreement.signed_on.is_not(None), Agreement.expires_on.is_not(None))
    )
    return list(db.session.scalars(stmt.order_by(Agreement.expires_on, Agreement.id)))
