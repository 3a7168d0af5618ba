"""Login, logout, personal settings and user administration."""

import logging

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from crm.auth import bp, services, sessions, throttle
from crm.auth.forms import LocaleForm, LoginForm, PasswordForm, SettingsForm, UserForm
from crm.auth.models import User
from crm.extensions import db, limiter
from crm.logs import security_event
from crm.ops.checks import all_checks
from crm.ops.version import running_version
from crm.records import get_or_not_found
from crm.security import require
from crm.web import fmt, safe_next, submit


def _login_limit() -> str:
    return current_app.config["CRM_LOGIN_LIMIT"]


def _failed(_response) -> bool:
    return g.get("login_failed", False)


# The per-address limit refuses an address after CRM_LOGIN_LIMIT wrong sign-ins; the account's
# own limit (crm.auth.throttle) only slows attempts down, so nobody can lock a colleague out.
@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email, remember = form.email.data, form.remember.data
        if wait := throttle.wait_before_attempt(email):
            message = ngettext(
                "Too many failed sign-ins for this account. Try again in %(seconds)s second.",
                "Too many failed sign-ins for this account. Try again in %(seconds)s seconds.",
                wait,
                seconds=fmt().number(wait),
            )
            flash(message, "warning")
            account = services.find_by_email(email)
            security_event("sign_in_slowed", account.id if account else None, wait=wait)
            page = render_template("auth/login.html", form=form)
            return page, 429, {"Retry-After": str(wait)}
        user = services.authenticate(email, form.password.data)
        if user is None:
            g.login_failed = True
            throttle.failed(email)
            account = services.find_by_email(email)
            security_event("sign_in_failed", account.id if account else None)
            flash(_("The email or password is not right."), "danger")
        else:
            throttle.succeeded(email)
            security_event("sign_in", user.id, level=logging.INFO)
            session.clear()  # a fresh session on login: no fixation
            sessions.start(user, remember)
            login_user(user, remember=remember)
            db.session.commit()
            return redirect(safe_next(request.args.get("next"), url_for("main.index")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@require("viewer")
def logout():
    sessions.end(current_user._get_current_object())
    db.session.commit()
    session.clear()
    logout_user()  # after clear(): it also has the remember cookie deleted
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/locale", methods=["POST"])
@require("viewer")
def set_locale():
    form = LocaleForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        data = services.SettingsData(user.display_name, form.locale.data, user.timezone)
        services.update_own_settings(data)
        db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))


@bp.route("/settings", methods=["GET", "POST"])
@require("viewer")
def settings():
    form = SettingsForm(obj=current_user)
    password_form = PasswordForm(prefix="pw")
    if submit(form, services.SettingsData, services.update_own_settings):
        db.session.commit()
        flash(_("Your settings were saved."), "success")
        return redirect(url_for("auth.settings"))
    return _settings_page(form, password_form)


def _settings_page(form, password_form, status: int = 200, **extra):
    from crm.calendar.views import feed_panel
    from crm.reminders.views import email_choices_form

    page = render_template(
        "auth/settings.html",
        form=form,
        password_form=password_form,
        reminders_form=email_choices_form(),
        **feed_panel(),
        **extra,
    )
    return page, status


def settings_page(**extra):
    """The settings page as it is, with ``extra`` values for its template (a new calendar
    address, shown once)."""
    return _settings_page(
        SettingsForm(obj=current_user, formdata=None),
        PasswordForm(prefix="pw", formdata=None),
        **extra,
    )


@bp.route("/settings/password", methods=["POST"])
@require("viewer")
def change_password():
    form = SettingsForm(obj=current_user, formdata=None)
    password_form = PasswordForm(prefix="pw")
    if submit(password_form, services.PasswordData, services.change_own_password):
        db.session.commit()
        flash(_("Your password was changed."), "success")
        return redirect(url_for("auth.settings"))
    return _settings_page(form, password_form, 400)


@bp.route("/users")
@require("admin")
def users():
    rows = db.session.scalars(select(User).order_by(User.active.desc(), User.display_name))
    failing = {name: c for name, c in all_checks().items() if c.status != "ok"}
    return render_template(
        "auth/users.html", users=list(rows), running=running_version(), failing=failing
    )


@bp.route("/users/new", methods=["GET", "POST"])
@require("admin")
def new_user():
    form = UserForm()
    if submit(
        form, services.UserData, services.create_user, lambda d: services.user_problems(None, d)
    ):
        db.session.commit()
        flash(_("The user was created."), "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/users/<id:user_id>/edit", methods=["GET", "POST"])
@require("admin")
def edit_user(user_id: int):
    user = get_or_not_found(User, user_id, current_user)
    form = UserForm(obj=user)
    if submit(
        form,
        services.UserData,
        lambda data: services.update_user(user, data),
        lambda data: services.user_problems(user, data),
    ):
        db.session.commit()
        flash(_("The user was saved."), "success")
        return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user)
