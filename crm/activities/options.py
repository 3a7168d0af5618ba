"""Options of the activity form: the chosen partner's agreements and contacts."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from wtforms.fields.choices import SelectChoice

from crm import i18n
from crm.agreements.models import Agreement
from crm.agreements.services import visible_to
from crm.auth.models import User
from crm.extensions import db
from crm.fields import choices
from crm.partners.models import Contact, Partner


def agreement_choices(
    user: User, partner_id: int | None, current_id: int | None = None
) -> list[SelectChoice]:
    """Visible, non-archived agreements; only the partner's own when a partner is chosen.
    Columns only: the list can hold thousands."""
    stmt = select(Agreement.id, Agreement.title_en, Agreement.title_fa, Agreement.reference).where(
        visible_to(user), or_(Agreement.archived_at.is_(None), Agreement.id == (current_id or 0))
    )
    if partner_id:
        stmt = stmt.where(Agreement.parties.any(Partner.id == partner_id))
    persian = i18n.is_persian()
    rows = db.session.connection().execute(stmt.order_by(Agreement.id.desc()))
    return choices(
        (
            (
                row.id,
                (row.title_fa or row.title_en if persian else row.title_en or row.title_fa)
                or row.reference
                or f"#{row.id}",
            )
            for row in rows
        ),
        blank=_l("No agreement"),
    )


def contact_choices(partner_id: int | None, current_ids=()) -> list[SelectChoice]:
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
    return choices((c.id, c.name + (f" — {c.title}" if c.title else "")) for c in rows)
