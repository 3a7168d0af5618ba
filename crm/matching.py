"""One matcher for "is this partner or contact one we already have?".

The partner form's warning, the import and the duplicates finder all ask here, so they agree.
Two partners are the same when they share a country (or neither has one) and

- ``same_name``: one of their names (English, Persian, own language, any script) is equal once
  normalised for search (``crm.text.normalize_search``: Arabic yeh and kaf, diacritics, ZWNJ,
  case, alef with madda or hamza «آرش» «أرش» for «ارش» do not matter), or
- ``similar_name``: two Latin names are transliteration variants (``similar_names``):
  "Teheran" and "Tehran", "Isfahan" and "Esfahan", but not "Tabriz" and "Tehran", nor
  "Kazan" and "Kazan City Hall", nor "Council 12" and "Council 13".

Contacts are the same when they have the same normalised name within one partner, or share an
e-mail address (case-insensitive) or a phone number (E.164, as contacts store it).
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import phonenumbers
from flask_babel import lazy_gettext as _l
from rapidfuzz import fuzz, process
from sqlalchemy import func, or_, select

from crm.extensions import db
from crm.partners.models import Contact, Partner
from crm.permissions import visible
from crm.text import normalize_search, to_latin_digits

REASONS = {
    "same_name": _l("Same name"),
    "similar_name": _l("Similar name"),
    "shared_email": _l("Shared e-mail address"),
    "shared_phone": _l("Shared phone number"),
}
TOKEN_RATIO = 85  # two words of five letters or more at least this similar (rapidfuzz ratio)
PREFILTER = 60  # whole names below this token-sort ratio are never compared word by word
_STOP_WORDS = {"of", "the", "and", "de", "des", "du", "la", "le"}
# transliteration habits folded away, in this order: Qazvin/Ghazvin, Ahvaz/Ahwaz, Yazd/Iazd…
_FOLDS: tuple[tuple[str, str], ...] = (
    ("ph", "f"),
    ("gh", "q"),
    ("kh", "x"),
    ("dj", "j"),
    ("ou", "u"),
    ("oo", "u"),
    ("ee", "i"),
    ("ck", "k"),
    ("w", "v"),
    ("y", "i"),
)
_VOWELS = re.compile(r"[aeiou]")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_DOUBLED = re.compile(r"([a-z])\1+")  # letters only: 11 is not 1


# --- names ---------------------------------------------------------------------------------------
# Alef with madda, or with hamza above or below, is plain alef to the matcher: «آرش» is «ارش».
# Search's keys drop the marks already; the stored sort keys keep آ (the alphabet sorts it
# first), so a comparison of sort keys folds them with ``alef_folded``. Display and storage
# keep the letter as written.
ALEF_VARIANTS = "آأإ"


def alef_folded(column: Any) -> Any:
    """``column`` (a stored key) in SQL with every alef variant written as plain ا."""
    for variant in ALEF_VARIANTS:
        column = func.replace(column, variant, "ا")
    return column


def name_keys(*names: str | None) -> set[str]:
    """The names as search normalises them, empty ones left out."""
    return {normalize_search(name) for name in names} - {""}


def latin_words(name: str | None) -> tuple[str, ...]:
    """The words of a Latin name folded for comparing transliterations (accents, case, doubled
    letters and common spelling habits go), or () when the name is not in Latin letters."""
    text = unicodedata.normalize("NFKD", to_latin_digits(name or "")).casefold()
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    if not text.strip() or any(ch.isalpha() and not ch.isascii() for ch in text):
        return ()
    words = []
    for word in _NOT_WORD.sub(" ", text).split():
        if word in _STOP_WORDS:
            continue
        for old, new in _FOLDS:
            word = word.replace(old, new)
        words.append(_DOUBLED.sub(r"\1", word))
    return tuple(words)


def block_of(words: tuple[str, ...]) -> tuple:
    """Where the finder looks for transliterations of a name: the numbers in it and the first
    consonant of each word ("Isfahan Municipality" and "Esfahan Municipality": ((), ("m",
    "s"))). Two similar names (``similar_words_lists``) nearly always share it."""
    numbers = tuple(sorted(word for word in words if word.isdigit()))
    return numbers, tuple(sorted((word.lstrip("aeiou") or word)[0] for word in words))


def _skeleton(word: str) -> str:
    return _VOWELS.sub("", word)


def similar_words(a: str, b: str) -> bool:
    """Two folded words are the same word spelt two ways: numbers only when equal; else equal
    consonants (Yazd/Yezd, Kiev/Kyiv; at least two), or for words of five letters or more a
    ratio of at least ``TOKEN_RATIO`` (Teheran/Tehran, Isfahan/Esfahan; not Tabriz/Tehran)."""
    if a == b:
        return True
    if any(ch.isdigit() for ch in a + b):
        return False
    skeleton = _skeleton(a)
    if len(skeleton) >= 2 and skeleton == _skeleton(b):
        return True
    return min(len(a), len(b)) >= 5 and fuzz.ratio(a, b) >= TOKEN_RATIO


def similar_words_lists(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Every word of one name pairs with a similar word of the other (same number of words)."""
    if not a or len(a) != len(b):
        return False
    left = list(b)
    for word in a:
        partner = next((other for other in left if similar_words(word, other)), None)
        if partner is None:
            return False
        left.remove(partner)
    return True


