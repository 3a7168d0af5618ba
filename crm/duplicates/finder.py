"""The duplicates finder: pairs of current partners (and contacts) that are probably one.

It never compares every pair: partners are read as plain rows (id, names, country) and put in
blocks, and only records of one block are compared.

- same names: one block per (country, normalised name), pairs in a block are duplicates;
- transliterations: one block per (country, numbers in the name, first consonant of each
  word): "Isfahan Municipality" and "Esfahan Municipality" share ("IR", (), ("m", "s")), and
  "Tabriz Council 12" meets nothing but another "… 12"; inside a block rapidfuzz's ``extract``
  prefilters in C and ``crm.matching`` decides;
- contacts: current contacts are read by e-mail (case-insensitive), by phone and by name
  from covering indexes and grouped in Python; partners whose contacts share an address or a
  number are paired, as are the contacts themselves, and contacts of one partner with the same
  normalised name (their stored sort keys).

A group of n records gives n − 1 pairs (each with the first), not n·(n − 1)/2.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import func, select

from crm.extensions import db
from crm.matching import PREFILTER, Names, alef_folded, partner_names
from crm.partners.models import Contact, Partner
from crm.permissions import visible

REASON_ORDER = ("same_name", "similar_name", "shared_email", "shared_phone")


@dataclass(frozen=True)
class Pair:
    """Two records (lower id first) that are probably one, and why."""

    first: int
    second: int
    reason: str


class _Pairs:
    def __init__(self) -> None:
        self.found: dict[tuple[int, int], str] = {}

    def add(self, a: int, b: int, reason: str) -> None:
        key = (min(a, b), max(a, b))
        if a != b and key not in self.found:
            self.found[key] = reason

    def add_group(self, ids: Iterable[int], reason: str) -> None:
        ordered = sorted(set(ids))
        for other in ordered[1:]:
            self.add(ordered[0], other, reason)

    def sorted(self) -> list[Pair]:
        pairs = [Pair(a, b, reason) for (a, b), reason in self.found.items()]
        return sorted(pairs, key=lambda p: (REASON_ORDER.index(p.reason), p.first, p.second))


def _current(*columns: Any) -> list[Any]:
    return [*(column > "" for column in columns), Contact.archived_at.is_(None)]


def _shared(column: Any, owner: Any, partners: set[int]) -> list[set[int]]:
    """The ``owner`` ids (partners or contacts) of current contacts of ``partners`` that share
    a value of ``column`` (an e-mail address, case-insensitive, or a phone number) with
    another owner. The database groups, reading the column's covering index
    (``ix_contacts_email``, ``…_phone``); only the shared values come back."""
    value = func.lower(column)
    shared = select(value).where(*_current(column)).group_by(value).having(func.count() > 1)
    rows = db.session.execute(
        select(value, owner, Contact.partner_id).where(*_current(column), value.in_(shared))
    )
    groups: dict[str, set[int]] = defaultdict(set)
    for key, owner_id, partner_id in rows:
        if partner_id in partners:
            groups[key].add(owner_id)
    return [owners for owners in groups.values() if len(owners) > 1]


def _same_names(key: Any, partners: set[int]) -> list[list[int]]:
    """Current contacts of one of ``partners`` with the same ``key`` (a stored sort key, the
    name as search normalises it, alef variants folded) at the same partner; grouped by the
    database from ``ix_contacts_partner_names``."""
    groups = (
        select(Contact.partner_id, key.label("key"))
        .where(*_current(key))
        .group_by(Contact.partner_id, key)
        .having(func.count() > 1)
        .subquery()
    )
    rows = db.session.execute(
        select(Contact.id, Contact.partner_id, key)
        .join(groups, (Contact.partner_id == groups.c.partner_id) & (key == groups.c.key))
        .where(Contact.archived_at.is_(None))
    )
    same: dict[tuple[int, str], list[int]] = defaultdict(list)
    for contact_id, partner_id, name in rows:
        if partner_id in partners:
            same[(partner_id, name)].append(contact_id)
    return list(same.values())


def partner_pairs(user: Any) -> list[Pair]:
    """Likely duplicate pairs among the current partners ``user`` may see."""
    rows = db.session.execute(
        select(Partner.id, Partner.name_en, Partner.name_fa, Partner.name_local, Partner.country)
        .where(Partner.archived_at.is_(None), visible(Partner, user))
        .order_by(Partner.id)
    ).all()
    pairs = _Pairs()
    same: dict[tuple, list[int]] = defaultdict(list)
    blocks: dict[tuple, list[tuple[str, int, Names]]] = defaultdict(list)
    for row in rows:
        names = partner_names(row)
        for key in names.keys:
            same[(row.country, key)].append(row.id)
        for where, text in zip(names.blocks, names.prefilter_texts, strict=True):
            blocks[(row.country, where)].append((text, row.id, names))
    for ids in same.values():
        if len(ids) > 1:
            pairs.add_group(ids, "same_name")
    for block in blocks.values():
        if len(block) < 2:
            continue
        texts = [text for text, _id, _names in block]
        for i, (text, first, names) in enumerate(block[:-1]):
            for _text, _score, j in process.extract(
                text,
                texts[i + 1 :],
                scorer=fuzz.token_sort_ratio,
                score_cutoff=PREFILTER,
                limit=None,
            ):
                second, other = block[i + 1 + j][1:]
                if names.reason(other) == "similar_name":  # same names are paired above
                    pairs.add(first, second, "similar_name")
    current = {row.id for row in rows}
    for reason, column in (("shared_email", Contact.email), ("shared_phone", Contact.phone)):
        for shared in _shared(column, Contact.partner_id, current):
            pairs.add_group(shared, reason)
    return pairs.sorted()


def contact_pairs(user: Any) -> list[Pair]:
    """Likely duplicate pairs among current contacts (of partners ``user`` may see): the same
    normalised name at one partner, or a shared e-mail address or phone number."""
    seen = set(db.session.scalars(select(Partner.id).where(visible(Partner, user))))
    pairs = _Pairs()
    # same names at one partner: by the stored sort keys, the names as search normalises them
    # (with آ, which they keep for the alphabet's order, as ا: «آرش» and «ارش» are one name)
    for key in (Contact.sort_en, Contact.sort_fa):
        for ids in _same_names(alef_folded(key), seen):
            if len(ids) > 1:
                pairs.add_group(ids, "same_name")
    for reason, column in (("shared_email", Contact.email), ("shared_phone", Contact.phone)):
        for shared in _shared(column, Contact.id, seen):
            pairs.add_group(shared, reason)
    return pairs.sorted()
