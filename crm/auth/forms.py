"""Login, settings and user-administration forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import Email, EqualTo, InputRequired

from crm.auth.models import ROLES, User
from crm.auth.passwords import MIN_PASSWORD
from crm.fields import ChoiceField, MaxLength, choices, optional_int, timezone_choices
from crm.formatting import LocalNumber
from crm.i18n import LANGUAGE_NAMES


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Email(), MaxLength(User.email)])
    password = PasswordField(_l("Password"), validators=[InputRequired()])
    remember = BooleanField(_l("Keep me signed in on this computer"))


class SettingsForm(FlaskForm):
    display_name = StringField(
        _l("Display name"), validators=[InputRequired(), MaxLength(User.display_name)]
    )
    locale = ChoiceField(_l("Language"), choices=choices(LANGUAGE_NAMES))
    timezone = ChoiceField(_l("Time zone"), choices=timezone_choices)


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[InputRequired()])
    # Length and strength are rules of the service (crm.auth.passwords), for every caller.
    new = PasswordField(
        _l("New password"),
        validators=[InputRequired()],
        description=_l(
            "At least %(num)s characters and hard to guess: three or four unrelated words "
            "work well.",
            num=LocalNumber(MIN_PASSWORD),
        ),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired(), EqualTo("new", message=_l("The two passwords differ."))],
    )


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Email(), MaxLength(User.email)])
    display_name = StringField(
        _l("Display name"), validators=[InputRequired(), MaxLength(User.display_name)]
    )
    role = ChoiceField(_l("Role"), choices=choices(ROLES))
    locale = ChoiceField(_l("Language"), choices=choices(LANGUAGE_NAMES))
    timezone = ChoiceField(_l("Time zone"), choices=timezone_choices, default="Asia/Tehran")
    active = BooleanField(_l("Active (can sign in)"), default=True)
    password = PasswordField(  # checked by the service's rules (crm.auth.passwords)
        _l("Password"),
        description=_l("Leave empty to keep the current password."),
    )


class LocaleForm(FlaskForm):
    locale = ChoiceField(_l("Language"), choices=choices(LANGUAGE_NAMES))


class ForgotForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[InputRequired(), Email(), MaxLength(User.email)])


class NewPasswordForm(FlaskForm):
    """A new password chosen through a reset link (its rules: crm.auth.passwords)."""

    new = PasswordField(
        _l("New password"),
        validators=[InputRequired()],
        description=PasswordForm.new.kwargs["description"],
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[InputRequired(), EqualTo("new", message=_l("The two passwords differ."))],
    )


class HandoverForm(FlaskForm):
    """Whom a colleague's open work goes to; ``confirm`` is set by the preview's button."""

    to = ChoiceField(_l("Hand over to"), coerce=optional_int, default=None)
    deactivate = BooleanField(_l("Deactivate the colleague who hands over (signed out at once)"))
    confirm = HiddenField(default="")
