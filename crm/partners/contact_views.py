"""Contact pages: the list, detail, create, edit, primary, archive and restore."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.extensions import db
from crm.history import change_history, form_labels
from crm.lists import csv_download, paginate, records
from crm.partners import bp, services
from crm.partners import contacts as contact_services
from crm.partners.forms import ContactFilterForm, ContactForm
from crm.partners.models import CONTACT_LANGUAGES, Contact
from crm.security import require


def _filtered():
    """The filter form, its valid values, and the partner the list is limited to (if any)."""
    form = ContactFilterForm(request.args)
    form.validate()
    filters = form.cleaned()
    partner = contact_services.find_partner(filters["partner"])
    if filters["partner"] is not None and partner is None:
        form.partner.errors.append(_("This partner does not exist."))
        filters["partner"] = None
    return form, filters, partner


@bp.route("/contacts/")
@require("viewer")
def contacts():
    form, filters, partner = _filtered()
    page = paginate(contact_services.contact_query(**filters))
    sort = services.clean_sort(filters["sort"], contact_services.CONTACT_SORTS, "name")
    return render_template(
        "partners/contacts.html",
        form=form,
        page=page,
        sort=sort,
        partner=partner,
        languages=CONTACT_LANGUAGES,
    )


@bp.route("/contacts/export.csv")
@require("viewer")
def export_contacts():
    """The contacts of the list, with its filters and sort, as a spreadsheet."""
    _form, filters, _partner = _filtered()
    columns = [
        (_("Number"), lambda c: c.id),
        (_("Name in Latin letters"), lambda c: c.name_latin),
        (_("Name in Persian"), lambda c: c.name_fa),
        (_("Partner"), lambda c: c.partner.name),
        (_("Job title"), lambda c: c.title),
        (_("Department"), lambda c: c.department),
        (_("Email"), lambda c: c.email),
        (_("Phone"), lambda c: c.phone),
        (_("Preferred language"), lambda c: CONTACT_LANGUAGES.get(c.language, c.language)),
        (_("Primary contact of this partner"), lambda c: c.is_primary),
    ]
    return csv_download("contacts", columns, records(contact_services.contact_query(**filters)))


@bp.route("/contacts/<int:contact_id>")
@require("viewer")
def contact(contact_id: int):
    record = contact_services.get_contact(contact_id)
    return render_template(
        "partners/contact_detail.html",
        contact=record,
        activities=contact_services.contact_activities(record, current_user),
        history=change_history(
            record,
            form_labels(ContactForm) | {"partner_id": _("Partner")},
            {"language": CONTACT_LANGUAGES},
            limit=20,
        ),
        languages=CONTACT_LANGUAGES,
    )


@bp.route("/partners/<int:partner_id>/contacts/new", methods=["GET", "POST"])
@require("staff")
def new_contact(partner_id: int):
    partner = services.get_partner(partner_id)
    if partner.archived:
        flash(_("This partner is archived. Restore it before adding contacts."), "warning")
        return redirect(url_for("partners.detail", partner_id=partner.id))
    form = ContactForm(region=partner.country)
    if form.validate_on_submit():
        record = contact_services.save_contact(Contact(partner_id=partner.id), form.data)
        db.session.commit()
        flash(
            _(
                "The contact %(name)s was added to %(partner)s.",
                name=record.name,
                partner=partner.name,
            ),
            "success",
        )
        return redirect(url_for("partners.contact", contact_id=record.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "partners/contact_form.html", form=form, partner=partner, contact=None
    ), status


@bp.route("/contacts/<int:contact_id>/edit", methods=["GET", "POST"])
@require("staff")
def edit_contact(contact_id: int):
    record = contact_services.get_contact(contact_id)
    if record.archived:
        flash(_("This contact is archived. Restore it before editing."), "warning")
        return redirect(url_for("partners.contact", contact_id=record.id))
    form = ContactForm(obj=record, region=record.partner.country)
    if form.validate_on_submit():
        contact_services.save_contact(record, form.data)
        db.session.commit()
        flash(_("The changes to %(name)s were saved.", name=record.name), "success")
        return redirect(url_for("partners.contact", contact_id=record.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "partners/contact_form.html", form=form, partner=record.partner, contact=record
    ), status


@bp.route("/contacts/<int:contact_id>/primary", methods=["POST"])
@require("staff")
def make_primary(contact_id: int):
    record = contact_services.get_contact(contact_id)
    if record.archived:
        flash(_("This contact is archived. Restore it before editing."), "warning")
    elif not record.is_primary:
        contact_services.make_primary(record)
        db.session.commit()
        flash(
            _(
                "%(name)s is now the primary contact of %(partner)s.",
                name=record.name,
                partner=record.partner.name,
            ),
            "success",
        )
    if request.form.get("next") == "partner":
        return redirect(url_for("partners.detail", partner_id=record.partner_id))
    return redirect(url_for("partners.contact", contact_id=record.id))


@bp.route("/contacts/<int:contact_id>/archive", methods=["POST"])
@require("staff")
def archive_contact(contact_id: int):
    record = contact_services.get_contact(contact_id)
    if not record.archived:
        record.archive()
        db.session.commit()
        flash(_("%(name)s was archived.", name=record.name), "success")
    return redirect(url_for("partners.contact", contact_id=record.id))


@bp.route("/contacts/<int:contact_id>/restore", methods=["POST"])
@require("staff")
def restore_contact(contact_id: int):
    record = contact_services.get_contact(contact_id)
    if record.archived:
        record.restore()
        db.session.commit()
        flash(_("%(name)s was restored.", name=record.name), "success")
    return redirect(url_for("partners.contact", contact_id=record.id))
