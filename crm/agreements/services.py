"""Agreements: the list, one agreement, and saving one (with its milestones) under the rules."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from crm.agreements.models import (
    AGREEMENT_TYPES,
    CONFIDENTIALITY,
    MILESTONE_STATUSES,
    STAGES,
    Agreement,
    Milestone,
    StageChange,
    agreement_areas,
    agreement_parties,
)
from crm.agreements.pipeline import INITIAL_STAGES, PIPELINE, record_initial_stage
from crm.auth.models import User
from crm.auth.services import check_owner
from crm.exceptions import NotFound, RuleBroken
from crm.extensions import db
from crm.formatting import Formatter
from crm.lists import links, stream_rows
from crm.models import CooperationArea
from crm.partners.models import Partner
from crm.permissions import can, current_actor, ensure, visible
from crm.records import check_save, ensure_current, get_or_not_found
from crm.reference import all_areas

SORTS = ("title", "stage", "expires_on", "signed_on", "updated")
DEFAULT_SORT = "-updated"
# While an agreement is in force its key dates are facts, not plans: they cannot be emptied.
IN_FORCE = ("signed", "active", "renewal")
KEY_DATES = ("signed_on", "effective_on", "expires_on")


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
    area_id: int | None = None
    owner_id: int | None = None
    expiring: int | None = None  # days
    show: str = ""  # "" current, "archived" archived only, "all" both
    sort: str = DEFAULT_SORT


@dataclass
class AgreementData:
    """What an agreement is made of, as typed in the form, an import or the API."""

    type: str = ""
    title_en: str = ""
    title_fa: str = ""
    reference: str = ""
    party_ids: list[int] = field(default_factory=list)
    area_ids: list[int] = field(default_factory=list)
    terms_summary: str = ""
    stage: str = "idea"  # the starting stage of a new agreement; later moves use the pipeline
    signed_on: date | None = None
    effective_on: date | None = None
    expires_on: date | None = None
    renewal_notice_days: int = 90
    auto_renew: bool = False
    signatories: str = ""
    owner_id: int | None = None
    confidentiality: str = "internal"


@dataclass
class MilestoneData:
    title: str = ""
    due_on: date | None = None
    responsible_id: int | None = None
    status: str = "open"
    notes: str = ""


# --- lists -----------------------------------------------------------------------------------
def _filtered(stmt: Select, user: Any, f: AgreementFilters, today: date, *, with_stage: bool):
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
    if f.domain:
        stmt = stmt.where(Agreement.parties.any(Partner.domain == f.domain))
    if f.area_id:
        stmt = stmt.where(Agreement.areas.any(CooperationArea.id == f.area_id))
    if f.expiring is not None:
        stmt = stmt.where(Agreement.expires_on.between(today, today + timedelta(days=f.expiring)))
    return stmt


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
    stmt = _filtered(select(Agreement), user, f, fmt.today(), with_stage=True)
    key = f.sort.lstrip("-")
    if key not in SORTS:
        key = DEFAULT_SORT.lstrip("-")
    column = _sort_column(key, fmt.locale)
    order = column.desc() if f.sort.startswith("-") else column.asc()
    if key in {"expires_on", "signed_on"}:
        order = order.nulls_last()
    return stmt.order_by(order, Agreement.id.desc())


def list_query(user: Any, f: AgreementFilters, fmt: Formatter) -> Select:
    """The agreements on the list, with everything the page shows eagerly loaded."""
    return _agreements(user, f, fmt).options(
        selectinload(Agreement.parties), selectinload(Agreement.areas), joinedload(Agreement.owner)
    )


def export_rows(user: Any, f: AgreementFilters, fmt: Formatter) -> Iterator[SimpleNamespace]:
    """The rows of the list's export with the names of the parties, areas and owner: three
    queries (the parties and areas of all the agreements at once, then the agreements
    streamed), however many rows."""
    agreements = _agreements(user, f, fmt)
    ids = agreements.with_only_columns(Agreement.id).order_by(None)
    parties = links(agreement_parties, "agreement_id", "partner_id", ids)
    party_ids = {i for found in parties.values() for i in found}
    partner_names = {
        row.id: fmt.pick(row.name_en, row.name_fa, row.name_local)
        for row in db.session.execute(
            select(Partner.id, Partner.name_en, Partner.name_fa, Partner.name_local).where(
                Partner.id.in_(party_ids)
            )
        )
    }
    areas = links(agreement_areas, "agreement_id", "area_id", ids)
    area_names = {area.id: fmt.name(area) for area in all_areas()}
    owner = aliased(User)
    stmt = agreements.outerjoin(owner, owner.id == Agreement.owner_id).with_only_columns(
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
    for row in stream_rows(stmt):
        yield SimpleNamespace(
            **row._mapping,
            parties=sorted(partner_names[i] for i in parties.get(row.id, ())),
            areas=[name for i, name in area_names.items() if i in areas.get(row.id, ())],
        )


def stage_counts(user: Any, f: AgreementFilters, fmt: Formatter) -> dict[str, int]:
    """How many agreements match the filters (all but the stage) in each stage: one query."""
    stmt = _filtered(
        select(Agreement.stage, func.count(Agreement.id)), user, f, fmt.today(), with_stage=False
    ).group_by(Agreement.stage)
    return {stage: count for stage, count in db.session.execute(stmt)}


def agreements_with_partner(partner: Partner, user: Any, limit: int = 50) -> list[Agreement]:
    """Current agreements the partner is a party to, as far as ``user`` may see them."""
    return list(
        db.session.scalars(
            select(Agreement)
            .join(agreement_parties, agreement_parties.c.agreement_id == Agreement.id)
            .where(
                agreement_parties.c.partner_id == partner.id,
                Agreement.archived_at.is_(None),
                visible(Agreement, user),
            )
            .order_by(Agreement.updated_at.desc(), Agreement.id.desc())
            .limit(limit)
        )
    )


# --- one agreement ---------------------------------------------------------------------------
def get_agreement(agreement_id: int | None, user: Any, *, full: bool = False) -> Agreement:
    """The agreement if it exists and ``user`` may see it, else ``NotFound`` (never a
    "forbidden", which would reveal that a confidential agreement exists)."""
    options = (
        [
            selectinload(Agreement.parties),
            selectinload(Agreement.areas),
            joinedload(Agreement.owner),
            selectinload(Agreement.history).joinedload(StageChange.changed_by),
            selectinload(Agreement.milestones).joinedload(Milestone.responsible),
            selectinload(Agreement.documents),
        ]
        if full
        else []
    )
    return get_or_not_found(Agreement, agreement_id, user, *options)


def reference_taken(reference: str | None, exclude_id: int | None = None) -> bool:
    """Whether another agreement (archived and confidential ones included) uses this reference,
    ignoring case."""
    if not reference:
        return False
    stmt = select(Agreement.id).where(func.lower(Agreement.reference) == reference.lower())
    if exclude_id:
        stmt = stmt.where(Agreement.id != exclude_id)
    return db.session.scalar(stmt.limit(1)) is not None


def agreement_problems(agreement: Agreement | None, data: AgreementData) -> dict[str, Any]:
    """What is wrong with ``data`` for ``agreement`` (None: a new one), by field: the rules the
    acting user's save would break. Saving checks them; a form shows them all at once."""
    actor = current_actor()
    errors: dict[str, Any] = {}
    if not data.title_en.strip() and not data.title_fa.strip():
        errors["title_fa"] = _l("Enter a title in English or in Persian.")
    if data.type not in AGREEMENT_TYPES:
        errors["type"] = _l("Choose the type of agreement.")
    if agreement is None and data.stage not in INITIAL_STAGES:
        errors["stage"] = _l("Choose from the list.")
    if data.confidentiality not in CONFIDENTIALITY:
        errors["confidentiality"] = _l("Choose from the list.")
    else:
        current = agreement.confidentiality if agreement else None
        touches = data.confidentiality != current and "confidential" in (
            data.confidentiality,
            current,
        )
        if touches and not can(actor, "make_confidential", Agreement):
            errors["confidentiality"] = _l("Only a manager can mark an agreement as confidential.")
    if reference_taken(data.reference.strip(), agreement.id if agreement else None):
        # The same words whoever holds the number: they never reveal a confidential agreement.
        errors["reference"] = _l("Another agreement already uses this reference number.")
    if not 0 <= data.renewal_notice_days <= 730:
        errors["renewal_notice_days"] = _l("Enter a number from 0 to 730.")
    if data.signed_on and data.effective_on and data.effective_on < data.signed_on:
        errors["effective_on"] = _l("The agreement cannot take effect before it is signed.")
    start = data.effective_on or data.signed_on
    if data.expires_on and start and data.expires_on <= start:
        errors["expires_on"] = _l(
            "The expiry date must be after the date the agreement takes effect."
        )
    if agreement is not None and agreement.stage in IN_FORCE:
        for name in KEY_DATES:
            if getattr(agreement, name) and not getattr(data, name):
                errors[name] = _l(
                    "This agreement is %(stage)s: its dates cannot be removed.",
                    stage=STAGES[agreement.stage],
                )
    message = check_owner(data.owner_id, agreement.owner_id if agreement else None)
    if message:
        errors["owner_id"] = message
    if not data.party_ids:
        errors["party_ids"] = _l("Choose at least one party.")
    elif _parties(actor, agreement, data.party_ids) is None:
        errors["party_ids"] = _l("Choose from the list.")
    if len(_areas(data.area_ids)) != len(set(data.area_ids)):
        errors["area_ids"] = _l("Choose from the list.")
    return errors


