"""Agreement forms: the list filters, the agreement itself, stage moves, milestones, documents."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError
from wtforms.widgets import HiddenInput

from crm.agreements.models import (
    AGREEMENT_TYPES,
    CONFIDENTIALITY,
    MAX_RENEWAL_NOTICE_DAYS,
    MILESTONE_STATUSES,
    STAGES,
    Agreement,
    Document,
    Milestone,
    StageChange,
)
from crm.agreements.pipeline import INITIAL_STAGES
from crm.fields import (
    MAX_QUERY,
    ChoiceField,
    IdField,
    IdMultipleField,
    LocalDateField,
    LookupSelect,
    MaxLength,
    WholeNumberField,
    choices,
    optional_int,
)
from crm.reference import DOMAINS


class AgreementFilterForm(FlaskForm):
    """The list's filters, read from the query string; bad values become field errors."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), MaxLength(MAX_QUERY)])
    stage = ChoiceField(
        _l("Stage"), choices=choices(STAGES, _l("All stages")), validators=[Optional()], default=""
    )
    type = ChoiceField(
        _l("Type"),
        choices=choices(AGREEMENT_TYPES, _l("All types")),
        validators=[Optional()],
        default="",
    )
    confidentiality = ChoiceField(
        _l("Confidentiality"),
        choices=choices(CONFIDENTIALITY, _l("All levels")),
        validators=[Optional()],
        default="",
    )
    party = StringField(_l("Party"), validators=[Optional(), MaxLength(MAX_QUERY)])
    partner_id = IdField(validators=[Optional()], widget=HiddenInput())
    domain = ChoiceField(
        _l("Domain"),
        choices=choices(DOMAINS, _l("All domains")),
        validators=[Optional()],
        default="",
    )
    country = ChoiceField(_l("Country"), validators=[Optional()], default="")
    area_id = ChoiceField(
        _l("Cooperation area"), coerce=optional_int, validators=[Optional()], default=""
    )
    owner_id = ChoiceField(_l("Owner"), coerce=optional_int, validators=[Optional()], default="")
    expiring = WholeNumberField(
        _l("Expiring within (days)"), validators=[Optional()], low=1, high=3650
    )
    show = ChoiceField(
        _l("Archive"),
        choices=choices(
            [
                ("", _l("Current agreements")),
                ("archived", _l("Archived only")),
                ("all", _l("Current and archived")),
            ]
        ),
        validators=[Optional()],
        default="",
    )


class AgreementForm(FlaskForm):
    title_en = StringField(_l("Title (English)"), validators=[MaxLength(Agreement.title_en)])
    title_fa = StringField(_l("Title (Persian)"), validators=[MaxLength(Agreement.title_fa)])
    type = ChoiceField(
        _l("Type"),
        choices=choices(AGREEMENT_TYPES, _l("Choose a type")),
        default="",
        validators=[InputRequired(_l("Choose the type of agreement."))],
    )
    reference = StringField(
        _l("Reference number"),
        validators=[Optional(), MaxLength(Agreement.reference)],
        description=_l("The registry number, if it has one."),
    )
    party_ids = IdMultipleField(
        _l("Parties"),
        description=_l("One or more partners: type a few letters of a name and choose."),
        widget=LookupSelect("partners.lookup", multiple=True),
    )
    area_ids = IdMultipleField(_l("Cooperation areas"))
    terms_summary = TextAreaField(
        _l("Summary of terms"), validators=[MaxLength(Agreement.terms_summary)]
    )
    stage = ChoiceField(
        _l("Starting stage"),
        choices=choices((s, STAGES[s]) for s in INITIAL_STAGES),
        default="idea",
        description=_l("Later stages are reached through the pipeline."),
    )
    signed_on = LocalDateField(_l("Signed on"))
    effective_on = LocalDateField(_l("Effective from"))
    expires_on = LocalDateField(_l("Expires on"))
    renewal_notice_days = WholeNumberField(
        _l("Renewal notice (days)"),
        default=90,
        high=MAX_RENEWAL_NOTICE_DAYS,
        validators=[InputRequired(_l("Enter the number of days."))],
        description=_l("How many days before expiry the renewal should be prepared."),
    )
    auto_renew = BooleanField(_l("Renews automatically"))
    signatories = TextAreaField(
        _l("Signatories"),
        validators=[MaxLength(Agreement.signatories)],
        description=_l("One per line: name, position, organisation."),
    )
    owner_id = ChoiceField(_l("Owner"), coerce=optional_int, validators=[Optional()], default="")
    confidentiality = ChoiceField(
        _l("Confidentiality"),
        choices=choices(CONFIDENTIALITY),
        default="internal",
        description=_l("Confidential agreements are visible to managers only."),
    )


class StageForm(FlaskForm):
    stage = ChoiceField(
        _l("New stage"), default="", validators=[InputRequired(_l("Choose a stage."))]
    )
    signed_on = LocalDateField(
        _l("Signed on"), description=_l("Required when the agreement moves to Signed.")
    )
    note = TextAreaField(_l("Note"), validators=[MaxLength(StageChange.note)])


class EndForm(FlaskForm):
    """Reject or terminate the agreement (``stage``); the pipeline requires the reason. The
    page renders it with the prefix "end", beside the stage form."""

    stage = HiddenField(_l("Stage"))
    note = TextAreaField(
        _l("Reason"),
        validators=[MaxLength(StageChange.note)],
        description=_l("Required. It is kept in the stage history."),
    )


class ReopenForm(FlaskForm):
    """A manager reopens a rejected or terminated agreement; the reason is required."""

    note = TextAreaField(
        _l("Reason"),
        validators=[MaxLength(StageChange.note)],
        description=_l("Required. It is kept in the stage history."),
    )


class MilestoneForm(FlaskForm):
    title = StringField(
        _l("Milestone or obligation"),
        validators=[InputRequired(_l("Describe the milestone.")), MaxLength(Milestone.title)],
    )
    due_on = LocalDateField(_l("Due on"))
    responsible_id = ChoiceField(
        _l("Responsible"), coerce=optional_int, validators=[Optional()], default=""
    )
    status = ChoiceField(_l("Status"), choices=choices(MILESTONE_STATUSES), default="open")
    notes = TextAreaField(_l("Notes"), validators=[MaxLength(Milestone.notes)])


class DocumentForm(FlaskForm):
    file = FileField(_l("File"))
    description = StringField(_l("Description"), validators=[MaxLength(Document.description)])

    def validate_file(self, field):
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(_l("Choose a file to upload."))
