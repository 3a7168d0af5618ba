"""The side-by-side review of two partners: every field, written for the reader, and counts of
what each has that the reader may see (never the titles of agreements they may not see)."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from crm.activities.models import Activity, activity_participants
from crm.agreements.models import Agreement, Document, agreement_parties
from crm.audit import AuditEntry, _plain
from crm.audit_trail.kinds import KINDS
from crm.auth.models import User
from crm.duplicates.finder import Pair
from crm.duplicates.merging import PARTNER_FIELDS, _value
from crm.extensions import db
from crm.formatting import Formatter
from crm.history import names_of, value_text
from crm.models import CooperationArea
from crm.partners.models import Contact, Partner
from crm.permissions import visible

REFERS = {"owner_id": User, "areas": CooperationArea}


@dataclass
class FieldRow:
    name: str
    label: str
    first: str
    second: str

    @property
    def differs(self) -> bool:
        return self.first != self.second


def field_rows(first: Partner, second: Partner, reader: Any, fmt: Formatter) -> list[FieldRow]:
    """Each field of the two partners, as ``reader`` reads it."""
    kind = KINDS["partners"]
    wanted: dict[Any, set[int]] = {}
    for name, model in REFERS.items():
        for partner in (first, second):
            value = _plain(_value(partner, name))
            ids = value if isinstance(value, list) else [value]
            wanted.setdefault(model, set()).update(i for i in ids if i)
    names = names_of(wanted, reader, fmt)
    rows = []
    for name in PARTNER_FIELDS:
        shown = [
            value_text(
                name,
                _plain(_value(partner, name)),
                kind.codes,
                names.get(REFERS[name], {}) if name in REFERS else None,
                fmt,
            )
            for partner in (first, second)
        ]
        rows.append(FieldRow(name, fmt.translate(kind.labels.get(name, name)), *shown))
    return rows


def counts(partner: Partner, reader: Any) -> dict[str, int]:
    """How many contacts, agreements, activities, documents and history entries ``partner``
    has that ``reader`` may see."""
    agreements = (
        select(Agreement.id)
        .join(agreement_parties, agreement_parties.c.agreement_id == Agreement.id)
        .where(agreement_parties.c.partner_id == partner.id, visible(Agreement, reader))
    )

    def count(stmt: Any) -> int:
        return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0

    return {
        "contacts": count(select(Contact.id).where(Contact.partner_id == partner.id)),
        "agreements": count(agreements),
        "activities": count(
            select(Activity.id).where(Activity.partner_id == partner.id, visible(Activity, reader))
        ),
        "documents": count(select(Document.id).where(Document.agreement_id.in_(agreements))),
        "history": count(
            select(AuditEntry.id).where(
                AuditEntry.object_type == "partners", AuditEntry.object_id == partner.id
            )
        ),
    }


def agreement_titles(partner: Partner, reader: Any, fmt: Formatter, limit: int = 10) -> list:
    """The agreements of ``partner`` that ``reader`` may see (their names, newest first)."""
    stmt = (
        select(Agreement)
        .join(agreement_parties, agreement_parties.c.agreement_id == Agreement.id)
        .where(agreement_parties.c.partner_id == partner.id, visible(Agreement, reader))
        .order_by(Agreement.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def load_partner_pairs(pairs: list[Pair]) -> list[tuple[Partner, Partner, str]]:
    """The partners of a page of pairs, loaded with one query."""
    ids = {i for pair in pairs for i in (pair.first, pair.second)}
    loaded = {p.id: p for p in db.session.scalars(select(Partner).where(Partner.id.in_(ids)))}
    return [(loaded[p.first], loaded[p.second], p.reason) for p in pairs]


def load_contact_pairs(pairs: list[Pair]) -> list[tuple[Contact, Contact, str]]:
    """The contacts (with their partners) of a page of pairs, loaded with two queries."""
    from sqlalchemy.orm import joinedload

    ids = {i for pair in pairs for i in (pair.first, pair.second)}
    loaded = {
        c.id: c
        for c in db.session.scalars(
            select(Contact).where(Contact.id.in_(ids)).options(joinedload(Contact.partner))
        )
    }
    return [(loaded[p.first], loaded[p.second], p.reason) for p in pairs]


def contact_rows(first: Contact, second: Contact, fmt: Formatter) -> list[FieldRow]:
    """Each field of the two contacts, as ``fmt``'s reader reads it."""
    from crm.duplicates.contact_merging import CONTACT_FIELDS

    kind = KINDS["contacts"]
    return [
        FieldRow(
            name,
            fmt.translate(kind.labels.get(name, name)),
            *(
                value_text(name, _plain(getattr(contact, name)), kind.codes, None, fmt)
                for contact in (first, second)
            ),
        )
        for name in CONTACT_FIELDS
    ]


def contact_counts(contact: Contact, reader: Any) -> dict[str, int]:
    """The activities ``contact`` took part in that ``reader`` may see, and its history."""
    took_part = select(activity_participants.c.activity_id).where(
        activity_participants.c.contact_id == contact.id
    )
    activities = select(func.count()).where(Activity.id.in_(took_part), visible(Activity, reader))
    history = select(func.count()).where(
        AuditEntry.object_type == "contacts", AuditEntry.object_id == contact.id
    )
    return {
        "activities": db.session.scalar(activities) or 0,
        "history": db.session.scalar(history) or 0,
    }
