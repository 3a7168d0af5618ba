"""Merging two contacts into one, as one audited act, and undoing it (as ``merging`` does for
partners): the survivor takes the values chosen field by field and the other's place among
the participants of every activity, and what names the other elsewhere (``references``); the
other is archived and marked as merged into it."""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.activities.models import Activity, activity_participants
from crm.audit import _plain, audit_act
from crm.duplicates import references
from crm.duplicates.merging import edited_since, record_merge, stamp
from crm.duplicates.models import Merge
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.formatting import Formatter
from crm.models import utcnow
from crm.partners.models import Contact
from crm.permissions import ensure

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


def contact_problem(survivor: Contact, other: Contact) -> Any:
    """Why these two contacts cannot be merged (the survivor kept), or None."""
    if survivor.id == other.id:
        return _l("A contact cannot be merged into itself.")
    for contact in (survivor, other):
        if contact.merged_into_id is not None:
            return _l(
                "%(name)s was already merged into another contact.",
                name=Formatter.default().name(contact),
            )
    if survivor.archived or other.archived:
        return _l("An archived contact cannot be merged; restore it first.")
    return None


def merge_contacts(
    survivor: Contact, other: Contact, from_other: set[str], seen: str, user: Any
) -> Merge:
    """Merge ``other`` into ``survivor`` (``other``'s value of the fields in ``from_other``);
    ``seen`` is the review page's stamp. One audited act; the caller commits."""
    ensure(user, "merge", survivor)
    ensure(user, "merge", other)
    problem = contact_problem(survivor, other)
    if problem is not None:
        raise RuleBroken(problem)
    if seen not in (stamp(survivor, other), stamp(other, survivor)):
        raise RuleBroken(
            _l("One of the two contacts changed after the page was opened. Review them again.")
        )
    reader = Formatter.default()
    with audit_act("merge", f"{reader.name(other)} → {reader.name(survivor)}") as act:
        fields: dict[str, list] = {}
        for name in CONTACT_FIELDS:
            old, new = getattr(survivor, name), getattr(other, name)
            if name in from_other and old != new:
                fields[name] = [_plain(old), _plain(new)]
                setattr(survivor, name, new)
        made_primary = (
            other.is_primary and not survivor.is_primary and other.partner_id == survivor.partner_id
        )
        was_primary = other.is_primary
        took_part = select(activity_participants.c.activity_id).where(
            activity_participants.c.contact_id == other.id
        )
        moved, shared = [], []
        for activity in db.session.scalars(select(Activity).where(Activity.id.in_(took_part))):
            people = [c for c in activity.participants if c.id != other.id]
            if any(c.id == survivor.id for c in people):
                shared.append(activity.id)
            else:
                moved.append(activity.id)
                people.append(survivor)
            activity.participants = people
        if made_primary:
            survivor.is_primary = True
        moves = {
            "fields": fields,
            "activities": moved,
            "activities_shared": shared,
            "made_primary": made_primary,
            "was_primary": was_primary,
            **references.move("contact", survivor, other),
        }
        return record_merge("contact", survivor, other, user, act.id, moves)


def undo_contact_merge(merge: Merge, user: Any) -> list[tuple[str, int]]:
    """Put back what a merge of contacts changed; returns the records edited since, which
    are left as they are. The caller commits."""
    survivor = db.session.get(Contact, merge.survivor_id)
    other = db.session.get(Contact, merge.merged_id)
    assert survivor is not None and other is not None
    moved, kept = merge.moved, []
    reader = Formatter.default()
    with audit_act("unmerge", f"{reader.name(other)} ← {reader.name(survivor)}") as act:
        if edited_since(merge, "contacts", [survivor.id]):
            kept.append(("contacts", survivor.id))
        else:
            for name, (old, _new) in moved["fields"].items():
                setattr(survivor, name, old)
            if moved["made_primary"]:
                survivor.is_primary = False
        ids = moved["activities"] + moved["activities_shared"]
        edited = edited_since(merge, "activities", ids)
        for activity in db.session.scalars(select(Activity).where(Activity.id.in_(ids))):
            if activity.id in edited:
                kept.append(("activities", activity.id))
                continue
            people = list(activity.participants)
            if activity.id in moved["activities"]:
                people = [c for c in people if c.id != survivor.id]
            activity.participants = [*people, other]
        references.put_back("contact", survivor.id, other.id, moved)
        other.merged_into_id = None
        other.restore()
        if moved["was_primary"]:  # primary again, unless its partner has another one now
            primary = select(Contact.id).where(
                Contact.partner_id == other.partner_id,
                Contact.is_primary,
                Contact.archived_at.is_(None),
            )
            other.is_primary = db.session.scalar(primary.limit(1)) is None
        merge.undone_at = utcnow()
        merge.undone_by_id = getattr(user, "id", None)
        merge.undo_act_id = act.id
        merge.moved = {**moved, "kept": [list(item) for item in kept]}
        db.session.flush()
    return kept
