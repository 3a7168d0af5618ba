"""Agreement pages: the pipeline list, its export, create/edit, archive and restore.

The agreement page itself (and its stage, milestone and document forms) gathers from more than
one domain, so it lives above them: ``crm.main.agreement_page``.
"""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from crm.agreements import bp, display, lists, services
from crm.agreements.forms import AgreementFilterForm, AgreementForm
from crm.agreements.models import (
    AGREEMENT_TYPES,
    CONFIDENTIALITY,
    MILESTONE_STATUSES,
    REQUEST_STATUSES,
    STAGES,
    Agreement,
)
from crm.auth.services import NO_ONE, colleague_choices, user_choices
from crm.extensions import db
from crm.fields import area_choices, choices, country_choices, form_values
from crm.i18n import current_formatter
from crm.lists import Column, label_of
from crm.partners.services import partner_names
from crm.security import require
from crm.templating import register_code_tables, register_globals
from crm.text import parse_id
from crm.web import archive_or_restore, export_download, fmt, page_of, submit

EXPORT_COLUMNS = [
    Column(_l("Number"), "id"),
    Column(_l("Reference number"), "reference"),
    Column(_l("Title (English)"), "title_en"),
    Column(_l("Title (Persian)"), "title_fa"),
    Column(_l("Type"), "type", label_of(AGREEMENT_TYPES)),
    Column(_l("Stage"), "stage", label_of(STAGES)),
    Column(_l("Parties"), "parties"),
    Column(_l("Cooperation areas"), "areas"),
    Column(_l("Signed on"), "signed_on", dated=True),
    Column(_l("Effective from"), "effective_on", dated=True),
    Column(_l("Expires on"), "expires_on", dated=True),
    Column(_l("Owner"), "owner"),
    Column(_l("Confidentiality"), "confidentiality", label_of(CONFIDENTIALITY)),
]


@bp.record_once
def _template_globals(state) -> None:
    register_code_tables(
        state.app,
        STAGES=STAGES,
        AGREEMENT_TYPES=AGREEMENT_TYPES,
        CONFIDENTIALITY=CONFIDENTIALITY,
        MILESTONE_STATUSES=MILESTONE_STATUSES,
        REQUEST_STATUSES=REQUEST_STATUSES,
    )
    register_globals(
        state.app,
        expiry_text=lambda expires_on: display.expiry_text(expires_on, current_formatter()),
    )


def filters_of(form: AgreementFilterForm) -> lists.AgreementFilters:
    """The valid filters; a field with an error is ignored (and shows its message)."""
    form.area_id.choices = area_choices(blank=_("All areas"))
    form.country.choices = country_choices(_("All countries"))
    form.owner_id.choices = colleague_choices(_("Anyone"))
    form.validate()
    sort = request.args.get("sort", lists.DEFAULT_SORT)
    sort = sort if sort.lstrip("-") in lists.SORTS else lists.DEFAULT_SORT
    return form_values(form, lists.AgreementFilters, sort=sort)


@bp.route("/")
@require("viewer")
def index():
    form = AgreementFilterForm(request.args)
    filters = filters_of(form)
    reader = fmt()
    stmt = lists.list_query(current_user, filters, reader)
    # a search counts to the search cap, with the same plan past it (15,000 agreements at 3×)
    page = page_of(stmt, lists.load_page, stmt if filters.q else None)
    counts = lists.stage_counts(current_user, filters, reader)
    return render_template(
        "agreements/index.html",
        form=form,
        page=page,
        filters=filters,
        counts=counts,
        total=sum(counts.values()),
    )


@bp.route("/export.xlsx", defaults={"file_format": "xlsx"})
@bp.route("/export.csv", defaults={"file_format": "csv"})
@require("viewer")
def export(file_format: str):
    """The agreements of the list (visible ones, its filters and sort) as a spreadsheet."""
    filters = filters_of(AgreementFilterForm(request.args))
    reader, user = fmt(), current_user._get_current_object()
    return export_download(
        "agreements",
        EXPORT_COLUMNS,
        lambda: lists.export_rows(user, filters, reader),
        file_format,
        _l("Agreements"),
    )


def _agreement_form(agreement: Agreement | None) -> AgreementForm:
    reader = fmt()
    form = AgreementForm(obj=agreement)
    if agreement is not None:
        del form.stage
        if request.method == "GET":
            form.party_ids.data = [p.id for p in agreement.parties]
            form.area_ids.data = [a.id for a in agreement.areas]
    elif request.method == "GET":
        partner_id = request.args.get("partner_id", type=parse_id)
        form.party_ids.data = [partner_id] if partner_id else []
        form.owner_id.data = current_user.id
    keep = [p.id for p in agreement.parties] if agreement else []
    form.party_ids.choices = choices(partner_names(form.party_ids.data or [], reader, keep=keep))
    form.area_ids.choices = area_choices()
    form.owner_id.choices = user_choices(NO_ONE, keep=agreement.owner_id if agreement else None)
    return form


def _save(agreement: Agreement | None):
    form = _agreement_form(agreement)
    try:
        saved = submit(
            form,
            services.AgreementData,
            lambda data: services.save_agreement(agreement, data),
            lambda data: services.agreement_problems(agreement, data),
        )
        if saved:
            db.session.commit()
    except IntegrityError:  # the same reference saved at the same moment by someone else
        db.session.rollback()
        form.reference.errors = [_("Another agreement already uses this reference number.")]
        saved = None
    if saved:
        flash(
            _("The agreement was saved.") if agreement else _("The agreement was created."),
            "success",
        )
        return redirect(url_for("agreements.detail", agreement_id=saved.id))
    status = 400 if form.errors else 200
    return render_template("agreements/form.html", form=form, agreement=agreement), status


@bp.route("/new", methods=["GET", "POST"])
@require("staff")
def new():
    return _save(None)


@bp.route("/<id:agreement_id>/edit", methods=["GET", "POST"])
@require("staff")
def edit(agreement_id: int):
    agreement = services.get_agreement(agreement_id, current_user, full=True)
    if agreement.archived:
        flash(_("This agreement is archived. Restore it before you edit it."), "warning")
        return redirect(url_for("agreements.detail", agreement_id=agreement.id))
    return _save(agreement)


@bp.route("/<id:agreement_id>/archive", methods=["POST"])
@require("staff")
def archive(agreement_id: int):
    agreement = services.get_agreement(agreement_id, current_user)
    archive_or_restore(
        agreement, True, _("The agreement was archived. You can restore it at any time.")
    )
    return redirect(url_for("agreements.detail", agreement_id=agreement.id))


@bp.route("/<id:agreement_id>/restore", methods=["POST"])
@require("staff")
def restore(agreement_id: int):
    agreement = services.get_agreement(agreement_id, current_user)
    archive_or_restore(agreement, False, _("The agreement was restored."))
    return redirect(url_for("agreements.detail", agreement_id=agreement.id))
