"""The import's use of the one matcher (``crm.matching``): partners by their names in every
name field and script plus country, Latin names by transliteration ("Teheran" and "Tehran"),
built once per import (``PartnerMatcher``, no query per row); the rows of one file find each
other too. A contact's partner column finds current partners by any of their names."""

from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from crm.extensions import db
from crm.matching import Match, PartnerMatcher, contact_matches, name_keys
from crm.partners.models import Partner


class ImportMatcher:
    """Which partners a row's names and country probably are: stored ones (ids), or a row
    earlier in the same file (``add``ed with minus its row number as its id)."""

    def __init__(self, countries: set[str | None], user: Any = None) -> None:
        self._matcher = PartnerMatcher.for_countries(countries, user)

    def match(self, names: tuple[str, ...], country: str | None) -> list[int]:
        return [partner_id for partner_id, _reason in self._matcher.match_ids(names, country)]

    def add(self, row_id: int, names: tuple[str, ...], country: str | None) -> None:
        name_en, name_fa, name_local = names
        row = SimpleNamespace(
            id=row_id, name_en=name_en, name_fa=name_fa, name_local=name_local, country=country
        )
        self._matcher.add(row)


def same_contact(partner_id: int, values: dict[str, Any]) -> Any:
    """The partner's contact these values probably are (the matcher's same name, e-mail or
    phone), or None; a match at another partner is not this row's to update."""
    found: list[Match] = contact_matches(
        partner_id,
        (values.get("name_latin"), values.get("name_fa")),
        values.get("email"),
        values.get("phone"),
    )
    return next((m.record for m in found if m.record.partner_id == partner_id), None)


class PartnerNames:
    """Current partners by any of their names, normalised as search does: a contact's partner
    column finds its partner (looked up once per name)."""

    def __init__(self) -> None:
        self._found: dict[str, list[int]] = {}

    def find(self, name: str) -> list[int]:
        keys = name_keys(name)
        if not keys:
            return []
        [key] = keys
        if key not in self._found:
            stmt = select(Partner.id, Partner.name_en, Partner.name_fa, Partner.name_local).where(
                Partner.archived_at.is_(None), Partner.matching(key)
            )
            self._found[key] = [
                row.id
                for row in db.session.execute(stmt.order_by(Partner.id))
                if key in name_keys(row.name_en, row.name_fa, row.name_local)
            ]
        return self._found[key]
