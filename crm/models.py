"""Shared model pieces: time stamps, archiving, search keys and the cooperation-area table."""

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    Column,
    ColumnElement,
    DateTime,
    ForeignKey,
    Index,
    Select,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from crm import search as search_index
from crm.extensions import Model, db
from crm.formatting import default_locale, pick
from crm.text import SORT_KEY_LENGTH, search_spellings, sort_key


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A time-zone-aware UTC datetime on every database (SQLite drops the zone on its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given to a UTC column")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ArchivableMixin:
    """Records are archived and restored, never deleted.

    ``archived_at`` has no index of its own: nearly every row is current, so an index on it
    matches almost everything and misleads SQLite's planner. Each table has partial indexes
    ``WHERE archived_at IS NULL`` instead, on what its lists sort and filter by
    (``current_index``, ``sort_indexes``)."""

    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def archived(self) -> bool:
        return self.archived_at is not None

    def archive(self) -> None:
        """Hide the record from lists and searches; nothing is deleted."""
        if self.archived_at is None:
            self.archived_at = utcnow()

    def restore(self) -> None:
        self.archived_at = None


class SearchableMixin:
    """A normalised search key, kept up to date by crm.audit's flush hook and indexed for search
    on both databases (``crm.search``)."""

    search_key: Mapped[str] = mapped_column(Text, default="")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "__tablename__" in cls.__dict__:  # the mapped class: its table exists now
            search_index.attach(cls.__table__)  # type: ignore[attr-defined]

    @classmethod
    def matching(cls, text: str | None, walk: bool = False) -> ColumnElement[bool]:
        """A WHERE clause: every word of ``text`` occurs in the search key (a word shorter than
        three letters at the start of one of the key's words), found through the search index.
        Both sides are normalised, so Arabic and Persian letters, diacritics and ZWNJ do not
        matter, and the key's joined form lets «میروم» find «می‌روم» (see
        ``crm.text.search_key``). ``walk``: planned for many matches (``index_match``)."""
        return search_index.index_match(cls, search_spellings(text), walk)

    @classmethod
    def matching_ids(cls, text: str | None) -> Select[Any]:
        """The ids of the records ``matching`` finds (on SQLite without reading the rows)."""
        return search_index.match_ids(cls, search_spellings(text))

    def search_values(self) -> list[str | None]:  # pragma: no cover - overridden
        raise NotImplementedError


CURRENT = "archived_at IS NULL"


def current_index(table: str, name: str, *columns: str, where: str = CURRENT) -> Index:
    """A partial index of ``table`` on ``columns`` over its current rows (or ``where``), the
    same on SQLite and PostgreSQL: ``ix_<table>_<name>``."""
    condition = text(where)
    return Index(f"ix_{table}_{name}", *columns, sqlite_where=condition, postgresql_where=condition)


def max_length(attribute: Any) -> int | None:
    """The most characters a text column holds: ``n`` of ``String(n)``, or for ``Text`` its
    ``info={"max_length": …}`` (free text: summaries, notes, outcomes). Forms and the
    services' rules both read it, so a form, an import and the API refuse the same text."""
    columns = getattr(attribute.property, "columns", None)
    if not columns:
        return None
    return columns[0].info.get("max_length") or getattr(columns[0].type, "length", None)


class AuditedMixin:
    """Creates, changes, archives and restores of these models are written to the audit log."""

    __audit_exclude__: ClassVar[tuple[str, ...]] = (
        "search_key",
        "sort_country_en",
        "sort_country_fa",
        "sort_en",
        "sort_fa",
        "sort_subject",
        "when_at",
        "day_ends_at",
        "updated_at",
        "created_at",
    )

    if TYPE_CHECKING:  # every audited model has them
        __tablename__: str
        id: int


class BilingualNameMixin:
    """A record named in English and Persian (and maybe more): ``name_in(locale)`` picks the
    text a reader of ``locale`` reads first, falling back to the others; ``name`` is the name
    in the application's default language (for logs, commands and jobs). Pages, emails and PDFs
    name records through their reader's ``Formatter.name``."""

    __name_columns__: ClassVar[tuple[str, ...]]  # English, Persian, then fallbacks

    def name_in(self, locale: str) -> str:
        en, fa, *others = (getattr(self, column) for column in self.__name_columns__)
        return pick(locale, en, fa, *others)

    @classmethod
    def name_sql(cls, locale: str) -> ColumnElement[str]:
        """The SQL twin of ``name_in`` (the first name that is neither NULL nor empty), for
        an export that selects the name its reader reads instead of every name column."""
        en, fa, *others = (getattr(cls, column) for column in cls.__name_columns__)
        first, second = (fa, en) if locale == "fa" else (en, fa)
        return func.coalesce(*(func.nullif(name, "") for name in (first, second, *others)), "")

    @property
    def name(self) -> str:
        return self.name_in(default_locale())


# Sort keys compare byte by byte: SQLite's default; PostgreSQL's "C" collation (a locale's
# collation would reorder what crm.text.sort_key ordered).
SortKey = String(SORT_KEY_LENGTH).with_variant(String(SORT_KEY_LENGTH, collation="C"), "postgresql")


class SortKeysMixin:
    """Stored alphabetical sort keys (``crm.text.sort_key``), kept current by crm.audit's
    flush hook and written by the bulk seed; each list sorts by one, through an index."""

    def sort_keys(self) -> dict[str, str]:  # pragma: no cover - overridden
        raise NotImplementedError


class SortedNameMixin(SortKeysMixin, BilingualNameMixin):
    """A bilingual name with a stored sort key per reader's language: ``sort_fa`` sorts the
    name a Persian reader sees (Persian, falling back to English, then the others), ``sort_en``
    the one everyone else sees; the same fallback as ``name_in``."""

    sort_en: Mapped[str] = mapped_column(SortKey, default="", server_default="")
    sort_fa: Mapped[str] = mapped_column(SortKey, default="", server_default="")

    def sort_keys(self) -> dict[str, str]:
        return {"sort_en": sort_key(self.name_in("en")), "sort_fa": sort_key(self.name_in("fa"))}

    @classmethod
    def name_order(cls, locale: str) -> Any:
        """The SQL twin of ``name_in``: what a list in ``locale`` sorts by."""
        return cls.sort_fa if locale == "fa" else cls.sort_en


def sort_indexes(table: str, *columns: str, current: bool = True) -> tuple[Index, ...]:
    """One index per sort key of ``table``, with the id as the tie: over current records only
    (lists show archived records only when asked), or with ``current=False`` over all."""
    return tuple(
        current_index(table, f"{column}_current", column, "id")
        if current
        else Index(f"ix_{table}_{column}", column, "id")
        for column in columns
    )


class CooperationArea(BilingualNameMixin, Model):
    __tablename__ = "cooperation_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_en: Mapped[str] = mapped_column(String(120))
    name_fa: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)

    __name_columns__ = ("name_en", "name_fa")

    def __repr__(self) -> str:
        return f"<CooperationArea {self.code}>"


def area_link_table(name: str, owner_table: str) -> Table:
    """An association table between ``owner_table`` and cooperation areas."""
    owner_col = owner_table.rstrip("s") + "_id"
    return Table(
        name,
        db.metadata,
        Column(owner_col, ForeignKey(f"{owner_table}.id", ondelete="CASCADE"), primary_key=True),
        Column("area_id", ForeignKey("cooperation_areas.id", ondelete="CASCADE"), primary_key=True),
    )
