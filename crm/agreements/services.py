"""One agreement: finding it and saving it under the rules of the domain."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from crm.agreements.models import (
    AGREEMENT_TYPES,
    CONFIDENTIALITY,
    MAX_RENEWAL_NOTICE_DAYS,
    STAGES,
    Agreement,
    Milestone,
    StageChange,
)
from crm.agreements.pipeline import INITIAL_STAGES, record_initial_stage
from crm.auth.services import check_owner
from crm.extensions import db
from crm.formatting import Formatter
from crm.models import CooperationArea
from crm.partners.models import Partner
from crm.permissions import can, current_actor
from crm.records import check_save, get_or_not_found, length_problems
from crm.text import range_problem

# While an agreement is in force its key dates are facts, not plans: they cannot be emptied.
IN_FORCE = ("signed", "active", "renewal")
KEY_DATES = ("signed_on", "effective_on", "expires_on")


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
    if not 0 <= data.renewal_notice_days <= MAX_RENEWAL_NOTICE_DAYS:
        reader = Formatter.for_user(actor)
        errors["renewal_notice_days"] = range_problem(
            reader.number(0), reader.number(MAX_RENEWAL_NOTICE_DAYS)
        )
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
    for name, message in length_problems(Agreement, data).items():
        errors.setdefault(name, message)
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
