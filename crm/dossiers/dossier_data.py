"""What an agreement dossier prints, gathered for one reader in a handful of queries.

``gather`` loads the agreement (``NotFound`` when the reader may not see it) with its parties,
areas, stage history, milestones and documents, then the activities about it and the parties'
contacts through the permission layer, and turns everything into text for the reader's
language, calendar and digits. The PDF builder only lays the result out.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.activities.lists import activities_query
from crm.activities.models import ACTIVITY_KINDS, ACTIVITY_STATUSES, Activity
from crm.agreements import services
from crm.agreements.display import renewal_notice_on
from crm.agreements.milestones import is_overdue
from crm.agreements.models import (
    AGREEMENT_TYPES,
    CONFIDENTIALITY,
    MILESTONE_STATUSES,
    STAGES,
    Agreement,
)
from crm.extensions import db
from crm.formatting import Formatter
from crm.partners.models import PARTNER_KINDS, RELATIONSHIPS, Contact, Partner
from crm.permissions import visible
from crm.reference import DOMAINS

KEY_DATES = (
    ("signed_on", _l("Signed on")),
    ("effective_on", _l("Effective from")),
    ("expires_on", _l("Expires on")),
)
CHECKSUM_SHOWN = 12  # the first hex digits of a document's SHA-256, as on the agreement page


@dataclass(frozen=True)
class KeyDate:
    label: str
    jalali: str
    gregorian: str


@dataclass(frozen=True)
class Party:
    name: str
    other_name: str  # the name in the other language, when it differs
    kind: str
    country: str
    domain: str
    relationship: str
    since: str
    population: str
    timezone: str


@dataclass(frozen=True)
class MilestoneRow:
    title: str
    due: str
    status: str
    responsible: str
    overdue: bool


@dataclass(frozen=True)
class StageStep:
    from_stage: str  # empty for the first stage
    to_stage: str
    when: str
    who: str
    note: str


@dataclass(frozen=True)
class ActivityRow:
    when: str
    kind: str
    subject: str
    partner: str
    status: str
    owner: str


@dataclass(frozen=True)
class ContactRow:
    name: str
    title: str  # title and department
    partner: str
    email: str
    phone: str
    primary: bool


@dataclass(frozen=True)
class DocumentRow:
    name: str
    size: str
    uploaded: str
    checksum: str


@dataclass(frozen=True)
class Dossier:
    agreement_id: int
    title: str
    other_title: str
    type: str
    reference: str
    stage: str
    confidentiality: str
    confidential: bool
    owner: str
    parties: tuple[Party, ...]
    key_dates: tuple[KeyDate, ...]  # only the dates that are set
    renewal_notice: str  # "90 days before expiry"
    auto_renew: str  # "Yes" / "No"
    areas: tuple[str, ...]
    terms: str
    signatories: tuple[str, ...]
    milestones: tuple[MilestoneRow, ...]
    history: tuple[StageStep, ...]  # the oldest first: a timeline
    activities: tuple[ActivityRow, ...]  # the newest first
    contacts: tuple[ContactRow, ...]
    documents: tuple[DocumentRow, ...]


def gather(agreement_id: int, reader: Any, fmt: Formatter, today: date | None = None) -> Dossier:
    """The dossier of the agreement for ``reader`` (a user), written for ``fmt`` (their
    language, or the one they asked for). Raises ``NotFound`` when the reader may not see the
    agreement. ``today`` (the reader's, by default) decides which milestones are overdue. The
    number of queries does not grow with the activities, contacts or documents."""
    agreement = services.get_agreement(agreement_id, reader, full=True)
    today = today or fmt.today()
    return Dossier(
        agreement_id=agreement.id,
        title=fmt.name(agreement),
        other_title=fmt.other_name(agreement),
        type=fmt.label(AGREEMENT_TYPES, agreement.type),
        reference=agreement.reference or "",
        stage=fmt.label(STAGES, agreement.stage),
        confidentiality=fmt.label(CONFIDENTIALITY, agreement.confidentiality),
        confidential=agreement.confidentiality == "confidential",
        owner=fmt.name(agreement.owner),
        parties=tuple(_party(partner, fmt) for partner in agreement.parties),
        key_dates=_key_dates(agreement, fmt),
        renewal_notice=_renewal_notice(agreement, fmt),
        auto_renew=fmt.yes_no(agreement.auto_renew),
        areas=tuple(fmt.name(area) for area in agreement.areas),
        terms=agreement.terms_summary.strip(),
        signatories=tuple(
            line.strip() for line in agreement.signatories.splitlines() if line.strip()
        ),
        milestones=tuple(
            MilestoneRow(
                title=m.title,
                due=fmt.date(m.due_on),
                status=fmt.label(MILESTONE_STATUSES, m.status),
                responsible=fmt.name(m.responsible),
                overdue=is_overdue(m, today),
            )
            # by due date, the undated last (on every database)
            for m in sorted(agreement.milestones, key=lambda m: (m.due_on or date.max, m.id))
        ),
        history=tuple(
            StageStep(
                from_stage=fmt.label(STAGES, change.from_stage),
                to_stage=fmt.label(STAGES, change.to_stage),
                when=fmt.datetime(change.changed_at),
                who=fmt.name(change.changed_by),
                note=change.note.strip(),
            )
            for change in reversed(agreement.history)  # loaded the newest first
        ),
        activities=_activities(agreement, reader, fmt),
        contacts=_contacts(agreement, reader, fmt),
        documents=tuple(
            DocumentRow(
                name=doc.filename,
                size=fmt.filesize(doc.size),
                uploaded=fmt.date(doc.uploaded_at),
                checksum=doc.sha256[:CHECKSUM_SHOWN],
            )
            for doc in agreement.documents
            if not doc.archived
        ),
    )


def _party(partner: Partner, fmt: Formatter) -> Party:
    return Party(
        name=fmt.name(partner),
        other_name=fmt.other_name(partner),
        kind=fmt.label(PARTNER_KINDS, partner.kind),
        country=fmt.country(partner.country),
        domain=fmt.label(DOMAINS, partner.domain),
        relationship=fmt.label(RELATIONSHIPS, partner.relationship_type),
        since=fmt.date(partner.relationship_since),
        population=fmt.number(partner.population),
        timezone=fmt.timezone(partner.timezone),
    )


def _key_dates(agreement: Agreement, fmt: Formatter) -> tuple[KeyDate, ...]:
    """The agreement's dates that are set, and the day to prepare its renewal, each in both
    calendars."""
    dates = [(label, getattr(agreement, field)) for field, label in KEY_DATES]
    dates.append((_l("Renewal notice deadline"), renewal_notice_on(agreement)))
    return tuple(
        KeyDate(fmt.translate(label), *fmt.both_calendars(day))
        for label, day in dates
        if day is not None
    )


def _renewal_notice(agreement: Agreement, fmt: Formatter) -> str:
    """``90 days before expiry`` (the agreement page's words; at most 730 days, so the
    reader's digits are all the number needs)."""
    days = agreement.renewal_notice_days or 0
    message = lazy_ngettext("%(num)s day before expiry", "%(num)s days before expiry", days)
    return fmt.digits(fmt.translate(message))


def _activities(agreement: Agreement, reader: Any, fmt: Formatter) -> tuple[ActivityRow, ...]:
    """Every current activity about the agreement that the reader may see, the newest first
    (one query, with partner and owner)."""
    stmt = activities_query(reader, agreement=agreement).options(
        joinedload(Activity.partner), joinedload(Activity.owner)
    )
    kinds, statuses = fmt.labels(ACTIVITY_KINDS), fmt.labels(ACTIVITY_STATUSES)
    return tuple(
        ActivityRow(
            when=fmt.datetime(a.starts_at) if a.starts_at else fmt.date(a.due_on),
            kind=kinds.get(a.kind, a.kind),
            subject=a.subject,
            partner=fmt.name(a.partner),
            status=statuses.get(a.status, a.status),
            owner=fmt.name(a.owner),
        )
        for a in db.session.scalars(stmt).unique()
    )


def _contacts(agreement: Agreement, reader: Any, fmt: Formatter) -> tuple[ContactRow, ...]:
    """The current contacts of the parties that the reader may see: party by party (in the
    agreement's order of parties), the primary one first, then by name (one query)."""
    parties = {partner.id: n for n, partner in enumerate(agreement.parties)}
    if not parties:
        return ()
    stmt = (
        select(Contact)
        .where(
            Contact.partner_id.in_(parties),
            Contact.archived_at.is_(None),
            visible(Contact, reader),
        )
        .order_by(Contact.is_primary.desc(), Contact.name_order(fmt.locale), Contact.id)
    )
    contacts = sorted(db.session.scalars(stmt), key=lambda c: parties[c.partner_id])
    names = {partner.id: fmt.name(partner) for partner in agreement.parties}
    return tuple(
        ContactRow(
            name=fmt.name(c),
            title=fmt.list(part for part in (c.title, c.department) if part),
            partner=names[c.partner_id],
            email=c.email,
            phone=fmt.phone(c.phone),
            primary=c.is_primary,
        )
        for c in contacts
    )
