"""The import's forms: the upload, and the choices of the mapping and the preview."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField

from crm.fields import ChoiceField, choices
from crm.imports.reading import ENCODINGS

IMPORT_KINDS = {"partners": _l("Partners"), "contacts": _l("Contacts")}
ON_MATCH = {
    "skip": _l("Skip them (keep what is stored)"),
    "update": _l("Update them with the file's values"),
}


class UploadForm(FlaskForm):
    kind = ChoiceField(_l("What the file holds"), choices=choices(IMPORT_KINDS), default="partners")
    file = FileField(
        _l("Spreadsheet"),
        description=_l(
            "An Excel workbook (XLSX, its first sheet) or a CSV file, with a heading row."
        ),
    )
    encoding = ChoiceField(
        _l("Encoding of a CSV file"),
        choices=choices(ENCODINGS),
        default="",
        description=_l("Leave it to be found out, unless the preview shows garbled letters."),
    )


class MappingForm(FlaskForm):
    """The fields of the columns come as ``column-<n>`` (their number varies with the file)."""

    on_match = ChoiceField(
        _l("Rows that match a record already stored"), choices=choices(ON_MATCH), default="skip"
    )


class CommitForm(FlaskForm):
    """The update or skip of each matched row comes as ``row-<number>``."""

    on_match = ChoiceField(
        _l("Rows that match a record already stored"), choices=choices(ON_MATCH), default="skip"
    )
    skip_bad = BooleanField(_l("Import without the rows that have errors"))


STATUS_NAMES = {
    "mapping": _l("Not imported yet"),
    "queued": _l("Waiting for its turn"),
    "running": _l("Being imported"),
    "done": _l("Imported"),
    "failed": _l("Failed: nothing was imported"),
    "undone": _l("Undone"),
}
# How a worker's job on an import stands, as its progress tells it (queued: STATUS_NAMES').
JOB_STATES = {
    "preview": {
        "running": _l("Being checked"),
        "ready": _l("Checked"),
        "failed": _l("The preview failed"),
    },
    "commit": {
        "running": _l("Being imported"),
        "ready": _l("Imported"),
        "failed": _l("Failed: nothing was imported"),
    },
    "undo": {
        "running": _l("Being undone"),
        "ready": _l("Undone"),
        "failed": _l("The undo failed: nothing was changed"),
    },
}
ACTION_NAMES = {
    "create": _l("New"),
    "update": _l("Update"),
    "skip": _l("Skip"),
    "error": _l("Has errors"),
}
