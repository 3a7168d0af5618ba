"""The filters of the audit trail, bound to the query string."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms.widgets import HiddenInput

from crm.audit_trail.kinds import KIND_LABELS
from crm.fields import ChoiceField, IdField, LocalDateField, choices, not_before

RECORD_NUMBER = _l("A record's number is a whole number, such as 12.")


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    user = ChoiceField(_l("User"), coerce=str, default="")  # the view sets the choices
    kind = ChoiceField(
        _l("Record kind"),
        choices=choices(KIND_LABELS, blank=_l("All kinds")),
        default="",
    )
    record = IdField(_l("Record number"), message=RECORD_NUMBER)
    act = IdField(_l("Act"), widget=HiddenInput(), message=RECORD_NUMBER)
    date_from = LocalDateField(_l("From"))
    date_to = LocalDateField(
        _l("To"),
        validators=[not_before("date_from", _l("The end of the range is before its start."))],
    )