def _areas(ids: list[int]) -> list[CooperationArea]:
    return list(
        db.session.scalars(
            select(CooperationArea)
            .where(CooperationArea.id.in_(ids))
            .order_by(CooperationArea.position)
        )
    )


def _parties(actor: Any, agreement: Agreement | None, ids: list[int]) -> list[Partner] | None:
    """The chosen partners, or None when one is unknown, hidden or archived (unless already a
    party)."""
    keep = {p.id for p in agreement.parties} if agreement else set()
    partners = list(db.session.scalars(select(Partner).where(Partner.id.in_(ids))))
    if len(partners) != len(set(ids)):
        return None
    if any(not can(actor, "view", p) or (p.archived and p.id not in keep) for p in partners):
        return None
    return sorted(partners, key=lambda p: p.name_en)


def save_agreement(agreement: Agreement | None, data: AgreementData) -> Agreement:
    """Create (``agreement`` is None) or change an agreement as the acting user.

    Raises ``RuleBroken`` with a message per field, ``Forbidden``, or ``RuleBroken`` for an
    archived agreement. A new agreement starts at ``data.stage`` and gets its first
    stage-history row; later stage moves go through ``pipeline.move_stage``. The caller commits.
    """
    actor = check_save(
        Agreement,
        agreement,
        _l("This agreement is archived. Restore it before you edit it."),
        lambda: agreement_problems(agreement, data),
    )
    parties = _parties(actor, agreement, data.party_ids)
    areas = _areas(data.area_ids)
    created = agreement is None
    if agreement is None:
        agreement = Agreement(stage=data.stage)
        db.session.add(agreement)
    for name in (
        "type",
        "title_en",
        "title_fa",
        "terms_summary",
        "signatories",
        *KEY_DATES,
        "renewal_notice_days",
        "auto_renew",
        "owner_id",
        "confidentiality",
    ):
        value = getattr(data, name)
        setattr(agreement, name, value.strip() if isinstance(value, str) else value)
    agreement.reference = data.reference.strip() or None
    agreement.parties = parties or []
    agreement.areas = areas
    if created:
        record_initial_stage(agreement, actor)
    db.session.flush()
    return agreement


