"""Presentation helpers for the agreement pages: the stepper, expiry wording, audit values."""

from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm.agreements.models import Agreement
from crm.agreements.pipeline import PIPELINE, stage_position, today_for_user
from crm.i18n import format_number

# Audit keys that are not the name of a form field.
AUDIT_LABELS = {
    "stage": _l("Stage"),
    "parties": _l("Parties"),
    "areas": _l("Cooperation areas"),
    "archived_at": _l("Archived"),
}


def reached_position(agreement: Agreement) -> int:
    """How far along the main pipeline the agreement got (for rejected or terminated ones:
    the stage it left)."""
    if agreement.stage in PIPELINE:
        return stage_position(agreement.stage)
    for change in agreement.history:  # newest first
        if change.from_stage in PIPELINE:
            return stage_position(change.from_stage)
    return 0


def expiry_text(expires_on: date | None, today: date | None = None) -> tuple[str, str]:
    """A short phrase about the expiry date and a Bootstrap colour for it."""
    if expires_on is None:
        return "", ""
    days = (expires_on - (today or today_for_user())).days
    if days < 0:
        return _("Expired"), "secondary"
    if days == 0:
        return _("Expires today"), "danger"
    if days == 1:
        return _("Expires tomorrow"), "danger"
    colour = "danger" if days <= 30 else "warning" if days <= 90 else "success"
    return _("Expires in %(days)s days", days=format_number(days)), colour


def renewal_notice_on(agreement: Agreement) -> date | None:
    """The day the renewal should be prepared: expiry minus the notice period."""
    if agreement.expires_on is None:
        return None
    return agreement.expires_on - timedelta(days=agreement.renewal_notice_days or 0)
