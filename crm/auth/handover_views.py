"""An administrator hands a departing colleague's work to another: a preview of what moves,
then the confirmed hand-over (crm.auth.handover)."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from crm.auth import bp, handover
from crm.auth.forms import HandoverForm
from crm.auth.models import User
from crm.auth.services import user_choices
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.records import get_or_not_found
from crm.security import require
from crm.web import fmt, show_errors

CONFIRMED = "yes"


@bp.route("/users/<id:user_id>/handover", methods=["GET", "POST"])
@require("admin")
def handover_work(user_id: int):
    giver = get_or_not_found(User, user_id, current_user)
    form = HandoverForm()
    form.to.choices = [
        choice
        for choice in user_choices(_("Choose a colleague"))
        if str(choice.value) != str(giver.id)
    ]
    taker, status = None, 200
    if form.validate_on_submit():
        errors = handover.handover_problems(giver, form.to.data, form.deactivate.data)
        if errors:
            show_errors(form, RuleBroken(errors=errors))
            status = 400
        elif form.confirm.data != CONFIRMED:
            taker = db.session.get(User, form.to.data)  # the preview, asking for confirmation
            form.confirm.data = CONFIRMED
        else:
            try:
                moved = handover.hand_over(giver, form.to.data, form.deactivate.data)
            except RuleBroken as error:
                db.session.rollback()
                show_errors(form, error)
                status = 400
            else:
                db.session.commit()
                total = sum(moved.values())
                name = db.session.get_one(User, form.to.data).display_name
                flash(
                    ngettext(
                        "%(count)s record was handed over to %(name)s.",
                        "%(count)s records were handed over to %(name)s.",
                        total,
                        count=fmt().number(total),
                        name=name,
                    ),
                    "success",
                )
                return redirect(url_for("auth.users"))
    elif form.is_submitted():
        status = 400
    page = render_template(
        "auth/handover.html",
        form=form,
        giver=giver,
        taker=taker,
        work=handover.open_work(giver).counts(),
    )
    return page, status
