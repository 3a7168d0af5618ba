"""Contacts: the list, one contact, saving, the primary contact and their activities."""

from typing import Any

from flask import abort
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from crm.activities.models import Activity, activity_participants
from crm.activities.services import visible_activities, when_key
from crm.auth.models import User
from crm.extensions import db
from crm.models import search_words
from crm.partners.models import Contact, Partner
from crm.partners.services import name_order, sorted_by

CONTACT_FIELDS = (
    "name_latin",
    "name_fa",
    "title",
    "department",
    "email",
    "phone",
    "language",
    "notes",
)
CONTACT_SORTS = ("name", "partner", "language", "updated")


def contact_query(
    *,
    q: str | None = None,
    partner: int | None = None,
    domain: str | None = None,
    language: str | None = None,
    primary: bool = False,
    archived: bool = False,
    sort: str | None = None,
    **_ignored,
) -> Select:
    """The contact list with its partner joined (for the domain filter, search and sort)."""
    stmt = select(Contact).join(Contact.partner).options(contains_eager(Contact.partner))
    for term in search_words(q):
        stmt = stmt.where(
            or_(
                Contact.search_key.contains(term, autoescape=True),
                Partner.search_key.contains(term, autoescape=True),
            )
        )
    if not archived:
        stmt = stmt.where(Contact.archived_at.is_(None))
    if partner is not None:
        stmt = stmt.where(Contact.partner_id == partner)
    if domain is not None:
        stmt = stmt.where(Partner.domain == domain)
    if language is not None:
        stmt = stmt.where(Contact.language == language)
    if primary:
        stmt = stmt.where(Contact.is_primary.is_(True))
    columns = {
        "name": name_order(Contact.name_latin, Contact.name_fa),
        "partner": name_order(Partner.name_en, Partner.name_fa, Partner.name_local),
        "language": Contact.language,
        "updated": Contact.updated_at,
    }
    return sorted_by(stmt, sort, CONTACT_SORTS, columns, "name", Contact.id)


def find_partner(partner_id: int | None) -> Partner | None:
    return db.session.get(Partner, partner_id) if partner_id is not None else None


def get_contact(contact_id: int) -> Contact:
    """The contact with its partner loaded, or a 404."""
    contact = db.session.get(Contact, contact_id, options=[selectinload(Contact.partner)])
    if contact is None:
        abort(404)
    return contact


def save_contact(contact: Contact, values: dict[str, Any]) -> Contact:
    """Copy the form values to ``contact``; ``is_primary`` goes through ``make_primary``."""
    for name in CONTACT_FIELDS:
        if name in values:
            value = values[name] or ""
            setattr(contact, name, value if name == "notes" else value.strip())
    if contact.id is None:
        db.session.add(contact)
    if values.get("is_primary"):
        make_primary(contact)
    elif "is_primary" in values:
        contact.is_primary = False
    db.session.flush()
    return contact


def make_primary(contact: Contact) -> None:
    """Make ``contact`` the partner's only primary contact.

    The others are changed one by one (not with a bulk UPDATE) so the audit log records it.
    """
    with db.session.no_autoflush:
        others = db.session.scalars(
            select(Contact).where(
                Contact.partner_id == contact.partner_id, Contact.is_primary.is_(True)
            )
        )
        for other in others:
            if other is not contact:
                other.is_primary = False
    contact.is_primary = True


def contact_activities(contact: Contact, user: User, limit: int = 10) -> list[Activity]:
    """The newest activities the contact took part in that the user may see."""
    return list(
        db.session.scalars(
            select(Activity)
            .options(selectinload(Activity.owner))
            .join(activity_participants, activity_participants.c.activity_id == Activity.id)
            .where(
                activity_participants.c.contact_id == contact.id,
                Activity.archived_at.is_(None),
                visible_activities(user),
            )
            .order_by(when_key().desc(), Activity.id.desc())
            .limit(limit)
        )
    )
