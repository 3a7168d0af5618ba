"""Partner pages: the list, its export, the picker's lookup, create, edit, archive, restore.

The partner's 360° page gathers from every domain, so it lives above them (``crm.main``).
"""

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.fields import form_values
from crm.lists import Column, label_of
from crm.partners import bp, services
from crm.partners.forms import PartnerFilterForm, PartnerForm
from crm.partners.models import CONTACT_LANGUAGES, PARTNER_KINDS, RELATIONSHIPS
from crm.reference import DOMAINS
from crm.security import require
from crm.templating import register_code_tables
from crm.web import archive_or_restore, export_download, fmt, page_of, submit

EXPORT_COLUMNS = [
    Column(_l("Number"), "id"),
    Column(_l("Name in English"), "name_en"),
    Column(_l("Name in Persian"), "name_fa"),
    Column(_l("Name in its own language"), "name_local"),
    Column(_l("Kind"), "kind", label_of(PARTNER_KINDS)),
    Column(_l("Domain"), "domain", label_of(DOMAINS)),
    Column(_l("Country"), "country", lambda f: f.country),
    Column(_l("Region or province"), "region"),
    Column(_l("Population"), "population"),
    Column(_l("Relationship"), "relationship_type", label_of(RELATIONSHIPS)),
    Column(_l("Relationship since"), "relationship_since", dated=True),
    Column(_l("Owner"), "owner"),
    Column(_l("Cooperation areas"), "areas"),
    Column(_l("Website"), "website"),
]


@bp.record_once
def _template_globals(state) -> None:
    register_code_tables(
        state.app,
        PARTNER_KINDS=PARTNER_KINDS,
        RELATIONSHIPS=RELATIONSHIPS,
        CONTACT_LANGUAGES=CONTACT_LANGUAGES,
    )


def _filters() -> tuple[PartnerFilterForm, services.PartnerFilters]:
    form = PartnerFilterForm(request.args)
    form.validate()
    return form, form_values(form, services.PartnerFilters)


@bp.route("/partners/")
@require("viewer")
def index():
    form, filters = _filters()
    page = page_of(services.partner_query(filters, fmt(), current_user))
    return render_template("partners/index.html", form=form, page=page, sort=filters.sort)


@bp.route("/partners/export.xlsx", defaults={"file_format": "xlsx"})
@bp.route("/partners/export.csv", defaults={"file_format": "csv"})
@require("viewer")
def export(file_format: str):
    """The partners of the list, with its filters and sort, as a spreadsheet."""
    _form, filters = _filters()
    reader, user = fmt(), current_user._get_current_object()
    return export_download(
        "partners",
        EXPORT_COLUMNS,
        lambda: services.export_rows(filters, reader, user),
        file_format,
        _l("Partners"),
    )


@bp.route("/partners/lookup")
@require("viewer")
def lookup():
    """Current partners matching ``?q=``, as JSON for the pickers that search as you type."""
    reader = fmt()
    found = services.lookup_partners(request.args.get("q", "")[:100], reader)
    return jsonify(
        [
            {
                "value": p.id,
                "text": reader.name(p),
                "detail": " · ".join(
                    filter(None, [reader.label(PARTNER_KINDS, p.kind), reader.country(p.country)])
                ),
            }
            for p in found
        ]
    )


def _form_page(partner):
    form = PartnerForm(obj=partner, owner=partner.owner if partner else None)
    if partner is not None and not form.is_submitted():
        form.areas.data = [area.id for area in partner.areas]  # obj gives objects, not ids
    duplicates: list = []

    def save(data: services.PartnerData):
        """Save, unless the partner seems to exist already and the user has not said "save
        anyway": then the form comes back with the look-alikes (and any other message)."""
        if "save_anyway" not in request.form:
            duplicates.extend(services.duplicate_partners(data, partner))
        if not duplicates:
            return services.save_partner(partner, data)
        errors = services.partner_problems(partner, data)
        if errors:
            raise RuleBroken(errors=errors)
        return None

    saved = submit(
        form, services.PartnerData, save, lambda data: services.partner_problems(partner, data)
    )
    if saved:
        db.session.commit()
        message = (
            _("The changes to %(name)s were saved.", name=fmt().name(saved))
            if partner
            else _("The partner %(name)s was created.", name=fmt().name(saved))
        )
        flash(message, "success")
        return redirect(url_for("partners.detail", partner_id=saved.id))
    asking = duplicates and not form.errors  # nothing wrong: a question, not an error
    status = 400 if form.is_submitted() and not asking else 200
    return render_template(
        "partners/form.html", form=form, partner=partner, duplicates=duplicates
    ), status


@bp.route("/partners/new", methods=["GET", "POST"])
@require("staff")
def new():
    return _form_page(None)


@bp.route("/partners/<id:partner_id>/edit", methods=["GET", "POST"])
@require("staff")
def edit(partner_id: int):
    partner = services.get_partner(partner_id, current_user)
    if partner.archived:
        flash(_("This partner is archived. Restore it before editing."), "warning")
        return redirect(url_for("partners.detail", partner_id=partner.id))
    return _form_page(partner)


@bp.route("/partners/<id:partner_id>/archive", methods=["POST"])
@require("staff")
def archive(partner_id: int):
    partner = services.get_partner(partner_id, current_user)
    archive_or_restore(
        partner,
        True,
        _(
            "%(name)s was archived. Its contacts, agreements and activities are kept.",
            name=fmt().name(partner),
        ),
    )
    return redirect(url_for("partners.detail", partner_id=partner.id))


@bp.route("/partners/<id:partner_id>/restore", methods=["POST"])
@require("staff")
def restore(partner_id: int):
    partner = services.get_partner(partner_id, current_user)
    archive_or_restore(partner, False, _("%(name)s was restored.", name=fmt().name(partner)))
    return redirect(url_for("partners.detail", partner_id=partner.id))
