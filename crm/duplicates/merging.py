"""Merging two partners into one, as one audited act, and undoing it.

The survivor takes, field by field, the value the user chose; every contact, activity (and so
its follow-ups), agreement (and so its milestones, documents and stage history), in-app
notification, pending reminder, waiting briefing pack (``references``) and health score of
the other moves to it; the other is archived and marked as merged into the survivor, never
deleted. What moved is written on the ``Merge`` row, so an administrator's undo puts back
exactly that, leaving what was edited since as it is.
"""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select

from crm.activities.models import Activity
from crm.agreements.models import Agreement, agreement_parties
from crm.audit import AuditEntry, _plain, audit_act
from crm.duplicates import references
from crm.duplicates.models import Merge
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.formatting import Formatter
from crm.health.models import PartnerHealth
from crm.models import CooperationArea, utcnow
from crm.partners.models import Contact, Partner
from crm.permissions import ensure

# The fields whose value the user picks from either partner, in the form's order.
PARTNER_FIELDS = (
    "name_en",
    "name_fa",
    "name_local",
    "kind",
    "domain",
    "country",
    "region",
    "population",
    "timezone",
    "website",
    "relationship_type",
    "relationship_since",
    "owner_id",
    "areas",
    "summary",
    "talking_points",
)


def stamp(first: Any, second: Any) -> str:
    """What the review page saw of the two (partners or contacts): a merge of a stale page is
    refused."""
    return "|".join(f"{p.id}:{p.updated_at.isoformat()}:{p.archived_at}" for p in (first, second))


def merge_problem(survivor: Partner, other: Partner) -> Any:
    """Why these two cannot be merged (the survivor kept), or None."""
    if survivor.id == other.id:
        return _l("A partner cannot be merged into itself.")
    for partner in (survivor, other):
        if partner.merged_into_id is not None:
            return _l(
                "%(name)s was already merged into another partner.",
                name=Formatter.default().name(partner),
            )
    if survivor.archived:
        return _l("An archived partner cannot take a merge; restore it first.")
    if other.archived:
        return _l("An archived partner cannot be merged; restore it first.")
    return None


def _value(partner: Partner, name: str) -> Any:
    if name == "areas":
        return sorted(area.id for area in partner.areas)
    return getattr(partner, name)


def _set(partner: Partner, name: str, value: Any) -> None:
    if name == "areas":
        partner.areas = list(
            db.session.scalars(
                select(CooperationArea)
                .where(CooperationArea.id.in_(value))
                .order_by(CooperationArea.position)
            )
        )
    else:
        setattr(partner, name, value)


def merge_partners(
    survivor: Partner,
    other: Partner,
    from_other: set[str],
    seen: str,
    user: Any,
) -> Merge:
    """Merge ``other`` into ``survivor``, taking ``other``'s value of the fields in
    ``from_other``; ``seen`` is the review page's ``stamp``. One audited act; the caller
    commits. Raises RuleBroken (a translated reason) when the merge may not happen."""
    ensure(user, "merge", survivor)
    ensure(user, "merge", other)
    problem = merge_problem(survivor, other)
    if problem is not None:
        raise RuleBroken(problem)
    if seen not in (stamp(survivor, other), stamp(other, survivor)):
        raise RuleBroken(
            _l("One of the two partners changed after the page was opened. Review them again.")
        )
    reader = Formatter.default()
    summary = f"{reader.name(other)} → {reader.name(survivor)}"
    with audit_act("merge", summary) as act:
        fields: dict[str, list] = {}
        for name in PARTNER_FIELDS:
            old, new = _value(survivor, name), _value(other, name)
            if name in from_other and old != new:
                fields[name] = [_plain(old), _plain(new)]
                _set(survivor, name, new)
        has_primary = any(c.is_primary and not c.archived for c in survivor.contacts)
        contacts, unprimaried = [], []
        for contact in db.session.scalars(select(Contact).where(Contact.partner_id == other.id)):
            contacts.append(contact.id)
            contact.partner_id = survivor.id
            if contact.is_primary and has_primary:
                contact.is_primary = False
                unprimaried.append(contact.id)
        activities = []
        for activity in db.session.scalars(select(Activity).where(Activity.partner_id == other.id)):
            activities.append(activity.id)
            activity.partner_id = survivor.id
        moved, shared = [], []
        party_of = select(agreement_parties.c.agreement_id).where(
            agreement_parties.c.partner_id == other.id
        )
        for agreement in db.session.scalars(select(Agreement).where(Agreement.id.in_(party_of))):
            parties = [p for p in agreement.parties if p.id != other.id]
            if any(p.id == survivor.id for p in parties):
                shared.append(agreement.id)
            else:
                moved.append(agreement.id)
                parties.append(survivor)
            agreement.parties = parties
        elsewhere = references.move("partner", survivor, other)
        # the other's score is the survivor's now (scored again at commit, crm.health)
        db.session.execute(delete(PartnerHealth).where(PartnerHealth.partner_id == other.id))
        moves = {
            "fields": fields,
            "contacts": contacts,
            "unprimaried": unprimaried,
            "activities": activities,
            "agreements": moved,
            "agreements_shared": shared,
            **elsewhere,
        }
        return record_merge("partner", survivor, other, user, act.id, moves)


