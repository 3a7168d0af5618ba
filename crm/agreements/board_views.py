"""The pipeline board page and its move form: a card moves under the same rules as on the
agreement page (``requests.move_or_request``), with no dragging needed."""

from dataclasses import replace

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.agreements import board as pipeline_board
from crm.agreements import bp, services
from crm.agreements.forms import AgreementFilterForm, StageForm
from crm.agreements.item_views import flash_moved
from crm.agreements.models import STAGES, Agreement
from crm.agreements.pipeline import ENDING_STAGES, allowed_stages, becomes_request
from crm.agreements.requests import move_or_request
from crm.agreements.views import filters_of
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.fields import choices
from crm.security import require
from crm.web import fmt, safe_next

FILTERS = ("domain", "type", "country", "owner_id", "area_id")


@bp.route("/board")
@require("viewer")
def board():
    form = AgreementFilterForm(request.args)
    filters = replace(filters_of(form), show="")  # current agreements only
    order = request.args.get("order", pipeline_board.DEFAULT_ORDER)
    order = order if order in pipeline_board.ORDERS else pipeline_board.DEFAULT_ORDER
    columns = pipeline_board.board(
        current_user, filters, fmt(), order, current_app.config["CRM_STUCK_DAYS"]
    )
    # what a card of each column may move to: the same for every current agreement of a stage
    # that the user sees (a stand-in agreement of the stage asks the pipeline's rules)
    moves = {}
    for column in columns:
        if column.cards:
            stand_in = Agreement(stage=column.stage, confidentiality="internal")
            moves[column.stage] = (
                allowed_stages(stand_in, current_user),
                becomes_request(stand_in, current_user),
            )
    return render_template(
        "agreements/board.html",
        form=form,
        fields=[form[name] for name in FILTERS],
        columns=columns,
        moves=moves,
        order=order,
        orders=pipeline_board.ORDERS,
        total=sum(column.count for column in columns),
        list_args={k: v for k, v in request.args.items() if k in FILTERS and v},
        stuck_days=current_app.config["CRM_STUCK_DAYS"],
        ending=ENDING_STAGES,
        signed_field=StageForm(formdata=None).signed_on,
    )


@bp.route("/<id:agreement_id>/board-move", methods=["POST"])
@require("staff")
def board_move(agreement_id: int):
    """A card's "move to" form: move (or ask a manager to), then back to the board where the
    card was, with what happened said at the top."""
    agreement = services.get_agreement(agreement_id, current_user)
    back = safe_next(request.form.get("next"), url_for("agreements.board"))
    form = StageForm()
    form.stage.choices = choices(STAGES, blank=_("Choose a stage"))
    if not form.validate_on_submit():
        problems = [str(m) for errors in form.errors.values() for m in errors]
        flash(_("The agreement was not moved: %(reason)s", reason=" ".join(problems)), "danger")
        return redirect(back)
    try:
        done = move_or_request(
            agreement, form.stage.data, form.note.data, signed_on=form.signed_on.data
        )
    except RuleBroken as error:
        db.session.rollback()
        reason = " ".join(str(m) for m in error.errors.values())
        flash(_("The agreement was not moved: %(reason)s", reason=reason), "danger")
        return redirect(back)
    db.session.commit()
    flash_moved(agreement, done)
    return redirect(back)
