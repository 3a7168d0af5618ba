"""The agreement page and the forms on it, which come back to it with their messages.

The page gathers from more than one domain (the agreement, its milestones, documents and stage
history, and the activities about it), so it is composed here, above the domains, like a
partner's page; the routes stay on the agreements blueprint (``agreements.detail`` and its
URL): for the reader it is one of the agreement pages.
"""

import io

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.activities.lists import activities_with, count_activities_with
from crm.agreements import bp, display, documents, milestones, services
from crm.agreements.forms import (
    DocumentForm,
    EndForm,
    MilestoneForm,
    ReopenForm,
    StageForm,
)
from crm.agreements.item_views import archived_refusal, flash_moved, to_detail
from crm.agreements.models import (
    STAGES,
    Agreement,
)
from crm.agreements.pipeline import (
    ENDING_STAGES,
    PIPELINE,
    allowed_stages,
    becomes_request,
    can_reopen,
    reopen,
    stage_left,
)
from crm.agreements.requests import move_or_request, pending_request
from crm.audit_trail.kinds import record_history
from crm.auth.services import NO_ONE, user_choices
from crm.dossiers.dossier import dossier_pdf
from crm.dossiers.views import file_name, pdf_language
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.fields import choices
from crm.security import require
from crm.web import fmt, show_errors, submit

# How many of each the page shows: the activities link to the list filtered by the agreement;
# the stage history, milestones and documents show all when asked (``?all=history``).
SHOWN = {"activities": 20, "history": 20, "milestones": 20, "documents": 20}
SECTIONS = ("history", "milestones", "documents")


@bp.route("/<id:agreement_id>")
@require("viewer")
def detail(agreement_id: int):
    agreement = services.get_agreement(agreement_id, current_user, full=True)
    return render_page(agreement)


@bp.route("/<id:agreement_id>/dossier.pdf")
@require("viewer")
def dossier(agreement_id: int):
    """The agreement's dossier as a PDF download, in the language of ``?lang=`` (``fa`` or
    ``en``; the reader's own otherwise); "not found" for an agreement the reader may not
    see."""
    reader = pdf_language()
    agreement = services.get_agreement(agreement_id, current_user)
    name = agreement.reference or agreement.title_en
    return send_file(
        io.BytesIO(dossier_pdf(agreement.id, current_user, reader)),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=file_name("dossier", name, agreement.id, reader),
        max_age=0,
    )


def render_page(
    agreement: Agreement,
    stage_form: StageForm | None = None,
    milestone_form: MilestoneForm | None = None,
    document_form: DocumentForm | None = None,
    end_form: EndForm | None = None,
    reopen_form: ReopenForm | None = None,
    status: int = 200,
):
    """The agreement page; the forms on it are passed in when one came back with errors."""
    reader = fmt()
    targets = allowed_stages(agreement, current_user)
    moves = [s for s in targets if s not in ENDING_STAGES]
    ending = next((s for s in targets if s in ENDING_STAGES), None)
    stage_form = stage_form or StageForm(formdata=None, signed_on=agreement.signed_on)
    stage_form.stage.choices = choices(((s, STAGES[s]) for s in moves), blank=_("Choose a stage"))
    end_form = end_form or EndForm(formdata=None, prefix="end", stage=ending)
    reopen_form = reopen_form or ReopenForm(formdata=None, prefix="reopen")
    for form in (end_form, reopen_form):
        form.note.flags.required = True  # a rule of the pipeline, shown on the form
    milestone_form = milestone_form or MilestoneForm(formdata=None)
    milestone_form.responsible_id.choices = user_choices(NO_ONE)
    today = reader.today()
    extensions = current_app.config["CRM_DOCUMENT_EXTENSIONS"]
    wanted = request.args.getlist("all")
    open_count, past_count = count_activities_with(current_user, agreement=agreement)
    return render_template(
        "agreements/detail.html",
        agreement=agreement,
        targets=targets,
        moves=moves,
        ending=ending,
        stage_form=stage_form,
        end_form=end_form,
        reopen_form=reopen_form,
        reopen_to=stage_left(agreement) if can_reopen(agreement, current_user) else None,
        as_request=becomes_request(agreement, current_user),
        pending=pending_request(agreement) if agreement.stage == "internal_approval" else None,
        milestone_form=milestone_form,
        document_form=document_form or DocumentForm(formdata=None),
        audit=record_history(agreement, current_user, reader),
        pipeline=PIPELINE,
        reached=display.reached_position(agreement),
        milestone_overdue=lambda milestone: milestones.is_overdue(milestone, today),
        open_activities=activities_with(
            current_user, agreement=agreement, planned=True, limit=SHOWN["activities"]
        ),
        open_count=open_count,
        past_activities=activities_with(
            current_user, agreement=agreement, planned=False, limit=SHOWN["activities"]
        ),
        past_count=past_count,
        limits={name: None if name in wanted else SHOWN[name] for name in SECTIONS},
        renewal_notice_on=display.renewal_notice_on(agreement),
        extensions=", ".join(extensions),
        accept=",".join(f".{ext}" for ext in extensions),
        max_mb=current_app.config["CRM_MAX_DOCUMENT_MB"],
    ), status


