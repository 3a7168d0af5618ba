"""Pages for the parts of an agreement: milestones and obligations, and documents."""

from flask import flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.agreements import bp, documents, milestones, services
from crm.agreements.forms import DocumentForm, MilestoneForm
from crm.agreements.views import _render_detail
from crm.auth.services import user_choices
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.security import require
from crm.web import archive_or_restore, show_errors, submit


def _to_detail(agreement, anchor: str | None = None):
    return redirect(url_for("agreements.detail", agreement_id=agreement.id, _anchor=anchor))


def _archived_refusal(agreement):
    flash(_("This agreement is archived. Restore it before you change it."), "warning")
    return _to_detail(agreement)


# --- milestones ------------------------------------------------------------------------------
@bp.route("/<int:agreement_id>/milestones", methods=["POST"])
@require("staff")
def add_milestone(agreement_id: int):
    agreement = services.get_agreement(agreement_id, current_user, full=True)
    if agreement.archived:
        return _archived_refusal(agreement)
    form = MilestoneForm()
    form.responsible_id.choices = user_choices(_("Nobody yet"))
    if submit(
        form,
        milestones.MilestoneData,
        lambda data: milestones.save_milestone(agreement, None, data),
        lambda data: milestones.milestone_problems(None, data),
    ):
        db.session.commit()
        flash(_("The milestone was added."), "success")
        return _to_detail(agreement, "milestones")
    flash(_("The milestone was not added; please correct the marked fields."), "danger")
    agreement = services.get_agreement(agreement_id, current_user, full=True)
    return _render_detail(agreement, milestone_form=form, status=400)


@bp.route("/<int:agreement_id>/milestones/<int:milestone_id>/edit", methods=["GET", "POST"])
@require("staff")
def edit_milestone(agreement_id: int, milestone_id: int):
    agreement = services.get_agreement(agreement_id, current_user)
    milestone = milestones.get_milestone(agreement, milestone_id)
    if agreement.archived:
        return _archived_refusal(agreement)
    form = MilestoneForm(obj=milestone)
    form.responsible_id.choices = user_choices(_("Nobody yet"), keep=milestone.responsible_id)
    if submit(
        form,
        milestones.MilestoneData,
        lambda data: milestones.save_milestone(agreement, milestone, data),
        lambda data: milestones.milestone_problems(milestone, data),
    ):
        db.session.commit()
        flash(_("The milestone was saved."), "success")
        return _to_detail(agreement, "milestones")
    return render_template(
        "agreements/milestone_form.html", form=form, agreement=agreement, milestone=milestone
    ), 400 if form.errors else 200


@bp.route("/<int:agreement_id>/milestones/<int:milestone_id>/done", methods=["POST"])
@require("staff")
def milestone_done(agreement_id: int, milestone_id: int):
    agreement = services.get_agreement(agreement_id, current_user)
    milestone = milestones.get_milestone(agreement, milestone_id)
    if agreement.archived:
        return _archived_refusal(agreement)
    milestones.mark_milestone_done(agreement, milestone)
    db.session.commit()
    flash(_("The milestone was marked as done."), "success")
    return _to_detail(agreement, "milestones")


# --- documents -------------------------------------------------------------------------------
@bp.route("/<int:agreement_id>/documents", methods=["POST"])
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
            return _to_detail(agreement, "documents")
    flash(
        _(
            "The document was not uploaded: %(reason)s",
            reason=" ".join(map(str, form.file.errors)) or _("please correct the marked fields."),
        ),
        "danger",
    )
    agreement = services.get_agreement(agreement_id, current_user, full=True)
    return _render_detail(agreement, document_form=form, status=400)


@bp.route("/<int:agreement_id>/documents/<int:document_id>")
@require("viewer")
def download_document(agreement_id: int, document_id: int):
    agreement = services.get_agreement(agreement_id, current_user)
    document = documents.get_document(agreement, document_id)
    try:
        path = documents.verified_path(document)
    except RuleBroken as error:
        flash(str(error), "danger")
        return _to_detail(agreement, "documents")
    return send_file(
        path,
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.filename,
        max_age=0,
    )


@bp.route("/<int:agreement_id>/documents/<int:document_id>/archive", methods=["POST"])
@require("staff")
def archive_document(agreement_id: int, document_id: int):
    agreement = services.get_agreement(agreement_id, current_user)
    archive_or_restore(
        documents.get_document(agreement, document_id), True, _("The document was archived.")
    )
    return _to_detail(agreement, "documents")


@bp.route("/<int:agreement_id>/documents/<int:document_id>/restore", methods=["POST"])
@require("staff")
def restore_document(agreement_id: int, document_id: int):
    agreement = services.get_agreement(agreement_id, current_user)
    archive_or_restore(
        documents.get_document(agreement, document_id), False, _("The document was restored.")
    )
    return _to_detail(agreement, "documents")
