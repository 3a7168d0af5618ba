"""Presentation helpers for the agreement pages: the stepper, expiry wording, audit values."""

from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from crm.agreements.models import AGREEMENT_TYPES, CONFIDENTIALITY, STAGES, Agreement
from crm.agreements.pipeline import PIPELINE, stage_position, today_for_user
from crm.i18n import format_date, format_number, is_persian

AUDIT_LABELS = {
    "title_en": _l("Title (English)"),
    "title_fa": _l("Title (Persian)"),
    "type": _l("Type"),
    "reference": _l("Reference number"),
    "terms_summary": _l("Summary of terms"),
    "stage": _l("Stage"),
    "signed_on": _l("Signed on"),
    "effective_on": _l("Effective from"),
    "expires_on": _l("Expires on"),
    "renewal_notice_days": _l("Renewal notice (days)"),
    "auto_renew": _l("Renews automatically"),
    "signatories": _l("Signatories"),
    "owner_id": _l("Owner"),
    "confidentiality": _l("Confidentiality"),
    "parties": _l("Parties"),
    "areas": _l("Cooperation areas"),
    "archived_at": _l("Archived"),
}
AUDIT_ACTIONS = {
    "create": _l("Record created"),
    "update": _l("Record changed"),
    "archive": _l("Record archived"),
    "restore": _l("Record restored"),
}
_CHOICES = {"stage": STAGES, "type": AGREEMENT_TYPES, "confidentiality": CONFIDENTIALITY}


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


def audit_label(key: str) -> str:
    return str(AUDIT_LABELS.get(key, key))


def audit_value(key: str, value, names: dict[str, dict[int, str]]) -> str:
    """One old or new value of an audit entry, in words."""
    if value in (None, "", []):
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in _CHOICES:
        return str(_CHOICES[key].get(value, value))
    if key in names and isinstance(value, list):
        separator = "، " if is_persian() else ", "
        return separator.join(names[key].get(v, f"#{v}") for v in value)
    if key == "owner_id":
        return names.get("users", {}).get(value, f"#{value}")
    if key.endswith("_on") and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value))
        except ValueError:
            return value
    if key == "archived_at":
        return _("Yes")
    if isinstance(value, int):
        return format_number(value)
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"
