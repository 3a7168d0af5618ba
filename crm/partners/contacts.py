"""Contacts: the list, one contact, saving one, and the primary contact of a partner."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from crm.exceptions import NotFound
from crm.extensions import db
from crm.formatting import Formatter
from crm.lists import Batch, clean_sort, sorted_by, stream_rows
from crm.partners.models import CONTACT_LANGUAGES, Contact, Partner
from crm.permissions import current_actor, ensure
from crm.records import check_save, ensure_current, get_or_not_found, length_problems
from crm.text import search_spellings

CONTACT_SORTS = ("name", "partner", "language", "updated")
CONTACT_FIELDS = ("name_latin", "name_fa", "title", "department", "email", "phone", "language")


@dataclass
class ContactFilters:
    q: str = ""
    partner: int | None = None
    domain: str | None = None
    language: str | None = None
    primary: bool = False
    archived: bool = False
    sort: str = "name"


@dataclass
class ContactData:
    name_latin: str = ""
    name_fa: str = ""
    title: str = ""
    department: str = ""
    email: str = ""
    phone: str = ""  # E.164, see crm.fields.normalize_phone
    language: str = "en"
    is_primary: bool = False
    notes: str = ""


def _contacts(
    stmt: Select, filters: ContactFilters, fmt: Formatter, walk: bool = False, joined: bool = False
) -> Select:
    """``stmt`` (of contacts) for the contacts matching ``filters``, sorted for ``fmt``'s
    reader; their partner is joined when asked (``joined``) or a filter or the order needs it."""
    sort = clean_sort(filters.sort, CONTACT_SORTS, "name")
    by_partner = sort.lstrip("-") == "partner"  # a partner's contacts together
    if joined or by_partner or filters.domain is not None:
        stmt = stmt.join(Contact.partner)
    if filters.q.strip():  # each word in the contact's key or its partner's (crm.search)
        stmt = stmt.where(
            or_(
                *(
                    and_(*(_in_contact_or_partner(word, walk) for word in words))
                    for words in search_spellings(filters.q)
                )
            )
        )
    if not filters.archived:
        stmt = stmt.where(Contact.archived_at.is_(None))
    if filters.partner is not None:
        stmt = stmt.where(Contact.partner_id == filters.partner)
    if filters.domain is not None:
        stmt = stmt.where(Partner.domain == filters.domain)
    if filters.language is not None:
        stmt = stmt.where(Contact.language == filters.language)
    if filters.primary:
        stmt = stmt.where(Contact.is_primary.is_(True))
    columns = {
        "name": Contact.name_order(fmt.locale),
        "partner": Partner.name_order(fmt.locale),
        "language": Contact.language,
        "updated": Contact.updated_at,
    }
    # By partner, the partners' sort index serves the order.
    ties = (Partner.id, Contact.id) if by_partner else (Contact.id,)
    return sorted_by(stmt, sort, columns, "name", *ties)


def _in_contact_or_partner(word: str, walk: bool) -> ColumnElement[bool]:
    """``word`` in the contact's key or its partner's: one set of ids from the two indexes
    (which both databases answer from the indexes, where an OR of the two tests reads every
    contact). ``walk``: tested row by row, for a plan that walks the list's order (a contact's
    own key, or its partner among the few matching partners; see ``crm.search.index_match``)."""
    partners = Partner.matching_ids(word)
    if walk:
        return or_(Contact.matching(word, walk=True), Contact.partner_id.in_(partners))
    through_partner = select(Contact.id).where(Contact.partner_id.in_(partners))
    return Contact.id.in_(union_all(Contact.matching_ids(word), through_partner))


def contact_query(filters: ContactFilters, fmt: Formatter, walk: bool = False) -> Select:
    """The ids of the contacts on the list, sorted: paginate it, then ``load_page``.
    ``walk``: a search planned for many matches (``_in_contact_or_partner``)."""
    return _contacts(select(Contact.id), filters, fmt, walk)


def list_plans(filters: ContactFilters, fmt: Formatter) -> tuple[Select, Select | None]:
    """``contact_query``, and for a search the list planned for many matches (for
    ``crm.web.page_of``): walking the index of names when sorted by name, else the same."""
    stmt = contact_query(filters, fmt)
    if not filters.q.strip():
        return stmt, None
    by_name = clean_sort(filters.sort, CONTACT_SORTS, "name").lstrip("-") == "name"
    return stmt, contact_query(filters, fmt, walk=True) if by_name else stmt


def load_page(ids: list[int]) -> list[Contact]:
    """The contacts of ``ids`` in that order, with their partners (one query)."""
    stmt = select(Contact).options(joinedload(Contact.partner)).where(Contact.id.in_(ids or [0]))
    by_id = {contact.id: contact for contact in db.session.scalars(stmt)}
    return [by_id[i] for i in ids if i in by_id]


def export_rows(filters: ContactFilters, fmt: Formatter) -> Iterator[Batch]:
    """The rows of the list's export with the partner's name in the reader's language, from one
    streamed query."""
    return stream_rows(
        _contacts(select(Contact), filters, fmt, joined=True).with_only_columns(
            Contact.id,
            Contact.name_latin,
            Contact.name_fa,
            Contact.title,
            Contact.department,
            Contact.email,
            Contact.phone,
            Contact.language,
            Contact.is_primary,
            Partner.name_sql(fmt.locale).label("partner"),
            maintain_column_froms=True,
        )
    )


def get_contact(contact_id: int | None, user: Any) -> Contact:
    """The contact with its partner loaded, or ``NotFound``."""
    return get_or_not_found(Contact, contact_id, user, selectinload(Contact.partner))


def partner_contacts(partner: Partner, locale: str, limit: int | None = None) -> list[Contact]:
    """The partner's current contacts (the first ``limit``), the primary one first, then by
    name in ``locale``."""
    return list(
        db.session.scalars(
            select(Contact)
            .where(Contact.partner_id == partner.id, Contact.archived_at.is_(None))
            .order_by(Contact.is_primary.desc(), Contact.name_order(locale), Contact.id)
            .limit(limit)
        )
    )


def contact_counts(partner: Partner) -> tuple[int, int]:
    """How many current and how many archived contacts the partner has (one query)."""
    current, archived = db.session.execute(
        select(
            func.count(Contact.id).filter(Contact.archived_at.is_(None)),
            func.count(Contact.id).filter(Contact.archived_at.is_not(None)),
        ).where(Contact.partner_id == partner.id)
    ).one()
    return current, archived


def contact_problems(contact: Contact | None, data: ContactData) -> dict[str, Any]:
    """What is wrong with ``data`` for ``contact`` (None: a new one), by field."""
    errors: dict[str, Any] = {}
    if not data.name_latin.strip() and not data.name_fa.strip():
        errors["name_latin"] = _l("Enter the name in Latin letters or in Persian (or both).")
    if data.language not in CONTACT_LANGUAGES:
        errors["language"] = _l("Choose from the list.")
    for name, message in length_problems(Contact, data).items():
        errors.setdefault(name, message)
    return errors


def save_contact(
    contact: Contact | None, data: ContactData, partner: Partner | None = None, flush: bool = True
) -> Contact:
    """Create a contact of ``partner`` (``contact`` is None) or change one, as the acting user.
    The partner must be current; an archived contact cannot be changed. The caller commits;
    with ``flush`` False, the caller flushes too (an import saves hundreds per flush)."""
    if contact is None:
        if partner is None:
            raise NotFound()
        ensure(current_actor(), "view", partner)
        ensure_current(partner, _l("This partner is archived. Restore it before adding contacts."))
    check_save(
        Contact,
        contact,
        _l("This contact is archived. Restore it before editing."),
        lambda: contact_problems(contact, data),
    )
    if contact is None:
        contact = Contact(partner_id=partner.id if partner else None)
        db.session.add(contact)
    for name in CONTACT_FIELDS:
        setattr(contact, name, (getattr(data, name) or "").strip())
    contact.notes = data.notes or ""
    if data.is_primary:
        _make_primary(contact)
    else:
        contact.is_primary = False
    if flush:
        db.session.flush()
    return contact


def make_primary(contact: Contact) -> bool:
    """Make ``contact`` the partner's only primary contact, as the acting user; False when it
    already was."""
    ensure(current_actor(), "edit", contact)
    ensure_current(contact, _l("This contact is archived. Restore it before editing."))
    if contact.is_primary:
        return False
    _make_primary(contact)
    db.session.flush()
    return True


def _make_primary(contact: Contact) -> None:
    # The others are changed one by one (not with a bulk UPDATE) so the audit log records it.
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