def record_merge(
    kind: str, survivor: Any, other: Any, user: Any, act_id: int, moved: dict
) -> Merge:
    """The end of a merge of partners or contacts: the other marked as merged into the
    survivor and archived, and what moved noted for the undo."""
    other.merged_into_id = survivor.id
    other.archive()
    merge = Merge(
        kind=kind,
        survivor_id=survivor.id,
        merged_id=other.id,
        user_id=getattr(user, "id", None),
        act_id=act_id,
        moved=moved,
    )
    db.session.add(merge)
    db.session.flush()
    return merge


def edited_since(merge: Merge, table: str, ids: list[int]) -> set[int]:
    """The ids of ``table``'s records changed by an act after the merge's."""
    if not ids:
        return set()
    return set(
        db.session.scalars(
            select(AuditEntry.object_id).where(
                AuditEntry.object_type == table,
                AuditEntry.object_id.in_(ids),
                AuditEntry.act_id > merge.act_id,
            )
        )
    )


def undo_merge(merge: Merge, user: Any) -> list[tuple[str, int]]:
    """Put back what ``merge`` moved and changed, as one audited act; returns the records
    (table, id) edited since the merge, which are left as they are. The caller commits."""
    ensure(user, "undo", merge)
    if merge.undone:
        raise RuleBroken(_l("This merge was already undone."))
    if merge.kind == "contact":
        from crm.duplicates.contact_merging import undo_contact_merge

        return undo_contact_merge(merge, user)
    survivor = db.session.get(Partner, merge.survivor_id)
    other = db.session.get(Partner, merge.merged_id)
    assert survivor is not None and other is not None
    moved, kept = merge.moved, []
    reader = Formatter.default()
    with audit_act("unmerge", f"{reader.name(other)} ← {reader.name(survivor)}") as act:
        if edited_since(merge, "partners", [survivor.id]):
            kept.append(("partners", survivor.id))
        else:
            for name, (old, _new) in moved["fields"].items():
                _set(survivor, name, old)
        edited = edited_since(merge, "contacts", moved["contacts"])
        for contact in db.session.scalars(select(Contact).where(Contact.id.in_(moved["contacts"]))):
            if contact.id in edited or contact.partner_id != survivor.id:
                kept.append(("contacts", contact.id))
                continue
            contact.partner_id = other.id
            if contact.id in moved["unprimaried"]:
                contact.is_primary = True
        edited = edited_since(merge, "activities", moved["activities"])
        for activity in db.session.scalars(
            select(Activity).where(Activity.id.in_(moved["activities"]))
        ):
            if activity.id in edited or activity.partner_id != survivor.id:
                kept.append(("activities", activity.id))
            else:
                activity.partner_id = other.id
        agreement_ids = moved["agreements"] + moved["agreements_shared"]
        edited = edited_since(merge, "agreements", agreement_ids)
        for agreement in db.session.scalars(
            select(Agreement).where(Agreement.id.in_(agreement_ids))
        ):
            if agreement.id in edited:
                kept.append(("agreements", agreement.id))
                continue
            parties = list(agreement.parties)
            if agreement.id in moved["agreements"]:
                parties = [p for p in parties if p.id != survivor.id]
            agreement.parties = [*parties, other]
        references.put_back("partner", survivor.id, other.id, moved)
        other.merged_into_id = None
        other.restore()
        merge.undone_at = utcnow()
        merge.undone_by_id = getattr(user, "id", None)
        merge.undo_act_id = act.id
        merge.moved = {**moved, "kept": [list(item) for item in kept]}
        db.session.flush()
    return kept
