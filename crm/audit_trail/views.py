"""The audit trail page and its export (administrators only)."""

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm.audit_trail import bp, services
from crm.audit_trail.forms import AuditFilterForm
from crm.audit_trail.kinds import KINDS
from crm.fields import choices, form_values
from crm.lists import Column
from crm.security import require
from crm.web import export_download, fmt, page_of

EXPORT_COLUMNS = [
    Column(_l("Act"), "act"),
    Column(_l("When"), "at", dated=True),
    Column(_l("User"), "user"),
    Column(_l("How"), "via"),
    Column(_l("Action"), "action"),
    Column(_l("Record kind"), "kind"),
    Column(_l("Record number"), "record_id"),
    Column(_l("Record"), "record"),
    Column(_l("Field"), "field"),
    Column(_l("Old value"), "old"),
    Column(_l("New value"), "new"),
]


def _filters() -> tuple[AuditFilterForm, services.AuditFilters]:
    form = AuditFilterForm(request.args)
    form.user.choices = choices(
        [(services.NO_USER, _("System")), *services.user_choices()], blank=_("Anyone")
    )
    form.validate()
    return form, form_values(form, services.AuditFilters)


@bp.route("")
@require("admin")
def index():
    form, filters = _filters()
    reader = fmt()
    page = page_of(services.entries_query(filters, reader), load=services.load_entries)
    return render_template(
        "audit_trail/index.html",
        form=form,
        filters=filters,
        page=page,
        groups=services.act_groups(list(page.items), current_user, reader),
        kinds=KINDS,
    )


@bp.route("/export.xlsx", defaults={"file_format": "xlsx"})
@bp.route("/export.csv", defaults={"file_format": "csv"})
@require("admin")
def export(file_format: str):
    """The filtered log as a spreadsheet: one row per changed field."""
    _form, filters = _filters()
    reader, user = fmt(), current_user._get_current_object()
    return export_download(
        "audit-log",
        EXPORT_COLUMNS,
        lambda: services.export_rows(filters, user, reader),
        file_format,
        _l("Audit trail"),
    )
