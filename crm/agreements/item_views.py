"""Pages for the parts of an agreement: milestones and obligations, and documents. (Adding
one happens on the agreement page: ``crm.main.agreement_page``.)"""

from flask import flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.agreements import bp, documents, milestones, services
from crm.agreements.forms import MilestoneForm
from crm.agreements.models import STAGES, StageRequest
from crm.auth.services import NO_ONE, user_choices
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.security import require
from crm.web import archive_or_restore, submit


def to_detail(agreement, anchor: str | None = None):
    return redirect(url_for("agreements.detail", agreement_id=agreement.id, _anchor=anchor))


def flash_moved(agreement, done) -> None:
    """Say what became of a move: done, or sent to a manager as a request."""
    if isinstance(done, StageRequest):
        flash(
            _(
                "Your request to move the agreement to %(stage)s was sent to a manager for "
                "approval.",
                stage=STAGES[done.to_stage],
            ),
            "success",
        )
    else:
        flash(_("The agreement moved to %(stage)s.", stage=STAGES[agreement.stage]), "success")


def archived_refusal(agreement):
    flash(_("This agreement is archived. Restore it before you change it."), "warning")
    return to_detail(agreement)


# --- milestones ------------------------------------------------------------------------------
@bp.route("/<id:agreement_id>/milestones/<id:milestone_id>/edit", methods=["GET", "POST"])
@require("staff")
def edit_milestone(agreement_id: int, milestone_id: int):
    agreement = services.get_agreement(agreement_id, current_user)
    milestone = milestones.get_milestone(agreement, milestone_id)
    if agreement.archived:
        return archived_refusal(agreement)
    form = MilestoneForm(obj=milestone)
    form.responsible_id.choices = user_choices(NO_ONE, keep=milestone.responsible_id)
    if submit(
        form,
        milestones.MilestoneData,
        lambda data: milestones.save_milestone(agreement, milestone, data),
        lambda data: milestones.milestone_problems(milestone, data),
    ):
        db.session.commit()
        flash(_("The milestone was saved."), "success")
        return to_detail(agreement, "milestones")
    return render_template(
        "agreements/milestone_form.html", form=form, agreement=agreement, milestone=milestone
    ), 400 if form.errors else 200


@bp.route("/<id:agreement_id>/milestones/<id:milestone_id>/done", methods=["POST"])
@require("staff")
def milestone_done(agreement_id: int, milestone_id: int):
    agreement = services.get_agreement(agreement_id, current_user)
    milestone = milestones.get_milestone(agreement, milestone_id)
    if agreement.archived:
        return archived_refusal(agreement)
    milestones.mark_milestone_done(agreement, milestone)
    db.session.commit()
    flash(_("The milestone was marked as done."), "success")
    return to_detail(agreement, "milestones")


# --- documents -------------------------------------------------------------------------------
@bp.route("/<id:agreement_id>/documents/<id:document_id>")
@require("viewer")
def download_document(agreement_id: int, document_id: int):
    agreement = services.get_agreement(agreement_id, current_user)
    document = documents.get_document(agreement, document_id)
    try:
        path = documents.verified_path(document)
    except RuleBroken as error:
        flash(str(error), "danger")
        return to_detail(agreement, "documents")
    return send_file(
        path,
        mimetype=document.content_type,
        as_attachment=True,
        download_name=document.filename,
        max_age=0,
    )


@bp.route("/<id:agreement_id>/documents/<id:document_id>/archive", methods=["POST"])
@require("staff")
def archive_document(agreement_id: int, document_id: int):
    agreement = services.get_agreement(agreement_id, current_user)
    archive_or_restore(
        documents.get_document(agreement, document_id), True, _("The document was archived.")
    )
    return to_detail(agreement, "documents")


@bp.route("/<id:agreement_id>/documents/<id:document_id>/restore", methods=["POST"])
@require("staff")
def restore_document(agreement_id: int, document_id: int):
    agreement = services.get_agreement(agreement_id, current_user)
    archive_or_restore(
        documents.get_document(agreement, document_id), False, _("The document was restored.")
    )
    return to_detail(agreement, "documents")
