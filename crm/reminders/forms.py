"""The reminders' forms: a user's e-mail choices, an admin's settings."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, ValidationError

from crm.activities.forms import REMIND_CHOICES
from crm.fields import ChoiceField, WholeNumberField, optional_int
from crm.formatting import LocalNumber
from crm.reminders.services import RULE_LABELS
from crm.text import whole_number


class EmailChoicesForm(FlaskForm):
    """One check box per rule: also by e-mail (in-app is always on). The fields are made per
    rule, ``email_<rule>``."""


for _rule, _label in RULE_LABELS.items():
    setattr(EmailChoicesForm, f"email_{_rule}", BooleanField(_label))


MAX_DAYS = 365
DAYS_PROBLEM = _l(
    "Enter whole numbers of days from %(low)s to %(high)s, separated by commas.",
    low=LocalNumber(0),
    high=LocalNumber(MAX_DAYS),
)


class DaysField(StringField):
    """Days ahead, as a list such as ``90, 30, 7`` (Latin or Persian digits, any separator)."""

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        parts = [p for p in text.replace("،", ",").replace("؛", ",").split(",") if p.strip()]
        numbers = [n for n in (whole_number(p.strip()) for p in parts) if n is not None]
        if not parts or len(numbers) < len(parts) or any(n > MAX_DAYS for n in numbers):
            self.data = None
            raise ValidationError(DAYS_PROBLEM)
        self.data = tuple(sorted(set(numbers), reverse=True))

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return ", ".join(str(d) for d in self.data or ())


class SettingsForm(FlaskForm):
    activity_remind_minutes = ChoiceField(
        _l("Reminder of a new activity"),
        choices=REMIND_CHOICES,
        coerce=optional_int,
        description=_l("What the activity form proposes; each activity can change it."),
    )
    digest_hour = WholeNumberField(
        _l("Hour of the daily digest and of reminders about a date"),
        low=0,
        high=23,
        description=_l("In each user's own time zone, 0 to 23."),
    )
    expiry_days = DaysField(_l("Days ahead of an agreement's expiry and renewal-notice deadline"))
    milestone_days = DaysField(_l("Days ahead of a milestone's due date (0: on the day)"))
    catch_up_days = WholeNumberField(
        _l("Catch-up window in days"),
        low=0,
        high=30,
        description=_l(
            "After downtime, reminders missed within this many days are sent, marked late; "
            "older ones are skipped."
        ),
    )
    approval_repeat_days = WholeNumberField(
        _l("Remind the managers again of an agreement waiting for approval after (days)"),
        low=1,
        high=60,
    )
    dormant_days = WholeNumberField(
        _l("A partner is dormant after this many days without activity"), low=7, high=3650
    )
    max_attempts = WholeNumberField(
        _l("Attempts at an e-mail before it is marked failed"), low=1, high=10
    )
