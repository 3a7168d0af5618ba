"""Login, logout, personal settings and user administration."""

from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from crm.auth import bp, services
from crm.auth.forms import LocaleForm, LoginForm, PasswordForm, SettingsForm, UserForm
from crm.auth.models import User
from crm.extensions import db, limiter
from crm.security import require


def _login_limit() -> str:
    return current_app.config["CRM_LOGIN_LIMIT"]


def _login_email() -> str:
    return "login-email:" + (request.form.get("email") or "").strip().lower()


def _failed(response) -> bool:
    return response.status_code != 302


def _safe_next(target: str | None) -> str:
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not urlsplit(target).netloc
    ):
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed, key_func=_login_email)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            flash(_("The email or password is not right."), "danger")
        else:
            session.clear()  # a fresh session on login: no fixation
            login_user(user, remember=form.remember.data)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@require("viewer")
def logout():
    logout_user()
    session.clear()
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/locale", methods=["POST"])
@require("viewer")
def set_locale():
    form = LocaleForm()
    if form.validate_on_submit():
        current_user.locale = form.locale.data
        db.session.commit()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/settings", methods=["GET", "POST"])
@require("viewer")
def settings():
    form = SettingsForm(obj=current_user)
    password_form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        form.populate_obj(current_user)
        db.session.commit()
        flash(_("Your settings were saved."), "success")
        return redirect(url_for("auth.settings"))
    return render_template("auth/settings.html", form=form, password_form=password_form)


@bp.route("/settings/password", methods=["POST"])
@require("viewer")
def change_password():
    form = SettingsForm(obj=current_user, formdata=None)
    password_form = PasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        if not current_user.check_password(password_form.current.data):
            password_form.current.errors.append(_("The current password is not right."))
        else:
            current_user.set_password(password_form.new.data)
            db.session.commit()
            flash(_("Your password was changed."), "success")
            return redirect(url_for("auth.settings"))
    return render_template("auth/settings.html", form=form, password_form=password_form), 400


@bp.route("/users")
@require("admin")
def users():
    rows = db.session.scalars(select(User).order_by(User.active.desc(), User.display_name))
    return render_template("auth/users.html", users=list(rows))


@bp.route("/users/new", methods=["GET", "POST"])
@require("admin")
def new_user():
    form = UserForm()
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors.append(_("A new user needs a password."))
        else:
            try:
                services.create_user(
                    form.email.data,
                    form.display_name.data,
                    form.password.data,
                    form.role.data,
                    form.locale.data,
                    form.timezone.data,
                )
            except services.UserError as error:
                form.email.errors.append(str(error))
            else:
                db.session.commit()
                flash(_("The user was created."), "success")
                return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@require("admin")
def edit_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user)
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                current_user,
                email=form.email.data,
                display_name=form.display_name.data,
                role=form.role.data,
                locale=form.locale.data,
                timezone=form.timezone.data,
                active=form.active.data,
                password=form.password.data,
            )
        except services.UserError as error:
            db.session.rollback()
            flash(str(error), "danger")
        else:
            db.session.commit()
            flash(_("The user was saved."), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user)
