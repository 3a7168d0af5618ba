"""Presentation helpers for the agreement pages: the stepper and the expiry wording."""

from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as ngettext

from crm.agreements.models import Agreement
from crm.agreements.pipeline import PIPELINE, stage_position
from crm.formatting import Formatter


def reached_position(agreement: Agreement) -> int:
    """How far along the main pipeline the agreement got (for rejected or terminated ones:
    the stage it left)."""
    if agreement.stage in PIPELINE:
        return stage_position(agreement.stage)
    for change in agreement.history:  # newest first
        if change.from_stage in PIPELINE:
            return stage_position(change.from_stage)
    return 0


def expiry_text(
    expires_on: date | None, fmt: Formatter, today: date | None = None
) -> tuple[str, str]:
    """A short phrase about the expiry date, for the reader of ``fmt``, and a Bootstrap colour
    for it."""
    if expires_on is None:
        return "", ""
    days = (expires_on - (today or fmt.today())).days
    if days < 0:
        return fmt.translate(_l("Expired")), "secondary"
    if days == 0:
        return fmt.translate(_l("Expires today")), "danger"
    if days == 1:
        return fmt.translate(_l("Expires tomorrow")), "danger"
    colour = "danger" if days <= 30 else "warning" if days <= 90 else "success"
    message = ngettext(
        "Expires in %(count)s day", "Expires in %(count)s days", days, count=fmt.number(days)
    )
    return fmt.translate(message), colour


def renewal_notice_on(agreement: Agreement) -> date | None:
    """The day the renewal should be prepared: expiry minus the notice period."""
    if agreement.expires_on is None:
        return None
    return agreement.expires_on - timedelta(days=agreement.renewal_notice_days or 0)