# --- milestones ------------------------------------------------------------------------------
def get_milestone(agreement: Agreement, milestone_id: int) -> Milestone:
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.agreement_id != agreement.id:
        raise NotFound()
    return milestone


def milestone_problems(milestone: Milestone | None, data: MilestoneData) -> dict[str, Any]:
    """What is wrong with ``data`` for ``milestone`` (None: a new one), by field."""
    errors: dict[str, Any] = {}
    if not data.title.strip():
        errors["title"] = _l("Describe the milestone.")
    if data.status not in MILESTONE_STATUSES:
        errors["status"] = _l("Choose from the list.")
    message = check_owner(data.responsible_id, milestone.responsible_id if milestone else None)
    if message:
        errors["responsible_id"] = message
    return errors


def save_milestone(
    agreement: Agreement, milestone: Milestone | None, data: MilestoneData
) -> Milestone:
    """Add a milestone to ``agreement`` or change one of its milestones, as the acting user.
    The caller commits."""
    actor = current_actor()
    ensure(actor, "edit", agreement)
    ensure_current(agreement, _l("This agreement is archived. Restore it before you change it."))
    errors = milestone_problems(milestone, data)
    if errors:
        raise RuleBroken(errors=errors)
    if milestone is None:
        milestone = Milestone(agreement=agreement)
        db.session.add(milestone)
    milestone.title, milestone.notes = data.title.strip(), data.notes.strip()
    milestone.due_on, milestone.responsible_id = data.due_on, data.responsible_id
    milestone.status = data.status
    db.session.flush()
    return milestone


def mark_milestone_done(agreement: Agreement, milestone: Milestone) -> Milestone:
    """Mark a milestone done, as the acting user."""
    data = MilestoneData(
        title=milestone.title,
        due_on=milestone.due_on,
        responsible_id=milestone.responsible_id,
        status="done",
        notes=milestone.notes,
    )
    return save_milestone(agreement, milestone, data)


def is_overdue(milestone: Milestone, today: date) -> bool:
    return (
        milestone.status in {"open", "in_progress"}
        and milestone.due_on is not None
        and milestone.due_on < today
    )
