"""The downloadable template: an XLSX with the fields' headings in the reader's language (the
mapping recognises them), an example row, right to left in Persian."""

import io

from openpyxl import Workbook
from openpyxl.styles import Font

from crm.formatting import Formatter
from crm.imports.fields import FIELDS
from crm.imports.forms import IMPORT_KINDS as FIELDS_TITLES

EXAMPLES = {
    "partners": {
        "name_en": "Kazan",
        "name_fa": "قازان",
        "name_local": "Казань",
        "kind": "city",
        "domain": "cities",
        "country": "RU",
        "region": "Tatarstan",
        "population": "1300000",
        "website": "https://kzn.ru",
        "relationship_type": "sister_city",
        "relationship_since": "2016-05-17",
        "areas": "tourism, culture",
    },
    "contacts": {
        "partner": "Kazan",
        "name_latin": "Ilsur Metshin",
        "name_fa": "ایلسور متشین",
        "title": "Mayor",
        "email": "mayor@example.org",
        "phone": "+7 843 299 1500",
        "language": "ru",
        "is_primary": "yes",
    },
}


def template_xlsx(kind: str, reader: Formatter) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = reader.translate(FIELDS_TITLES[kind])[:31]
    if reader.persian:
        sheet.sheet_view.rightToLeft = True
    fields = FIELDS[kind]
    sheet.append([reader.translate(field.label) for field in fields])
    sheet.append([EXAMPLES[kind].get(field.key, "") for field in fields])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in sheet.columns:
        sheet.column_dimensions[column[0].column_letter].width = 22
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
