"""The fields an import fills, per kind, and guessing which column holds which.

A field is a ``PartnerData`` or ``ContactData`` field (``partner`` for a contact's partner,
found by name). Each has its label (what the mapping page and the template call it) and the
headings people write for it in English and Persian, compared as search compares them
(``normalize_search``: Arabic or Persian letters, case, ZWNJ and spaces do not matter).
"""

from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l

from crm.formatting import Formatter
from crm.text import normalize_search, without_invisible


@dataclass(frozen=True)
class Field:
    key: str
    label: Any
    kind: str = "text"  # text, choice, country, date, number, email, phone, website, areas, flag
    aliases: tuple[str, ...] = ()


PARTNER_FIELDS = (
    Field(
        "name_en",
        _l("Name in English"),
        aliases=(
            "name",
            "english name",
            "name en",
            "organisation",
            "organization",
            "partner",
            "نام انگلیسی",
            "نام لاتین",
        ),
    ),
    Field(
        "name_fa",
        _l("Name in Persian"),
        aliases=("persian name", "farsi name", "name fa", "نام", "نام فارسی", "عنوان"),
    ),
    Field(
        "name_local",
        _l("Name in its own language"),
        aliases=("local name", "native name", "name local", "نام محلی", "نام به زبان خود"),
    ),
    Field("kind", _l("Kind"), "choice", ("type", "partner kind", "نوع", "گونه")),
    Field("domain", _l("Domain"), "choice", ("field", "sector", "حوزه")),
    Field("country", _l("Country"), "country", ("country code", "nation", "کشور")),
    Field(
        "region",
        _l("Region or province"),
        aliases=(
            "city",
            "region",
            "province",
            "state",
            "town",
            "شهر",
            "استان",
            "منطقه",
            "شهر یا استان",
        ),
    ),
    Field("population", _l("Population"), "number", ("inhabitants", "جمعیت")),
    Field("timezone", _l("Time zone"), aliases=("tz", "zone", "منطقه زمانی")),
    Field(
        "website",
        _l("Website"),
        "website",
        ("web", "site", "url", "web site", "وبگاه", "وب سایت", "سایت", "تارنما"),
    ),
    Field(
        "relationship_type",
        _l("Relationship"),
        "choice",
        ("relationship type", "relation", "status", "نوع رابطه", "رابطه"),
    ),
    Field(
        "relationship_since",
        _l("Relationship since"),
        "date",
        ("since", "start date", "date", "از تاریخ", "تاریخ", "تاریخ شروع", "رابطه از"),
    ),
    Field(
        "areas",
        _l("Cooperation areas"),
        "areas",
        ("areas", "cooperation", "topics", "زمینه ها", "زمینه های همکاری", "حوزه های همکاری"),
    ),
    Field(
        "summary",
        _l("Summary"),
        aliases=("notes", "note", "description", "comments", "خلاصه", "یادداشت", "توضیحات"),
    ),
    Field("talking_points", _l("Talking points"), aliases=("talking points", "نکات گفتگو", "نکات")),
)
CONTACT_FIELDS = (
    Field(
        "partner",
        _l("Partner"),
        "partner",
        (
            "organisation",
            "organization",
            "company",
            "city",
            "partner name",
            "طرف",
            "شریک",
            "سازمان",
            "شرکت",
            "طرف همکاری",
        ),
    ),
    Field(
        "name_latin",
        _l("Name in Latin letters"),
        aliases=(
            "name",
            "full name",
            "english name",
            "latin name",
            "contact",
            "نام لاتین",
            "نام انگلیسی",
        ),
    ),
    Field(
        "name_fa",
        _l("Name in Persian"),
        aliases=("persian name", "نام", "نام فارسی", "نام و نام خانوادگی"),
    ),
    Field("title", _l("Job title"), aliases=("title", "position", "role", "job", "سمت", "عنوان")),
    Field("department", _l("Department"), aliases=("unit", "division", "بخش", "واحد")),
    Field(
        "email",
        _l("Email"),
        "email",
        ("e-mail", "mail", "email address", "ایمیل", "رایانامه", "پست الکترونیک"),
    ),
    Field(
        "phone",
        _l("Phone"),
        "phone",
        (
            "telephone",
            "tel",
            "mobile",
            "phone number",
            "تلفن",
            "تلفن همراه",
            "شماره تماس",
            "موبایل",
        ),
    ),
    Field("language", _l("Preferred language"), "choice", ("language", "lang", "زبان")),
    Field(
        "is_primary",
        _l("Primary contact of this partner"),
        "flag",
        ("primary", "main", "اصلی", "رابط اصلی"),
    ),
    Field("notes", _l("Notes"), aliases=("note", "comments", "یادداشت", "توضیحات")),
)
FIELDS = {"partners": PARTNER_FIELDS, "contacts": CONTACT_FIELDS}


def fields_of(kind: str) -> dict[str, Field]:
    return {f.key: f for f in FIELDS[kind]}


def heading_key(heading: str) -> str:
    """A column heading as mappings compare and remember it: normalised as search does, and
    without spaces, ZWNJ, hyphens or underscores («وب‌سایت», «وبسایت» and «وب سایت» alike)."""
    return "".join(normalize_search(without_invisible(heading)).replace("_", " ").split())


def _known_headings(kind: str) -> dict[str, str]:
    """Every heading a field answers to: its key, its label in both languages, its aliases;
    a label or key wins over another field's alias."""
    found: dict[str, str] = {}
    for field in FIELDS[kind]:
        for locale in ("en", "fa"):
            found.setdefault(heading_key(Formatter(locale).translate(field.label)), field.key)
        found.setdefault(heading_key(field.key), field.key)
    for field in FIELDS[kind]:
        for alias in field.aliases:
            found.setdefault(heading_key(alias), field.key)
    return found


def guess_mapping(kind: str, headers: list[str], remembered: dict[str, Any] | None = None) -> list:
    """The field of each column (None: not imported): the user's last mapping for a heading
    they mapped before, else a heading that names a field; each field used once."""
    known = _known_headings(kind)
    remembered = remembered or {}
    fields = fields_of(kind)
    used: set[str] = set()
    result: list[str | None] = []
    for heading in headers:
        key = heading_key(heading)
        if key in remembered:
            choice = remembered[key]
            choice = choice if choice in fields else None
        else:
            choice = known.get(key)
        if choice in used:
            choice = None
        if choice:
            used.add(choice)
        result.append(choice)
    return result
