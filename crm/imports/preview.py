"""The dry run: every row of an import as it would be written, with its errors, and the
partner or contact it matches. The commit runs the same and then writes.

Row numbers are the spreadsheet's: the heading is row 1, the first row of data row 2.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from crm.extensions import db
from crm.formatting import Formatter
from crm.imports import values as v
from crm.imports.fields import fields_of
from crm.imports.matching import ImportMatcher, PartnerNames, same_contact
from crm.imports.models import ImportRun
from crm.models import CooperationArea
from crm.partners.contacts import ContactData, contact_problems
from crm.partners.models import CONTACT_LANGUAGES, PARTNER_KINDS, RELATIONSHIPS, Contact, Partner
from crm.partners.services import PartnerData, partner_problems
from crm.permissions import current_actor
from crm.reference import DOMAINS
from crm.text import normalize_search

CHOICE_TABLES = {
    "kind": PARTNER_KINDS,
    "domain": DOMAINS,
    "relationship_type": RELATIONSHIPS,
    "language": CONTACT_LANGUAGES,
}


@dataclass
class Row:
    number: int
    values: dict[str, Any] = field(default_factory=dict)  # parsed, by field
    errors: dict[str, Any] = field(default_factory=dict)  # the reader's message, by field
    match_id: int | None = None  # the stored record it matches (a negative id: a row above)
    match_name: str = ""
    partner_id: int | None = None  # a contact's partner
    partner_name: str = ""
    action: str = "create"  # create, update, skip, error
    data: Any = None  # the PartnerData or ContactData to save

    @property
    def matched(self) -> bool:
        return self.match_id is not None


@dataclass
class Preview:
    rows: list[Row]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def matched(self) -> int:
        return sum(1 for row in self.rows if row.matched and row.match_id and row.match_id > 0)


PREVIEW_ROWS = 300  # new rows shown one by one (those with errors or a match always are)
Progress = Callable[[int], None]
EVERY = 50  # rows between two calls of a progress


def shown_rows(preview: Preview, limit: int = PREVIEW_ROWS) -> tuple[list[Row], int]:
    """The rows a preview page lists (every row with errors or a match, the first ``limit``
    new ones), and how many new rows it leaves out."""
    shown, new = [], 0
    for row in preview.rows:
        if row.action == "create":
            new += 1
            if new > limit:
                continue
        shown.append(row)
    return shown, max(0, new - limit)


class StoredPreview(Preview):
    """A dry run a worker made (``to_stored``), read back for its page: the rows shown, and
    the count of every action."""

    def __init__(self, rows: list[Row], counts: dict[str, int]) -> None:
        super().__init__(rows)
        self.counts = counts

    def count(self, action: str) -> int:
        return int(self.counts.get(action, 0))


def to_stored(preview: Preview, reader: Formatter) -> dict[str, Any]:
    """What a preview page shows of ``preview``, as JSON, its messages in ``reader``'s
    language (the owner's: the worker has no page to speak for)."""
    shown, hidden = shown_rows(preview)
    rows = [
        {
            "number": row.number,
            "action": row.action,
            "errors": {key: reader.translate(message) for key, message in row.errors.items()},
            "match_id": row.match_id,
            "match_name": row.match_name,
            "partner_id": row.partner_id,
            "partner_name": row.partner_name,
            "dates": {k: val.isoformat() for k, val in row.values.items() if type(val) is date},
        }
        for row in shown
    ]
    counts = {action: preview.count(action) for action in ("create", "update", "skip", "error")}
    return {"rows": rows, "counts": counts, "hidden": hidden}


def from_stored(stored: dict[str, Any]) -> tuple[StoredPreview, int]:
    """A preview kept by ``to_stored``, and how many new rows its page leaves out."""
    rows = [
        Row(
            number=item["number"],
            action=item["action"],
            errors=item["errors"],
            match_id=item["match_id"],
            match_name=item["match_name"],
            partner_id=item["partner_id"],
            partner_name=item["partner_name"],
            values={k: date.fromisoformat(val) for k, val in item["dates"].items()},
        )
        for item in stored.get("rows", [])
    ]
    return StoredPreview(rows, stored.get("counts", {})), int(stored.get("hidden", 0))


def _parse(run: ImportRun, cells: list[Any], areas: dict[str, int], row: Row) -> None:
    """The row's cells as values of their fields; each bad cell an error on its field."""
    known = fields_of(run.kind)
    for key, cell in zip(run.mapping, cells, strict=False):
        if not key or key not in known:
            continue
        spec = known[key]
        try:
            if spec.kind == "date":
                value: Any = v.parse_import_date(cell)
            elif spec.kind == "country":
                value = v.parse_country(cell)
            elif spec.kind == "choice":
                value = v.parse_choice(cell, CHOICE_TABLES[key])
            elif spec.kind == "number":
                value = v.parse_number(cell)
            elif spec.kind == "email":
                value = v.parse_email(cell)
            elif spec.kind == "website":
                value = v.parse_website(cell)
            elif spec.kind == "flag":
                value = v.parse_flag(cell)
            elif spec.kind == "areas":
                value = _areas(cell, areas)
            else:  # text, phone (its region is the partner's country), partner
                value = v.text(cell)
        except v.BadValue as error:
            row.errors[key] = error.message
            continue
        if value not in (None, "", []):
            row.values[key] = value


def _areas(cell: Any, areas: dict[str, int]) -> list[int]:
    found = []
    for name in v.split_list(cell):
        area = areas.get(normalize_search(name))
        if area is None:
            raise v.BadValue(_l("Unknown cooperation area: %(name)s.", name=name))
        found.append(area)
    return found


def _area_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for area in db.session.scalars(select(CooperationArea)):
        for name in (area.code, area.code.replace("_", " "), area.name_en, area.name_fa):
            names[normalize_search(name)] = area.id
    return names


def partner_data(partner: Partner) -> PartnerData:
    """What ``partner`` is now, as the form would show it."""
    values = {f.name: getattr(partner, f.name) for f in fields(PartnerData) if f.name != "areas"}
    return PartnerData(**values, areas=[area.id for area in partner.areas])


def contact_data(contact: Contact) -> ContactData:
    return ContactData(**{f.name: getattr(contact, f.name) for f in fields(ContactData)})


def _choice(run: ImportRun, row: Row) -> str:
    return str(run.choices.get(str(row.number)) or run.on_match)


def dry_run(run: ImportRun, progress: Progress | None = None) -> Preview:
    """Every row of ``run`` checked as the acting user would save it; ``progress`` is told
    the percentage of the rows checked."""
    areas = _area_names() if "areas" in run.mapping else {}
    rows = []
    for index, cells in enumerate(run.rows):
        row = Row(number=index + 2)
        _parse(run, cells, areas, row)
        rows.append(row)
    told = progress or (lambda percent: None)
    if run.kind == "partners":
        _check_partners(run, rows, told)
    else:
        _check_contacts(run, rows, told)
    for row in rows:
        if row.errors:
            row.action = "error"
    return Preview(rows)


def _names(values: dict[str, Any]) -> tuple[str, str, str]:
    return (values.get("name_en", ""), values.get("name_fa", ""), values.get("name_local", ""))


def _told(progress: Progress, index: int, total: int) -> None:
    if index % EVERY == 0:
        progress(int(100 * index / (total or 1)))


def _check_partners(run: ImportRun, rows: list[Row], progress: Progress) -> None:
    matcher = ImportMatcher({row.values.get("country") for row in rows})
    existing: dict[int, Partner] = {}
    for index, row in enumerate(rows):
        _told(progress, index, len(rows))
        names = _names(row.values)
        if not any(names):
            row.errors.setdefault("name_en", _l("Enter the name in English or in Persian."))
            continue
        found = matcher.match(names, row.values.get("country"))
        stored = [i for i in found if i > 0]
        earlier = [i for i in found if i < 0]
        if earlier:
            same = row_number(-earlier[0])
            row.errors["name_en"] = _l("The same partner as row %(row)s.", row=same)
            continue
        matcher.add(-row.number, names, row.values.get("country"))
        data = PartnerData(**row.values)
        partner = None
        if stored:
            partner = existing.get(stored[0]) or db.session.get(Partner, stored[0])
            assert partner is not None
            existing[partner.id] = partner
            row.match_id, row.match_name = partner.id, partner.name_en or partner.name_fa
            row.action = "update" if _choice(run, row) == "update" else "skip"
            if row.action == "skip":
                continue
            if partner.archived:
                row.errors["name_en"] = _l("This partner is archived. Restore it before editing.")
                continue
            data = replace(partner_data(partner), **_filling_names(partner, row.values))
        row.data = data
        for key, message in partner_problems(partner, data).items():
            row.errors.setdefault(key, message)


def _filling_names(record: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The values an update writes: a name of the file only where the record has none (a
    match may be another spelling, "Teheran" for "Tehran": the stored name stays)."""
    names = record.__name_columns__
    return {k: val for k, val in values.items() if k not in names or not getattr(record, k)}


def _check_contacts(run: ImportRun, rows: list[Row], progress: Progress) -> None:
    partners = PartnerNames()
    wanted: dict[int, list[Row]] = {}
    for row in rows:
        name = row.values.pop("partner", "")
        if not name:
            row.errors.setdefault("partner", _l("Enter the partner's name."))
            continue
        found = partners.find(name)
        if not found:
            row.errors["partner"] = _l("No partner has this name.")
        elif len(found) > 1:
            row.errors["partner"] = _l("Several partners have this name; use its exact name.")
        else:
            row.partner_id, row.partner_name = found[0], name
            wanted.setdefault(found[0], []).append(row)
    loaded = {p.id: p for p in db.session.scalars(select(Partner).where(Partner.id.in_(wanted)))}
    reader = Formatter.for_user(current_actor())
    done = 0
    for partner_id, partner_rows in wanted.items():
        for row in partner_rows:
            _told(progress, done, len(rows))
            done += 1
            row.partner_name = reader.name(loaded[partner_id])  # the stored name, not the file's
            _check_contact(run, row, loaded[partner_id])


def _check_contact(run: ImportRun, row: Row, partner: Partner) -> None:
    if "phone" in row.values:
        try:
            row.values["phone"] = v.parse_phone(row.values["phone"], partner.country)
        except v.BadValue as error:
            row.errors["phone"] = error.message
            del row.values["phone"]
    match = same_contact(partner.id, row.values)
    data = ContactData(**row.values)
    if match is not None:
        row.match_id, row.match_name = match.id, match.name_latin or match.name_fa
        row.action = "update" if _choice(run, row) == "update" else "skip"
        if row.action == "skip":
            return
        if match.archived:
            row.errors["name_latin"] = _l("This contact is archived. Restore it before editing.")
            return
        data = replace(contact_data(match), **_filling_names(match, row.values))
    row.data = data
    for key, message in contact_problems(match, data).items():
        row.errors.setdefault(key, message)


def row_number(number: int) -> str:
    """A row's number in the acting reader's digits (Persian digits in Persian)."""
    return Formatter.for_user(current_actor()).number(number)