# --- the forms on the page: back to it with their messages -------------------------------------
def _change_stage(agreement_id: int, form, change, form_name: str):
    """Validate ``form``, ``change`` the agreement's stage through the pipeline, commit and
    show the agreement; or show its page again with the form's messages."""
    agreement = services.get_agreement(agreement_id, current_user, full=True)
    if form.validate_on_submit():
        try:
            done = change(agreement)
        except RuleBroken as error:
            db.session.rollback()
            show_errors(form, error)
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash_moved(agreement, done)
            return redirect(url_for("agreements.detail", agreement_id=agreement.id))
    agreement = services.get_agreement(agreement_id, current_user, full=True)
    return render_page(agreement, status=400, **{form_name: form})


@bp.route("/<id:agreement_id>/stage", methods=["POST"])
@require("staff")
def stage(agreement_id: int):
    form = StageForm()
    form.stage.choices = choices(STAGES, blank=_("Choose a stage"))
    return _change_stage(
        agreement_id,
        form,
        lambda agreement: move_or_request(
            agreement, form.stage.data, form.note.data, signed_on=form.signed_on.data
        ),
        "stage_form",
    )


@bp.route("/<id:agreement_id>/end", methods=["POST"])
@require("staff")
def end(agreement_id: int):
    """Reject or terminate the agreement: the page asks to confirm, the pipeline wants a
    reason (so without JavaScript the reason is still required)."""
    form = EndForm(prefix="end")
    return _change_stage(
        agreement_id,
        form,
        lambda agreement: move_or_request(agreement, form.stage.data or "", form.note.data),
        "end_form",
    )


@bp.route("/<id:agreement_id>/reopen", methods=["POST"], endpoint="reopen")
@require("manager")
def reopen_agreement(agreement_id: int):
    form = ReopenForm(prefix="reopen")
    return _change_stage(
        agreement_id, form, lambda agreement: reopen(agreement, form.note.data), "reopen_form"
    )


@bp.route("/<id:agreement_id>/milestones", methods=["POST"])
@require("staff")
def add_milestone(agreement_id: int):
    agreement = services.get_agreement(agreement_id, current_user, full=True)
    if agreement.archived:
        return archived_refusal(agreement)
    form = MilestoneForm()
    form.responsible_id.choices = user_choices(NO_ONE)
    if submit(
        form,
        milestones.MilestoneData,
        lambda data: milestones.save_milestone(agreement, None, data),
        lambda data: milestones.milestone_problems(None, data),
    ):
        db.session.commit()
        flash(_("The milestone was added."), "success")
        return to_detail(agreement, "milestones")
    flash(_("The milestone was not added; please correct the marked fields."), "danger")
    agreement = services.get_agreement(agreement_id, current_user, full=True)
    return render_page(agreement, milestone_form=form, status=400)


@bp.route("/<id:agreement_id>/documents", methods=["POST"])
@require("staff")
def upload_document(agreement_id: int):
    agreement = services.get_agreement(agreement_id, current_user, full=True)
    form = DocumentForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            documents.store_upload(agreement, upload.stream, upload.filename, form.description.data)
        except RuleBroken as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("The document was uploaded."), "success")
            return to_detail(agreement, "documents")
    flash(
        _(
            "The document was not uploaded: %(reason)s",
            reason=" ".join(map(str, form.file.errors)) or _("please correct the marked fields."),
        ),
        "danger",
    )
    agreement = services.get_agreement(agreement_id, current_user, full=True)
    return render_page(agreement, document_form=form, status=400)
