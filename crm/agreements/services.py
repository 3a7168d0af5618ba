"""Agreement queries and rules."""

from dataclasses import dataclass
from datetime import timedelta

from flask import abort
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, case, func, select, true
from sqlalchemy.orm import joinedload, selectinload

from crm.agreements.models import Agreement, Milestone, StageChange
from crm.agreements.pipeline import PIPELINE, record_initial_stage, today_for_user
from crm.auth.models import User
from crm.extensions import db
from crm.i18n import is_persian
from crm.models import CooperationArea
from crm.partners.models import Partner

SORTS = ("title", "stage", "expires_on", "signed_on", "updated")
DEFAULT_SORT = "-updated"


class AgreementError(ValueError):
    """An agreement rule was broken; ``field`` names the form field the message belongs to."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def visible_to(user: User) -> ColumnElement[bool]:
    """A WHERE clause: confidential agreements are seen by managers and administrators only.

    Every query that lists or shows agreements (partner pages, search, dashboards) uses it.
    """
    if user.can("manager"):
        return true()
    return Agreement.confidentiality != "confidential"


# --- lists -----------------------------------------------------------------------------------
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
    expiring_days: int | None = None
    show: str = ""  # "" current, "archived" archived only, "all" both
    sort: str = DEFAULT_SORT


def _filtered(stmt: Select, user: User, f: AgreementFilters, *, with_stage: bool) -> Select:
    stmt = stmt.where(visible_to(user))
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
    if f.expiring_days is not None:
        today = today_for_user()
        stmt = stmt.where(
            Agreement.expires_on.between(today, today + timedelta(days=f.expiring_days))
        )
    return stmt


def _stage_order():
    return case(
        {stage: i for i, stage in enumerate(PIPELINE)}, value=Agreement.stage, else_=len(PIPELINE)
    )


def _sort_column(key: str):
    if key == "title":
        first, second = (
            (Agreement.title_fa, Agreement.title_en)
            if is_persian()
            else (Agreement.title_en, Agreement.title_fa)
        )
        return func.lower(func.coalesce(func.nullif(first, ""), second))
    return {
        "stage": _stage_order(),
        "expires_on": Agreement.expires_on,
        "signed_on": Agreement.signed_on,
        "updated": Agreement.updated_at,
    }[key]


def list_query(user: User, f: AgreementFilters) -> Select:
    """The agreements on one list page, with everything the page shows eagerly loaded."""
    stmt = _filtered(select(Agreement), user, f, with_stage=True)
    key = f.sort.lstrip("-")
    if key not in SORTS:
        key = DEFAULT_SORT.lstrip("-")
    column = _sort_column(key)
    order = column.desc() if f.sort.startswith("-") else column.asc()
    if key in {"expires_on", "signed_on"}:
        order = order.nulls_last()
    return stmt.order_by(order, Agreement.id.desc()).options(
        selectinload(Agreement.parties), selectinload(Agreement.areas), joinedload(Agreement.owner)
    )


def stage_counts(user: User, f: AgreementFilters) -> dict[str, int]:
    """How many agreements match the filters (all but the stage) in each stage: one query."""
    stmt = _filtered(
        select(Agreement.stage, func.count(Agreement.id)), user, f, with_stage=False
    ).group_by(Agreement.stage)
    return {stage: count for stage, count in db.session.execute(stmt)}


# --- one agreement ---------------------------------------------------------------------------
def get_visible_or_404(agreement_id: int, user: User, *, full: bool = False) -> Agreement:
    """The agreement if it exists and this user may see it; otherwise a 404 (not a 403, so a
    confidential agreement's existence is not revealed)."""
    stmt = select(Agreement).where(Agreement.id == agreement_id, visible_to(user))
    if full:
        stmt = stmt.options(
            selectinload(Agreement.parties),
            selectinload(Agreement.areas),
            joinedload(Agreement.owner),
            selectinload(Agreement.history).joinedload(StageChange.changed_by),
            selectinload(Agreement.milestones).joinedload(Milestone.responsible),
            selectinload(Agreement.documents),
        )
    agreement = db.session.scalar(stmt)
    if agreement is None:
        abort(404)
    return agreement


def reference_taken(reference: str | None, exclude_id: int | None = None) -> bool:
    """Whether another agreement (archived and confidential ones included) uses this reference,
    ignoring case."""
    if not reference:
        return False
    stmt = select(Agreement.id).where(func.lower(Agreement.reference) == reference.lower())
    if exclude_id:
        stmt = stmt.where(Agreement.id != exclude_id)
    return db.session.scalar(stmt.limit(1)) is not None


def check_confidentiality(agreement: Agreement | None, wanted: str, user: User) -> None:
    """Only managers may make an agreement confidential (or keep editing a confidential one)."""
    current = agreement.confidentiality if agreement else None
    if "confidential" in (wanted, current) and wanted != current and not user.can("manager"):
        raise AgreementError(
            _l("Only a manager can mark an agreement as confidential."), "confidentiality"
        )


def save_agreement(agreement: Agreement | None, values: dict, user: User) -> Agreement:
    """Create (``agreement`` is None) or update an agreement from checked form values.

    ``values`` holds the column values plus ``party_ids`` and ``area_ids``. A new agreement
    starts at ``values["stage"]`` and gets its first stage-history row. The caller commits.
    """
    values = dict(values)
    reference = (values.pop("reference", None) or "").strip() or None
    if reference_taken(reference, agreement.id if agreement else None):
        raise AgreementError(
            _l("Another agreement already uses this reference number."), "reference"
        )
    check_confidentiality(agreement, values["confidentiality"], user)
    party_ids, area_ids = values.pop("party_ids"), values.pop("area_ids", [])
    stage = values.pop("stage", None)
    created = agreement is None
    if created:
        agreement = Agreement(stage=stage or "idea")
        db.session.add(agreement)
    for key, value in values.items():
        setattr(agreement, key, value.strip() if isinstance(value, str) else value)
    agreement.reference = reference
    agreement.parties = list(db.session.scalars(select(Partner).where(Partner.id.in_(party_ids))))
    agreement.areas = list(
        db.session.scalars(select(CooperationArea).where(CooperationArea.id.in_(area_ids or [])))
    )
    if created:
        record_initial_stage(agreement, user)
    db.session.flush()
    return agreement


# --- milestones ------------------------------------------------------------------------------
def save_milestone(agreement: Agreement, milestone: Milestone | None, values: dict) -> Milestone:
    """Add a milestone to ``agreement`` or change one of its milestones. The caller commits."""
    if milestone is None:
        milestone = Milestone(agreement=agreement)
        db.session.add(milestone)
    for key, value in values.items():
        setattr(milestone, key, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    return milestone


def get_milestone_or_404(agreement: Agreement, milestone_id: int) -> Milestone:
    milestone = db.session.get(Milestone, milestone_id)
    if milestone is None or milestone.agreement_id != agreement.id:
        abort(404)
    return milestone


def is_overdue(milestone: Milestone) -> bool:
    return (
        milestone.status in {"open", "in_progress"}
        and milestone.due_on is not None
        and milestone.due_on < today_for_user()
    )