def similar_names(a: str | None, b: str | None) -> bool:
    """Two Latin names are transliteration variants of one name (see ``similar_words``)."""
    return similar_words_lists(latin_words(a), latin_words(b))


@dataclass(frozen=True)
class Names:
    """A partner's names, prepared once for comparing: normalised keys, folded Latin words,
    and for each Latin name the text the prefilter compares and the block it belongs to."""

    keys: frozenset[str]
    latin: tuple[tuple[str, ...], ...]
    prefilter_texts: tuple[str, ...] = ()
    blocks: tuple[tuple, ...] = ()

    @classmethod
    def of(cls, names: Iterable[str | None]) -> "Names":
        names = list(dict.fromkeys(name for name in names if name))
        latin = tuple(sorted({words for words in map(latin_words, names) if words}))
        return cls(
            frozenset(name_keys(*names)),
            latin,
            tuple(" ".join(sorted(words)) for words in latin),
            tuple(block_of(words) for words in latin),
        )

    def reason(self, other: "Names") -> str | None:
        """Why ``other`` is probably the same partner, or None."""
        if self.keys & other.keys:
            return "same_name"
        if any(similar_words_lists(a, b) for a in self.latin for b in other.latin):
            return "similar_name"
        return None


def partner_names(partner: Any) -> Names:
    """A partner's (or a row's) names, prepared for comparing."""
    return _prepared(partner.name_en, partner.name_fa, partner.name_local)


@lru_cache(maxsize=100_000)
def _prepared(*names: str | None) -> Names:
    """``Names.of``, remembered: the finder prepares every partner's names on each page, and
    names change seldom (a pure function of its arguments, so every process may keep it)."""
    return Names.of(names)


# --- partners ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Match:
    record: Any  # a Partner or a Contact
    reason: str

    @property
    def partner(self) -> Any:
        return self.record

    @property
    def reason_label(self) -> Any:
        return REASONS[self.reason]


def _country(code: str | None) -> str | None:
    return (code or "").upper() or None


def _same_country(column: Any, country: str | None) -> Any:
    return column == country if country else column.is_(None)


# a partner merged into another is that other now: it is never a match itself
_NOT_MERGED = Partner.merged_into_id.is_(None)
_ROW = (Partner.id, Partner.name_en, Partner.name_fa, Partner.name_local, Partner.country)


class PartnerMatcher:
    """Matches many names against a fixed set of partners, without a query per name: an import
    builds one from the partners of the countries in its file and asks it for every row
    (``add`` the partners it creates, and rows of the same file find each other too)."""

    def __init__(self, rows: Iterable[Any] = ()) -> None:
        self._by_key: dict[tuple[str | None, str], set[int]] = defaultdict(set)
        # per (country, block): the prefilter's texts and, in the same order, their partners
        self._texts: dict[tuple, list[str]] = defaultdict(list)
        self._ids: dict[tuple, list[int]] = defaultdict(list)
        self._names: dict[int, Names] = {}
        self._archived: set[int] = set()
        for row in rows:
            self.add(row)

    @classmethod
    def for_countries(cls, countries: Iterable[str | None], user: Any = None) -> "PartnerMatcher":
        """Built from the partners (archived ones too) of ``countries`` (None: those without
        a country) that ``user`` may see (everyone's when no user is given)."""
        wanted = {_country(code) for code in countries}
        codes = sorted(code for code in wanted if code)
        conditions = [Partner.country.in_(codes)] if codes else []
        if None in wanted:
            conditions.append(Partner.country.is_(None))
        if not conditions:
            return cls()
        stmt = select(*_ROW, Partner.archived_at).where(or_(*conditions), _NOT_MERGED)
        if user is not None:
            stmt = stmt.where(visible(Partner, user))
        return cls(db.session.execute(stmt))

    def __contains__(self, partner_id: object) -> bool:
        return partner_id in self._names

    def add(self, row: Any) -> None:
        """Take in a partner (or a row with its id, names, country and ``archived_at``)."""
        names, country = partner_names(row), _country(row.country)
        self._names[row.id] = names
        if getattr(row, "archived_at", None) is not None:
            self._archived.add(row.id)
        for key in names.keys:
            self._by_key[(country, key)].add(row.id)
        for text, block in zip(names.prefilter_texts, names.blocks, strict=True):
            self._texts[(country, block)].append(text)
            self._ids[(country, block)].append(row.id)

    def match_ids(
        self, names: Iterable[str | None], country: str | None, exclude_id: int | None = None
    ) -> list[tuple[int, str]]:
        """(partner id, reason) of the partners ``names`` in ``country`` probably are: same
        names first, current partners before archived ones, then by id."""
        wanted, country = Names.of(names), _country(country)
        found: dict[int, str] = {}
        for key in wanted.keys:
            for partner_id in self._by_key.get((country, key), ()):
                found[partner_id] = "same_name"
        for text, block in zip(wanted.prefilter_texts, wanted.blocks, strict=True):
            texts, ids = self._texts.get((country, block)), self._ids.get((country, block))
            for _text, _score, index in process.extract(
                text, texts or [], scorer=fuzz.token_sort_ratio, score_cutoff=PREFILTER, limit=None
            ):
                partner_id = ids[index]  # type: ignore[index]
                if partner_id not in found and wanted.reason(self._names[partner_id]):
                    found[partner_id] = "similar_name"
        if exclude_id is not None:
            found.pop(exclude_id, None)
        return sorted(
            found.items(),
            key=lambda item: (item[1] != "same_name", item[0] in self._archived, item[0]),
        )

    def matches(
        self,
        names: Iterable[str | None],
        country: str | None,
        exclude_id: int | None = None,
        limit: int = 5,
    ) -> list[Match]:
        """The partners ``match_ids`` finds, loaded (one query)."""
        ids = self.match_ids(names, country, exclude_id)[:limit]
        loaded = {
            p.id: p
            for p in db.session.scalars(
                select(Partner).where(Partner.id.in_([partner_id for partner_id, _ in ids]))
            )
        }
        return [Match(loaded[partner_id], reason) for partner_id, reason in ids]


