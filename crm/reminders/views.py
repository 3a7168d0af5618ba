"""A user's reminder e-mail choices, and the admin's page of the reminders."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.extensions import db
from crm.reminders import ledger, services
from crm.reminders.forms import EmailChoicesForm, SettingsForm
from crm.security import require
from crm.templating import register_code_tables
from crm.web import submit

bp = Blueprint("reminders", __name__)


@bp.record_once
def _template_globals(state) -> None:
    register_code_tables(
        state.app, RULE_LABELS=services.RULE_LABELS, WORKER_STATES=services.WORKER_STATES
    )


def email_choices_form() -> EmailChoicesForm:
    """The form of the settings page, with the user's current choices (also when the page is
    shown after another of its forms was sent)."""
    form = EmailChoicesForm(prefix="reminders")
    if not form.is_submitted() or request.endpoint != "reminders.email_choices":
        for rule, chosen in services.email_choices(current_user).items():
            form[f"email_{rule}"].data = chosen
    return form


@bp.route("/settings/reminders", methods=["POST"])
@require("viewer")
def email_choices():
    form = email_choices_form()
    if form.validate_on_submit():
        chosen = {rule for rule in services.RULE_LABELS if form[f"email_{rule}"].data}
        services.set_email_choices(current_user, chosen)
        db.session.commit()
        flash(_("Your reminder choices were saved."), "success")
    return redirect(url_for("auth.settings"))


@bp.route("/admin/reminders", methods=["GET", "POST"])
@require("admin")
def admin():
    state = services.status()
    form = SettingsForm(obj=state.settings)
    remind = form.activity_remind_minutes.data if form.is_submitted() else None
    if submit(
        form, services.SettingsData, services.save_settings, activity_remind_minutes=remind or 0
    ):
        db.session.commit()
        flash(_("The reminder settings were saved."), "success")
        return redirect(url_for("reminders.admin"))
    return render_template("reminders/admin.html", state=state, form=form)


@bp.route("/admin/reminders/<id:reminder_id>/retry", methods=["POST"])
@require("admin")
def retry(reminder_id: int):
    if ledger.retry_failed(reminder_id):
        db.session.commit()
        flash(_("The reminder will be sent again at the next sweep."), "success")
    else:
        flash(_("Only a failed reminder can be sent again."), "warning")
    return redirect(url_for("reminders.admin"))
