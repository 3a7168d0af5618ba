"""Partners (cities, organisations, companies, groups) and their contacts."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from crm.auth.models import User
from crm.extensions import Model
from crm.formatting import country_sort_key
from crm.models import (
    ArchivableMixin,
    AuditedMixin,
    CooperationArea,
    SearchableMixin,
    SortedNameMixin,
    SortKey,
    TimestampMixin,
    UTCDateTime,
    area_link_table,
    current_index,
    sort_indexes,
)

if TYPE_CHECKING:
    from crm.health.models import PartnerHealth

PARTNER_KINDS = {
    "city": _l("City"),
    "organization": _l("Organisation"),
    "company": _l("Company"),
    "group": _l("Group"),
}
RELATIONSHIPS = {
    "prospect": _l("Prospect"),
    "friendship": _l("Friendship"),
    "cooperation": _l("Cooperation"),
    "sister_city": _l("Sister city"),
    "member": _l("Member"),
    "former": _l("Former"),
}
CONTACT_LANGUAGES = {
    "fa": _l("Persian"),
    "en": _l("English"),
    "ar": _l("Arabic"),
    "tr": _l("Turkish"),
    "ru": _l("Russian"),
    "zh": _l("Chinese"),
    "fr": _l("French"),
    "de": _l("German"),
    "es": _l("Spanish"),
    "other": _l("Other"),
}
# The largest population a partner may have: above the largest city and below what the
# database's integer holds (a country-wide organisation counts its members, not the world).
MAX_POPULATION = 2_000_000_000

partner_areas = area_link_table("partner_areas", "partners")


def country_sort_keys(code: str | None) -> dict[str, str]:
    """A partner's stored country keys, as its ``sort_keys()`` and the bulk seed write them."""
    return {f"sort_country_{locale}": country_sort_key(code, locale) for locale in ("en", "fa")}


class Partner(
    SortedNameMixin, SearchableMixin, ArchivableMixin, AuditedMixin, TimestampMixin, Model
):
    __tablename__ = "partners"
    __table_args__ = (
        # over every partner: the contact list sorted by partner shows archived partners' contacts
        *sort_indexes("partners", "sort_en", "sort_fa", current=False),
        *sort_indexes("partners", "sort_country_en", "sort_country_fa"),
        # the domain filter, and the start page's count per domain from the index alone
        Index("ix_partners_domain_archived", "domain", "archived_at"),
        # the dashboard's current partners per country, from the index alone
        Index("ix_partners_country_archived", "country", "archived_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    domain: Mapped[str] = mapped_column(String(20))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    name_fa: Mapped[str] = mapped_column(String(200), default="")
    name_local: Mapped[str] = mapped_column(String(200), default="")
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    region: Mapped[str] = mapped_column(String(120), default="")
    population: Mapped[int | None]
    timezone: Mapped[str] = mapped_column(String(64), default="")
    website: Mapped[str] = mapped_column(String(300), default="")
    relationship_type: Mapped[str] = mapped_column(String(20), default="prospect", index=True)
    relationship_since: Mapped[date | None]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    summary: Mapped[str] = mapped_column(Text, default="", info={"max_length": 5000})
    talking_points: Mapped[str] = mapped_column(Text, default="", info={"max_length": 5000})
    # the country's name as a sort key, per reader's language (``country_sort_key``)
    sort_country_en: Mapped[str] = mapped_column(SortKey, default="", server_default="")
    sort_country_fa: Mapped[str] = mapped_column(SortKey, default="", server_default="")
    # the partner it was merged into (it is archived then; crm.duplicates): a plain number, so
    # that SQLite adds the column in place and the table keeps its search triggers
    merged_into_id: Mapped[int | None]

    owner: Mapped[User | None] = relationship()
    areas: Mapped[list[CooperationArea]] = relationship(
        secondary=partner_areas, order_by=CooperationArea.position
    )
    contacts: Mapped[list["Contact"]] = relationship(back_populates="partner")
    # its relationship health (crm.health), loaded with a page of the list
    health: Mapped["PartnerHealth | None"] = relationship(viewonly=True)

    __name_columns__ = ("name_en", "name_fa", "name_local")

    def search_values(self) -> list[str | None]:
        return [self.name_en, self.name_fa, self.name_local, self.region, self.website]

    def sort_keys(self) -> dict[str, str]:
        return super().sort_keys() | country_sort_keys(self.country)

    @classmethod
    def country_order(cls, locale: str) -> Any:
        """What a list in ``locale`` sorted by country sorts by: the country's name."""
        return cls.sort_country_fa if locale == "fa" else cls.sort_country_en

    def __repr__(self) -> str:
        return f"<Partner {self.id} {self.name_en or self.name_fa}>"


# An erased contact's name (crm.partners.erasure).
ERASED_NAME = _l("Erased contact")


class Contact(
    SortedNameMixin, SearchableMixin, ArchivableMixin, AuditedMixin, TimestampMixin, Model
):
    __tablename__ = "contacts"
    __table_args__ = (
        # a partner's current contacts
        current_index("contacts", "current_partner", "partner_id"),
        *sort_indexes("contacts", "sort_en", "sort_fa"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partners.id"), index=True)
    name_latin: Mapped[str] = mapped_column(String(200), default="")
    name_fa: Mapped[str] = mapped_column(String(200), default="")
    title: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")  # E.164
    language: Mapped[str] = mapped_column(String(8), default="en")
    notes: Mapped[str] = mapped_column(Text, default="", info={"max_length": 5000})
    is_primary: Mapped[bool] = mapped_column(default=False)
    # the contact it was merged into (it is archived then), as ``Partner.merged_into_id``
    merged_into_id: Mapped[int | None]
    # when the person's data were erased on their request (crm.partners.erasure)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    partner: Mapped[Partner] = relationship(back_populates="contacts")

    __name_columns__ = ("name_latin", "name_fa")

    def name_in(self, locale: str) -> str:
        """An erased contact is "Erased contact" in the reader's language, whatever its
        stored names (written in the languages of the catalogue of the day)."""
        if self.erased_at is not None:
            with force_locale(locale):
                return str(ERASED_NAME)
        return super().name_in(locale)

    def archive(self) -> None:
        """An archived contact stops being the partner's primary one."""
        super().archive()
        self.is_primary = False

    def search_values(self) -> list[str | None]:
        return [self.name_latin, self.name_fa, self.title, self.department, self.email, self.phone]

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.name_latin or self.name_fa}>"


# The duplicates finder's groups (crm.duplicates.finder), read from covering indexes alone:
# contacts by e-mail address, by phone number, and by name at a partner. Not partial: SQLite
# reads a partial index without the table only when the condition's column is in it.
Index("ix_contacts_email", Contact.email, Contact.partner_id, Contact.archived_at)
Index("ix_contacts_phone", Contact.phone, Contact.partner_id, Contact.archived_at)
Index(
    "ix_contacts_partner_names",
    Contact.partner_id,
    Contact.sort_en,
    Contact.sort_fa,
    Contact.archived_at,
)