def partner_matches(
    names: Iterable[str | None],
    country: str | None,
    exclude_id: int | None = None,
    limit: int = 5,
    user: Any = None,
) -> list[Match]:
    """The partners (archived ones too) that a partner with ``names`` in ``country`` probably
    is already, as ``Match(partner, reason)``: same names first, current before archived.

    Narrowed in SQL: the search index finds the same names; the Latin names of the country's
    partners (a column query, no objects) are compared for transliterations."""
    names, country = list(names), _country(country)
    wanted = Names.of(names)
    if not wanted.keys:
        return []
    same_country = _same_country(Partner.country, country)
    stmt = select(*_ROW, Partner.archived_at).where(
        same_country, _NOT_MERGED, or_(*(Partner.matching(key) for key in wanted.keys))
    )
    if user is not None:
        stmt = stmt.where(visible(Partner, user))
    matcher = PartnerMatcher(db.session.execute(stmt))
    if wanted.latin:
        latin = select(*_ROW, Partner.archived_at).where(
            same_country,
            _NOT_MERGED,
            func.length(Partner.name_en) + func.length(Partner.name_local) > 0,
        )
        if user is not None:
            latin = latin.where(visible(Partner, user))
        for row in db.session.execute(latin):
            if row.id not in matcher:
                matcher.add(row)
    return matcher.matches(names, country, exclude_id, limit)


# --- contacts ------------------------------------------------------------------------------------
def phone_key(text: str | None, region: str | None = None) -> str:
    """A phone number in E.164 as contacts store it, or "" when it is not a valid number."""
    text = to_latin_digits(text or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, (region or "IR").upper())
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def contact_matches(
    partner_id: int | None,
    names: Iterable[str | None],
    email: str | None = None,
    phone: str | None = None,
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[Match]:
    """The contacts (archived ones too) a contact probably is already: the same normalised
    name at the same partner, or the same e-mail address or phone number anywhere."""
    keys = name_keys(*names)
    email = (email or "").strip().casefold()
    phone = phone_key(phone)
    conditions: list[Any] = []
    if keys and partner_id is not None:
        conditions.append(
            (Contact.partner_id == partner_id) & or_(*(Contact.matching(key) for key in keys))
        )
    if email:
        conditions.append(func.lower(Contact.email) == email)
    if phone:
        conditions.append(Contact.phone == phone)
    if not conditions:
        return []
    stmt = (
        select(Contact)
        .where(or_(*conditions))
        .order_by(Contact.archived_at.is_not(None), Contact.id)
    )
    if exclude_id is not None:
        stmt = stmt.where(Contact.id != exclude_id)
    found = []
    for contact in db.session.scalars(stmt):
        if contact.partner_id == partner_id and keys & name_keys(
            contact.name_latin, contact.name_fa
        ):
            found.append(Match(contact, "same_name"))
        elif email and contact.email.casefold() == email:
            found.append(Match(contact, "shared_email"))
        elif phone and contact.phone == phone:
            found.append(Match(contact, "shared_phone"))
    return found[:limit]
