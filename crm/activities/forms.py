"""Forms of activities: the list filter, create/edit, and completing with a next step."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional
from wtforms.widgets import HiddenInput, Select, html_params

from crm.activities.models import ACTIVITY_KINDS, ACTIVITY_STATUSES, Activity
from crm.fields import (
    MAX_QUERY,
    ChoiceField,
    IdField,
    IdMultipleField,
    LocalDateField,
    LocalTimeField,
    LookupSelect,
    MaxLength,
    choices,
    not_before,
    optional_int,
)
from crm.reference import DOMAINS

REMIND_CHOICES = choices(
    [
        ("15", _l("15 minutes before")),
        ("60", _l("1 hour before")),
        ("240", _l("4 hours before")),
        ("1440", _l("1 day before")),
        ("2880", _l("2 days before")),
        ("10080", _l("1 week before")),
    ],
    blank=_l("No reminder"),
)


class LargeSelect(Select):
    """A single select that renders thousands of options quickly (partners, agreements):
    WTForms' per-option rendering costs about 50 µs an option."""

    def __call__(self, field, **kwargs) -> Markup:
        kwargs.setdefault("id", field.id)
        current = "" if field.data is None else str(field.data)
        options = "".join(
            f'<option{" selected" if str(c.value) == current else ""} value="{escape(c.value)}">'
            f"{escape(c.label)}</option>"
            for c in field.choices or []
        )
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{options}</select>")


class ActivityFilterForm(FlaskForm):
    """The filters of the activity list, bound to the query string."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), MaxLength(MAX_QUERY)])
    kind = ChoiceField(
        _l("Kind"),
        choices=choices(ACTIVITY_KINDS, blank=_l("All kinds")),
        default="",
    )
    status = ChoiceField(
        _l("Status"),
        choices=choices(ACTIVITY_STATUSES, blank=_l("All statuses")),
        default="",
    )
    domain = ChoiceField(
        _l("Domain"),
        choices=choices(DOMAINS, blank=_l("All domains")),
        default="",
    )
    owner = ChoiceField(_l("Owner"), coerce=str, default="")
    partner = IdField(_l("Partner"), widget=HiddenInput())
    agreement = IdField(_l("Agreement"), widget=HiddenInput())
    date_from = LocalDateField(_l("From"))
    date_to = LocalDateField(
        _l("To"),
        validators=[not_before("date_from", _l("The end of the range is before its start."))],
    )
    overdue = BooleanField(_l("Overdue only"))
    archived = BooleanField(_l("Show archived"))


class ParticipantsField(IdMultipleField):
    """Contacts of the chosen partner; whether they belong to it is a rule of the service."""

    def pre_validate(self, form) -> None:
        return None


def _next_step_fields(description) -> tuple:
    """The next step's subject, kind and due date: the same fields wherever an activity is
    done."""
    return (
        StringField(
            _l("Next step"),
            validators=[Optional(), MaxLength(Activity.subject)],
            description=description,
        ),
        ChoiceField(_l("Kind of the next step"), choices=choices(ACTIVITY_KINDS), default="task"),
        LocalDateField(_l("Due date of the next step")),
    )


class ActivityForm(FlaskForm):
    """Create or edit an activity. Links between partner, agreement and participants are
    checked by ``services.activity_problems``; the choices are filled in by the view."""

    kind = ChoiceField(
        _l("Kind"),
        choices=choices(ACTIVITY_KINDS),
        default="meeting",
    )
    subject = StringField(
        _l("Subject"),
        validators=[InputRequired(message=_l("Enter a subject.")), MaxLength(Activity.subject)],
    )
    partner_id = ChoiceField(
        _l("Partner"),
        coerce=optional_int,
        validate_choice=False,  # checked by services.activity_problems
        widget=LookupSelect("partners.lookup"),
        description=_l("Leave empty for an internal task."),
    )
    domain = ChoiceField(
        _l("Domain"),
        choices=choices(DOMAINS, blank=_l("Same as the partner")),
        default="",
    )
    agreement_id = ChoiceField(
        _l("Agreement"), coerce=optional_int, validate_choice=False, widget=LargeSelect()
    )
    participants = ParticipantsField(
        _l("Participants"), description=_l("Contacts of the chosen partner.")
    )
    owner_id = ChoiceField(_l("Owner"), coerce=optional_int)
    on_date = LocalDateField(_l("Date"))
    at_time = LocalTimeField(_l("Time"), description=_l("In your time zone."))
    due_on = LocalDateField(
        _l("Due date"),
        description=_l(
            "For a task without a fixed time: give a due date instead of a date and time."
        ),
    )
    location = StringField(_l("Location"), validators=[Optional(), MaxLength(Activity.location)])
    status = ChoiceField(
        _l("Status"),
        choices=choices(ACTIVITY_STATUSES),
        default="planned",
    )
    remind_before = ChoiceField(
        _l("Reminder"),
        choices=REMIND_CHOICES,
        coerce=optional_int,
        default="",
    )
    notes = TextAreaField(
        _l("Notes"), validators=[MaxLength(Activity.notes)], render_kw={"rows": 4}
    )
    outcome = TextAreaField(
        _l("Outcome"), validators=[MaxLength(Activity.outcome)], render_kw={"rows": 3}
    )
    # Logging an activity that is already done, in one pass (as "Mark as done" does).
    next_subject, next_kind, next_due_on = _next_step_fields(
        _l("Only for an activity saved as done: creates the following activity.")
    )


class CompleteForm(FlaskForm):
    """Mark an activity done, optionally planning the next step."""

    outcome = TextAreaField(
        _l("Outcome"), validators=[MaxLength(Activity.outcome)], render_kw={"rows": 3}
    )
    next_subject, next_kind, next_due_on = _next_step_fields(
        _l("Optional: creates the following activity.")
    )
