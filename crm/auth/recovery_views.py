"""A forgotten password: ask for a link by e-mail, then choose a new password through it."""

import logging

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from crm.auth import bp, recovery, services
from crm.auth.forms import ForgotForm, NewPasswordForm
from crm.exceptions import RuleBroken
from crm.extensions import db, limiter
from crm.logs import security_event
from crm.web import show_errors


def _limit() -> str:
    return current_app.config["CRM_LOGIN_LIMIT"]


# Every request for a link counts against the address, as a wrong password does at sign-in.
@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def forgot_password():
    form = ForgotForm()
    if form.validate_on_submit():
        user_id = recovery.ask_for_link(form.email.data)
        security_event("password_reset_asked", user_id, level=logging.INFO)
        # the same answer whether or not an account has this address
        flash(
            _(
                "If an active account has this address, a message with a link to set a new "
                "password is on its way. The link works once, within an hour."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    user = recovery.user_for_token(token)
    if user is None:
        security_event("password_reset_refused")
        return render_template("auth/reset_expired.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(user, form.new.data)
        except RuleBroken as error:
            db.session.rollback()
            show_errors(form, RuleBroken(errors={"new": error.errors["password"]}))
        else:
            db.session.commit()
            security_event("password_reset", user.id, level=logging.INFO)
            flash(_("Your new password is set. Sign in with it."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user)
