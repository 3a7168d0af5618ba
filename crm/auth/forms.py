"""Login, settings and user-administration forms."""

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional

from crm.auth.models import ROLES, User
from crm.auth.services import MIN_PASSWORD
from crm.fields import ChoiceField, MaxLength, choices
from crm.i18n import LANGUAGE_NAMES


def timezone_choices() -> list[tuple[str, str]]:
    return choices((tz, tz) for tz in sorted(available_timezones()) if "/" in tz)


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
    new = PasswordField(
        _l("New password"),
        validators=[
            InputRequired(),
            Length(
                min=MIN_PASSWORD,
                max=200,
                message=_l("Use at least %(num)d characters.", num=MIN_PASSWORD),
            ),
        ],
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
    password = PasswordField(
        _l("Password"),
        validators=[
            Optional(),
            Length(
                min=MIN_PASSWORD,
                max=200,
                message=_l("Use at least %(num)d characters.", num=MIN_PASSWORD),
            ),
        ],
        description=_l("Leave empty to keep the current password."),
    )


class LocaleForm(FlaskForm):
    locale = ChoiceField(_l("Language"), choices=choices(LANGUAGE_NAMES))
