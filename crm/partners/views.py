"""Partner pages: the list, the 360° view, create, edit, archive and restore."""

from datetime import datetime

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.activities.models import ACTIVITY_KINDS
from crm.agreements.models import AGREEMENT_TYPES, STAGES
from crm.extensions import db
from crm.history import change_history, form_labels
from crm.i18n import country_name, format_list, user_zone
from crm.lists import csv_download, paginate, records
from crm.models import utcnow
from crm.partners import bp, services
from crm.partners.forms import PartnerFilterForm, PartnerForm
from crm.partners.models import PARTNER_KINDS, RELATIONSHIPS, Partner
from crm.reference import DOMAINS
from crm.security import require


def _filtered() -> tuple[PartnerFilterForm, dict]:
    form = PartnerFilterForm(request.args)
    form.validate()
    return form, form.cleaned()


@bp.route("/partners/")
@require("viewer")
def index():
    form, filters = _filtered()
    page = paginate(services.partner_query(**filters))
    sort = services.clean_sort(filters["sort"], services.PARTNER_SORTS, "name")
    return render_template(
        "partners/index.html",
        form=form,
        page=page,
        sort=sort,
        kinds=PARTNER_KINDS,
        relationships=RELATIONSHIPS,
    )


@bp.route("/partners/export.csv")
@require("viewer")
def export():
    """The partners of the list, with its filters and sort, as a spreadsheet."""
    _form, filters = _filtered()
    columns = [
        (_("Number"), lambda p: p.id),
        (_("Name in English"), lambda p: p.name_en),
        (_("Name in Persian"), lambda p: p.name_fa),
        (_("Name in its own language"), lambda p: p.name_local),
        (_("Kind"), lambda p: PARTNER_KINDS.get(p.kind, p.kind)),
        (_("Domain"), lambda p: DOMAINS.get(p.domain, p.domain)),
        (_("Country"), lambda p: country_name(p.country)),
        (_("Region or province"), lambda p: p.region),
        (_("Population"), lambda p: p.population),
        (_("Relationship"), lambda p: RELATIONSHIPS.get(p.relationship_type)),
        (_("Relationship since"), lambda p: p.relationship_since),
        (_("Owner"), lambda p: p.owner.display_name if p.owner else ""),
        (_("Cooperation areas"), lambda p: format_list(a.name for a in p.areas)),
        (_("Website"), lambda p: p.website),
    ]
    return csv_download("partners", columns, records(services.partner_query(**filters)))


@bp.route("/partners/lookup")
@require("viewer")
def lookup():
    """Current partners matching ``?q=``, as JSON for the pickers that search as you type."""
    found = services.lookup_partners(request.args.get("q", "")[:100])
    return jsonify(
        [
            {
                "value": p.id,
                "text": p.name,
                "detail": " · ".join(
                    filter(None, [str(PARTNER_KINDS.get(p.kind, "")), country_name(p.country)])
                ),
            }
            for p in found
        ]
    )


@bp.route("/partners/<int:partner_id>")
@require("viewer")
def detail(partner_id: int):
    partner = services.get_partner(partner_id)
    return render_template(
        "partners/detail.html",
        partner=partner,
        contacts=services.partner_contacts(partner),
        archived_contacts=services.archived_contact_count(partner),
        agreements=services.partner_agreements(partner, current_user),
        timeline=services.partner_timeline(partner, current_user),
        followups=services.partner_followups(partner, current_user),
        history=change_history(
            partner,
            form_labels(PartnerForm),
            {"kind": PARTNER_KINDS, "domain": DOMAINS, "relationship_type": RELATIONSHIPS},
            limit=20,
        ),
        kinds=PARTNER_KINDS,
        relationships=RELATIONSHIPS,
        activity_kinds=ACTIVITY_KINDS,
        agreement_types=AGREEMENT_TYPES,
        stages=STAGES,
        today=datetime.now(user_zone()).date(),
        now=utcnow(),
    )


@bp.route("/partners/new", methods=["GET", "POST"])
@require("staff")
def new():
    form = PartnerForm()
    if form.validate_on_submit():
        partner = services.save_partner(Partner(), form.data)
        db.session.commit()
        flash(_("The partner %(name)s was created.", name=partner.name), "success")
        return redirect(url_for("partners.detail", partner_id=partner.id))
    status = 400 if form.is_submitted() else 200
    return render_template("partners/form.html", form=form, partner=None), status


@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
@require("staff")
def edit(partner_id: int):
    partner = services.get_partner(partner_id)
    if partner.archived:
        flash(_("This partner is archived. Restore it before editing."), "warning")
        return redirect(url_for("partners.detail", partner_id=partner.id))
    form = PartnerForm(obj=partner, owner=partner.owner)
    if not form.is_submitted():
        form.areas.data = [area.id for area in partner.areas]  # obj gives objects, not ids
    if form.validate_on_submit():
        services.save_partner(partner, form.data)
        db.session.commit()
        flash(_("The changes to %(name)s were saved.", name=partner.name), "success")
        return redirect(url_for("partners.detail", partner_id=partner.id))
    status = 400 if form.is_submitted() else 200
    return render_template("partners/form.html", form=form, partner=partner), status


@bp.route("/partners/<int:partner_id>/archive", methods=["POST"])
@require("staff")
def archive(partner_id: int):
    partner = services.get_partner(partner_id)
    if not partner.archived:
        partner.archive()
        db.session.commit()
        flash(
            _(
                "%(name)s was archived. Its contacts, agreements and activities are kept.",
                name=partner.name,
            ),
            "success",
        )
    return redirect(url_for("partners.detail", partner_id=partner.id))


@bp.route("/partners/<int:partner_id>/restore", methods=["POST"])
@require("staff")
def restore(partner_id: int):
    partner = services.get_partner(partner_id)
    if partner.archived:
        partner.restore()
        db.session.commit()
        flash(_("%(name)s was restored.", name=partner.name), "success")
    return redirect(url_for("partners.detail", partner_id=partner.id))
