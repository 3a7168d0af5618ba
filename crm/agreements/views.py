"""Agreement pages: the pipeline list, the agreement page, create/edit, archive and stage moves."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from crm.agreements import bp, display, services
from crm.agreements.forms import (
    AgreementFilterForm,
    AgreementForm,
    DocumentForm,
    MilestoneForm,
    StageForm,
)
from crm.agreements.models import (
    AGREEMENT_TYPES,
    CONFIDENTIALITY,
    MILESTONE_STATUSES,
    STAGES,
    Agreement,
)
from crm.agreements.pipeline import PIPELINE, StageError, allowed_stages, move_stage
from crm.auth.services import user_choices
from crm.extensions import db
from crm.fields import choices
from crm.history import change_history, form_labels
from crm.i18n import format_list
from crm.lists import csv_download, paginate, records
from crm.partners.services import partner_names
from crm.reference import all_areas
from crm.security import require

FILTER_FIELDS = (
    "q",
    "stage",
    "type",
    "confidentiality",
    "partner_id",
    "party",
    "domain",
    "area_id",
    "owner_id",
    "show",
)


@bp.context_processor
def agreement_helpers() -> dict:
    return {
        "stages": STAGES,
        "types": AGREEMENT_TYPES,
        "confidentiality_labels": CONFIDENTIALITY,
        "milestone_statuses": MILESTONE_STATUSES,
        "expiry_text": display.expiry_text,
    }


def _filters(form: AgreementFilterForm) -> services.AgreementFilters:
    """The valid filters; a field with an error is ignored (and shows its message)."""
    form.area_id.choices = choices(((a.id, a.name) for a in all_areas()), blank=_("All areas"))
    form.owner_id.choices = user_choices(_("Anyone"))
    form.validate()
    values = {name: form[name].data for name in FILTER_FIELDS if not form[name].errors}
    values = {k: v for k, v in values.items() if v not in (None, "")}
    if not form.expiring.errors and form.expiring.data is not None:
        values["expiring_days"] = form.expiring.data
    sort = request.args.get("sort", services.DEFAULT_SORT)
    values["sort"] = sort if sort.lstrip("-") in services.SORTS else services.DEFAULT_SORT
    return services.AgreementFilters(**values)


@bp.route("/")
@require("viewer")
def index():
    form = AgreementFilterForm(request.args)
    filters = _filters(form)
    page = paginate(services.list_query(current_user, filters))
    counts = services.stage_counts(current_user, filters)
    return render_template(
        "agreements/index.html",
        form=form,
        page=page,
        filters=filters,
        counts=counts,
        total=sum(counts.values()),
    )


@bp.route("/export.csv")
@require("viewer")
def export():
    """The agreements of the list (visible ones, its filters and sort) as a spreadsheet."""
    filters = _filters(AgreementFilterForm(request.args))
    columns = [
        (_("Number"), lambda a: a.id),
        (_("Reference number"), lambda a: a.reference),
        (_("Title (English)"), lambda a: a.title_en),
        (_("Title (Persian)"), lambda a: a.title_fa),
        (_("Type"), lambda a: AGREEMENT_TYPES.get(a.type, a.type)),
        (_("Stage"), lambda a: STAGES.get(a.stage, a.stage)),
        (_("Parties"), lambda a: format_list(p.name for p in a.parties)),
        (_("Cooperation areas"), lambda a: format_list(area.name for area in a.areas)),
        (_("Signed on"), lambda a: a.signed_on),
        (_("Effective from"), lambda a: a.effective_on),
        (_("Expires on"), lambda a: a.expires_on),
        (_("Owner"), lambda a: a.owner.display_name if a.owner else ""),
        (_("Confidentiality"), lambda a: CONFIDENTIALITY.get(a.confidentiality)),
    ]
    rows = records(services.list_query(current_user, filters))
    return csv_download("agreements", columns, rows)


@bp.route("/<int:agreement_id>")
@require("viewer")
def detail(agreement_id: int):
    agreement = services.get_visible_or_404(agreement_id, current_user, full=True)
    return _render_detail(agreement)


def _render_detail(
    agreement: Agreement,
    stage_form: StageForm | None = None,
    milestone_form: MilestoneForm | None = None,
    document_form: DocumentForm | None = None,
    status: int = 200,
):
    """The agreement page; the forms on it are passed in when one came back with errors."""
    targets = allowed_stages(agreement, current_user)
    stage_form = stage_form or StageForm(formdata=None, signed_on=agreement.signed_on)
    stage_form.stage.choices = choices(((s, STAGES[s]) for s in targets), blank=_("Choose a stage"))
    milestone_form = milestone_form or MilestoneForm(formdata=None)
    users = user_choices(_("Nobody yet"))
    milestone_form.responsible_id.choices = users
    return render_template(
        "agreements/detail.html",
        agreement=agreement,
        targets=targets,
        stage_form=stage_form,
        milestone_form=milestone_form,
        document_form=document_form or DocumentForm(formdata=None),
        audit=change_history(
            agreement,
            form_labels(AgreementForm) | display.AUDIT_LABELS,
            {"stage": STAGES, "type": AGREEMENT_TYPES, "confidentiality": CONFIDENTIALITY},
        ),
        pipeline=PIPELINE,
        reached=display.reached_position(agreement),
        is_overdue=services.is_overdue,
        renewal_notice_on=display.renewal_notice_on(agreement),
        extensions=", ".join(current_app.config["CRM_DOCUMENT_EXTENSIONS"]),
        accept=",".join(f".{ext}" for ext in current_app.config["CRM_DOCUMENT_EXTENSIONS"]),
        max_mb=current_app.config["CRM_MAX_DOCUMENT_MB"],
    ), status


def _agreement_form(agreement: Agreement | None) -> AgreementForm:
    form = AgreementForm(obj=agreement)
    if agreement is not None:
        del form.stage
        if request.method == "GET":
            form.party_ids.data = [p.id for p in agreement.parties]
            form.area_ids.data = [a.id for a in agreement.areas]
    elif request.method == "GET":
        partner_id = request.args.get("partner_id", "")
        form.party_ids.data = [int(partner_id)] if partner_id.isdigit() else []
        form.owner_id.data = current_user.id
    keep = [p.id for p in agreement.parties] if agreement else []
    form.party_ids.choices = choices(partner_names(form.party_ids.data or [], keep=keep))
    form.area_ids.choices = choices((a.id, a.name) for a in all_areas())
    form.owner_id.choices = user_choices(_("Nobody"))
    return form


def _save(agreement: Agreement | None):
    form = _agreement_form(agreement)
    if form.validate_on_submit():
        values = {f.name: f.data for f in form if f.name not in ("csrf_token", "stage")}
        if agreement is None:
            values["stage"] = form.stage.data
        try:
            saved = services.save_agreement(agreement, values, current_user)
        except services.AgreementError as error:
            db.session.rollback()
            form[error.field].errors.append(str(error.message))
        except IntegrityError:  # the same reference saved at the same moment by someone else
            db.session.rollback()
            form.reference.errors.append(_("Another agreement already uses this reference number."))
        else:
            db.session.commit()
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


@bp.route("/<int:agreement_id>/edit", methods=["GET", "POST"])
@require("staff")
def edit(agreement_id: int):
    agreement = services.get_visible_or_404(agreement_id, current_user, full=True)
    if agreement.archived:
        flash(_("This agreement is archived. Restore it before you edit it."), "warning")
        return redirect(url_for("agreements.detail", agreement_id=agreement.id))
    return _save(agreement)


@bp.route("/<int:agreement_id>/archive", methods=["POST"])
@require("staff")
def archive(agreement_id: int):
    agreement = services.get_visible_or_404(agreement_id, current_user)
    if not agreement.archived:
        agreement.archive()
        db.session.commit()
        flash(_("The agreement was archived. You can restore it at any time."), "success")
    return redirect(url_for("agreements.detail", agreement_id=agreement.id))


@bp.route("/<int:agreement_id>/restore", methods=["POST"])
@require("staff")
def restore(agreement_id: int):
    agreement = services.get_visible_or_404(agreement_id, current_user)
    if agreement.archived:
        agreement.restore()
        db.session.commit()
        flash(_("The agreement was restored."), "success")
    return redirect(url_for("agreements.detail", agreement_id=agreement.id))


@bp.route("/<int:agreement_id>/stage", methods=["POST"])
@require("staff")
def stage(agreement_id: int):
    agreement = services.get_visible_or_404(agreement_id, current_user, full=True)
    form = StageForm()
    form.stage.choices = choices(STAGES, blank=_("Choose a stage"))
    if form.validate_on_submit():
        try:
            move_stage(
                agreement,
                form.stage.data,
                current_user,
                form.note.data,
                signed_on=form.signed_on.data,
            )
        except StageError as error:
            db.session.rollback()
            form[error.field].errors = [*form[error.field].errors, str(error)]
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("The agreement moved to %(stage)s.", stage=STAGES[form.stage.data]), "success")
            return redirect(url_for("agreements.detail", agreement_id=agreement.id))
    agreement = services.get_visible_or_404(agreement_id, current_user, full=True)
    return _render_detail(agreement, stage_form=form, status=400)
