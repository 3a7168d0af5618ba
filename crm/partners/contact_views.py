"""Contact pages: the list, its export, create, edit, primary, archive, restore and erasure.

A contact's own page shows their activities too, so it lives above the domains (``crm.main``).
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm.exceptions import NotFound, RuleBroken
from crm.extensions import db
from crm.fields import form_values
from crm.lists import Column, label_of
from crm.partners import bp, erasure, services
from crm.partners import contacts as contact_services
from crm.partners.forms import ContactFilterForm, ContactForm
from crm.partners.models import CONTACT_LANGUAGES, Partner
from crm.security import require
from crm.web import archive_or_restore, export_download, fmt, page_of, submit

EXPORT_COLUMNS = [
    Column(_l("Number"), "id"),
    Column(_l("Name in Latin letters"), "name_latin"),
    Column(_l("Name in Persian"), "name_fa"),
    Column(_l("Partner"), "partner"),
    Column(_l("Job title"), "title"),
    Column(_l("Department"), "department"),
    Column(_l("Email"), "email"),
    Column(_l("Phone"), "phone"),
    Column(_l("Preferred language"), "language", label_of(CONTACT_LANGUAGES)),
    Column(_l("Primary contact of this partner"), "is_primary"),
]


def _filters() -> tuple[ContactFilterForm, contact_services.ContactFilters, Partner | None]:
    """The filter form, its valid values, and the partner the list is limited to (if any)."""
    form = ContactFilterForm(request.args)
    form.validate()
    filters = form_values(form, contact_services.ContactFilters)
    partner = None
    if filters.partner is not None:
        try:
            partner = services.get_partner(filters.partner, current_user)
        except NotFound:
            form.partner.errors.append(_("This partner does not exist."))
            filters.partner = None
    return form, filters, partner


@bp.route("/contacts/")
@require("viewer")
def contacts():
    form, filters, partner = _filters()
    stmt, many = contact_services.list_plans(filters, fmt())
    page = page_of(stmt, contact_services.load_page, many)
    return render_template(
        "partners/contacts.html", form=form, page=page, sort=filters.sort, partner=partner
    )


@bp.route("/contacts/export.xlsx", defaults={"file_format": "xlsx"})
@bp.route("/contacts/export.csv", defaults={"file_format": "csv"})
@require("viewer")
def export_contacts(file_format: str):
    """The contacts of the list, with its filters and sort, as a spreadsheet."""
    _form, filters, _partner = _filters()
    reader = fmt()
    return export_download(
        "contacts",
        EXPORT_COLUMNS,
        lambda: contact_services.export_rows(filters, reader),
        file_format,
        _l("Contacts"),
    )


def _form_page(partner: Partner, contact=None):
    form = ContactForm(obj=contact, region=partner.country)
    saved = submit(
        form,
        contact_services.ContactData,
        lambda data: contact_services.save_contact(contact, data, partner),
        lambda data: contact_services.contact_problems(contact, data),
    )
    if saved:
        db.session.commit()
        reader = fmt()
        flash(
            _("The changes to %(name)s were saved.", name=reader.name(saved))
            if contact
            else _(
                "The contact %(name)s was added to %(partner)s.",
                name=reader.name(saved),
                partner=reader.name(partner),
            ),
            "success",
        )
        return redirect(url_for("partners.contact", contact_id=saved.id))
    status = 400 if form.is_submitted() else 200
    return render_template(
        "partners/contact_form.html", form=form, partner=partner, contact=contact
    ), status


@bp.route("/partners/<id:partner_id>/contacts/new", methods=["GET", "POST"])
@require("staff")
def new_contact(partner_id: int):
    partner = services.get_partner(partner_id, current_user)
    if partner.archived:
        flash(_("This partner is archived. Restore it before adding contacts."), "warning")
        return redirect(url_for("partners.detail", partner_id=partner.id))
    return _form_page(partner)


@bp.route("/contacts/<id:contact_id>/edit", methods=["GET", "POST"])
@require("staff")
def edit_contact(contact_id: int):
    record = contact_services.get_contact(contact_id, current_user)
    if record.archived:
        flash(_("This contact is archived. Restore it before editing."), "warning")
        return redirect(url_for("partners.contact", contact_id=record.id))
    return _form_page(record.partner, record)


@bp.route("/contacts/<id:contact_id>/primary", methods=["POST"])
@require("staff")
def make_primary(contact_id: int):
    record = contact_services.get_contact(contact_id, current_user)
    try:
        changed = contact_services.make_primary(record)
    except RuleBroken as error:
        flash(str(error), "warning")
    else:
        if changed:
            db.session.commit()
            reader = fmt()
            flash(
                _(
                    "%(name)s is now the primary contact of %(partner)s.",
                    name=reader.name(record),
                    partner=reader.name(record.partner),
                ),
                "success",
            )
    if request.form.get("next") == "partner":
        return redirect(url_for("partners.detail", partner_id=record.partner_id))
    return redirect(url_for("partners.contact", contact_id=record.id))


@bp.route("/contacts/<id:contact_id>/archive", methods=["POST"])
@require("staff")
def archive_contact(contact_id: int):
    record = contact_services.get_contact(contact_id, current_user)
    archive_or_restore(record, True, _("%(name)s was archived.", name=fmt().name(record)))
    return redirect(url_for("partners.contact", contact_id=record.id))


@bp.route("/contacts/<id:contact_id>/restore", methods=["POST"])
@require("staff")
def restore_contact(contact_id: int):
    record = contact_services.get_contact(contact_id, current_user)
    if record.erased_at is not None:
        flash(_("This contact's personal data were erased: it stays archived."), "warning")
        return redirect(url_for("partners.contact", contact_id=record.id))
    archive_or_restore(record, False, _("%(name)s was restored.", name=fmt().name(record)))
    return redirect(url_for("partners.contact", contact_id=record.id))


@bp.route("/contacts/<id:contact_id>/erase", methods=["GET", "POST"])
@require("admin")
def erase_contact(contact_id: int):
    """What erasing a contact's personal data does, then (confirmed) the erasure."""
    record = contact_services.get_contact(contact_id, current_user)
    if request.method == "POST":
        try:
            erasure.erase_contact(record)
        except RuleBroken as error:
            db.session.rollback()
            flash(str(error), "warning")
        else:
            db.session.commit()
            flash(_("The contact's personal data were erased."), "success")
        return redirect(url_for("partners.contact", contact_id=record.id))
    return render_template("partners/contact_erase.html", contact=record)
