"""The import's way to the one matcher of partners.

ADAPTER: until ``crm.matching`` (the shared matcher: normalised names in every name field plus
country, and similarity of Latin names) is on this branch, partners are matched through
``crm.partners.services.duplicate_partners`` (normalised names and country, one query per row),
and the rows of one file through their normalised names. Swapping in the shared
``PartnerMatcher`` changes this module only.
"""

from typing import Any

from sqlalchemy import select

from crm.extensions import db
from crm.partners.models import Partner
from crm.partners.services import PartnerData, duplicate_partners
from crm.text import normalize_search


def _keys(names: tuple[str, ...]) -> set[str]:
    return {normalize_search(name) for name in names} - {""}


class ImportMatcher:
    """Which partner a row's names and country probably are: one already stored, or a row
    earlier in the same file (``add``ed with a negative id, minus its row number)."""

    def __init__(self, countries: set[str | None], user: Any = None) -> None:
        self._rows: dict[tuple[str | None, str], int] = {}

    def match(self, names: tuple[str, ...], country: str | None) -> list[int]:
        """Ids of the partners (stored ones, then rows of this file) these names are."""
        data = PartnerData(name_en=names[0], name_fa=names[1], name_local=names[2], country=country)
        found = [p.id for p in duplicate_partners(data)]
        found += [
            row for key in _keys(names) if (row := self._rows.get((country, key))) is not None
        ]
        return list(dict.fromkeys(found))

    def add(self, row_id: int, names: tuple[str, ...], country: str | None) -> None:
        for key in _keys(names):
            self._rows.setdefault((country, key), row_id)


class PartnerNames:
    """Current partners by any of their names, normalised as search does: a contact's partner
    column finds its partner (loaded once per name)."""

    def __init__(self) -> None:
        self._found: dict[str, list[int]] = {}

    def find(self, name: str) -> list[int]:
        key = normalize_search(name)
        if not key:
            return []
        if key not in self._found:
            stmt = select(Partner.id, Partner.name_en, Partner.name_fa, Partner.name_local).where(
                Partner.archived_at.is_(None), Partner.matching(key)
            )
            ids: dict[int, None] = {}
            for row in db.session.execute(stmt.order_by(Partner.id)):
                if key in _keys((row.name_en, row.name_fa, row.name_local)):
                    ids[row.id] = None
            self._found[key] = list(ids)
        return self._found[key]
