"""The duplicates finder: pairs of current partners (and contacts) that are probably one.

It never compares every pair: partners are read as plain rows (id, names, country) and put in
blocks, and only records of one block are compared.

- same names: one block per (country, normalised name), pairs in a block are duplicates;
- transliterations: one block per (country, numbers in the name, first consonant of each
  word): "Isfahan Municipality" and "Esfahan Municipality" share ("IR", (), ("m", "s")), and
  "Tabriz Council 12" meets nothing but another "… 12"; inside a block rapidfuzz's ``extract``
  prefilters in C and ``crm.matching`` decides;
- contacts: SQL groups contacts by e-mail (case-insensitive) and by phone; partners whose
  contacts share one are paired, as are the contacts themselves; contacts of one partner with
  the same normalised name too.

A group of n records gives n − 1 pairs (each with the first), not n·(n − 1)/2.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import func, select

from crm.extensions import db
from crm.matching import PREFILTER, Names, name_keys, partner_names
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


def _block(country: str | None, words: tuple[str, ...]) -> tuple:
    numbers = tuple(sorted(w for w in words if w.isdigit()))
    initials = tuple(sorted((w.lstrip("aeiou") or w)[0] for w in words))
    return (country, numbers, initials)


def _shared(column: Any, owner: Any, condition: Any) -> dict[str, set[int]]:
    """Value of ``column`` → the ``owner`` ids (partners or contacts) of the current contacts
    that share it, for values more than one has."""
    shared = (
        select(column.label("value"))
        .where(Contact.archived_at.is_(None), column != "")
        .group_by(column)
        .having(func.count() > 1)
        .subquery()
    )
    rows = db.session.execute(
        select(column, owner).join(shared, column == shared.c.value).where(condition)
    )
    groups: dict[str, set[int]] = defaultdict(set)
    for value, owner_id in rows:
        groups[value].add(owner_id)
    return groups


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
        for words, text in zip(names.latin, names.prefilter_texts, strict=True):
            blocks[_block(row.country, words)].append((text, row.id, names))
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
    for reason, column in (
        ("shared_email", func.lower(Contact.email)),
        ("shared_phone", Contact.phone),
    ):
        for shared in _shared(column, Contact.partner_id, Contact.archived_at.is_(None)).values():
            if len(shared & current) > 1:
                pairs.add_group(shared & current, reason)
    return pairs.sorted()


def contact_pairs(user: Any) -> list[Pair]:
    """Likely duplicate pairs among current contacts (of partners ``user`` may see): the same
    normalised name at one partner, or a shared e-mail address or phone number."""
    current = Contact.archived_at.is_(None)
    seen = select(Partner.id).where(visible(Partner, user))
    condition = current & Contact.partner_id.in_(seen)
    pairs = _Pairs()
    # same names at one partner: partners with two current contacts or more
    crowded = (
        select(Contact.partner_id)
        .where(current)
        .group_by(Contact.partner_id)
        .having(func.count() > 1)
    )
    rows = db.session.execute(
        select(Contact.id, Contact.partner_id, Contact.name_latin, Contact.name_fa)
        .where(condition, Contact.partner_id.in_(crowded))
        .order_by(Contact.id)
    )
    same: dict[tuple[int, str], list[int]] = defaultdict(list)
    for row in rows:
        for key in name_keys(row.name_latin, row.name_fa):
            same[(row.partner_id, key)].append(row.id)
    for ids in same.values():
        if len(ids) > 1:
            pairs.add_group(ids, "same_name")
    for reason, column in (
        ("shared_email", func.lower(Contact.email)),
        ("shared_phone", Contact.phone),
    ):
        for shared in _shared(column, Contact.id, condition).values():
            if len(shared) > 1:
                pairs.add_group(shared, reason)
    return pairs.sorted()
