"""Options of the activity form: the chosen partner's agreements and contacts."""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from wtforms.fields.choices import SelectChoice

from crm.agreements.models import Agreement
from crm.extensions import db
from crm.fields import choices
from crm.formatting import Formatter
from crm.partners.models import Contact, Partner
from crm.permissions import visible


def agreement_choices(
    user: Any, fmt: Formatter, partner_id: int | None, current_id: int | None = None
) -> list[SelectChoice]:
    """Visible, non-archived agreements; only the partner's own when a partner is chosen.
    Columns only: the list can hold thousands."""
    stmt = select(Agreement.id, Agreement.title_en, Agreement.title_fa, Agreement.reference).where(
        visible(Agreement, user),
        or_(Agreement.archived_at.is_(None), Agreement.id == (current_id or 0)),
    )
    if partner_id:
        stmt = stmt.where(Agreement.parties.any(Partner.id == partner_id))
    rows = db.session.connection().execute(stmt.order_by(Agreement.id.desc()))
    return choices(
        (
            (row.id, fmt.pick(row.title_en, row.title_fa, row.reference) or f"#{row.id}")
            for row in rows
        ),
        blank=_l("No agreement"),
    )


def contact_choices(
    partner_id: int | None, fmt: Formatter, current_ids: list[int] | tuple = ()
) -> list[SelectChoice]:
    """The partner's non-archived contacts (and those already taking part)."""
    if not partner_id:
        return []
    rows = db.session.scalars(
        select(Contact)
        .where(
            Contact.partner_id == partner_id,
            or_(Contact.archived_at.is_(None), Contact.id.in_(current_ids or [0])),
        )
        .order_by(Contact.is_primary.desc(), Contact.name_latin)
    )
    return choices((c.id, fmt.name(c) + (f" — {c.title}" if c.title else "")) for c in rows)
