"""Partner and contact forms, and the filter forms of their lists."""

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import Email, Optional, ValidationError
from wtforms.widgets import HiddenInput

from crm.auth.services import NO_ONE, colleague_choices, user_choices
from crm.fields import (
    MAX_QUERY,
    ChoiceField,
    IdField,
    IdMultipleField,
    LocalDateField,
    MaxLength,
    WholeNumberField,
    area_choices,
    choices,
    country_choices,
    normalize_phone,
    optional_int,
    timezone_choices,
)
from crm.partners.models import (
    CONTACT_LANGUAGES,
    MAX_POPULATION,
    PARTNER_KINDS,
    RELATIONSHIPS,
    Contact,
    Partner,
)
from crm.reference import DOMAINS

# One word per "no filter" across the lists: "All …" for a code, "Anyone" for people.
ANYONE = _l("Anyone")


def normalize_website(text: str) -> str:
    """``example.org`` → ``https://example.org``; raises ValidationError for a non-address."""
    text = (text or "").strip()
    if not text:
        return ""
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    host = parts.hostname or ""
    if (
        parts.scheme not in ("http", "https")
        or "." not in host
        or " " in text
        or host.startswith(".")
        or host.endswith(".")
    ):
        raise ValidationError(_l("Enter a web address, for example https://www.example.org."))
    return text


class PartnerForm(FlaskForm):
    name_en = StringField(_l("Name in English"), validators=[MaxLength(Partner.name_en)])
    name_fa = StringField(_l("Name in Persian"), validators=[MaxLength(Partner.name_fa)])
    name_local = StringField(
        _l("Name in its own language"),
        validators=[MaxLength(Partner.name_local)],
        description=_l("As the partner writes it, e.g. İstanbul or Москва."),
    )
    kind = ChoiceField(_l("Kind"), choices=choices(PARTNER_KINDS), default="city")
    domain = ChoiceField(_l("Domain"), choices=choices(DOMAINS), default="cities")
    country = ChoiceField(_l("Country"))
    region = StringField(_l("Region or province"), validators=[MaxLength(Partner.region)])
    population = WholeNumberField(_l("Population"), high=MAX_POPULATION)
    timezone = ChoiceField(_l("Time zone"), choices=lambda: timezone_choices(_l("Not set")))
    website = StringField(_l("Website"), validators=[MaxLength(Partner.website)])
    relationship_type = ChoiceField(
        _l("Relationship"), choices=choices(RELATIONSHIPS), default="prospect"
    )
    relationship_since = LocalDateField(_l("Relationship since"))
    owner_id = ChoiceField(
        _l("Owner"),
        coerce=optional_int,
        default=None,
        description=_l("The colleague who looks after this relationship."),
    )
    areas = IdMultipleField(_l("Cooperation areas"), choices=area_choices)  # check boxes
    summary = TextAreaField(
        _l("Summary"), validators=[MaxLength(Partner.summary)], render_kw={"rows": 4}
    )
    talking_points = TextAreaField(
        _l("Talking points"), validators=[MaxLength(Partner.talking_points)], render_kw={"rows": 4}
    )

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices(_l("Not set"))
        # The current owner stays choosable (marked when a viewer or deactivated), so
        # editing never fails on it.
        self.owner_id.choices = user_choices(NO_ONE, keep=owner.id if owner else None)

    def validate_website(self, field):
        field.data = normalize_website(field.data)


class ContactForm(FlaskForm):
    name_latin = StringField(
        _l("Name in Latin letters"), validators=[MaxLength(Contact.name_latin)]
    )
    name_fa = StringField(_l("Name in Persian"), validators=[MaxLength(Contact.name_fa)])
    title = StringField(_l("Job title"), validators=[MaxLength(Contact.title)])
    department = StringField(_l("Department"), validators=[MaxLength(Contact.department)])
    email = StringField(
        _l("Email"),
        validators=[
            Optional(),
            MaxLength(Contact.email),
            Email(message=_l("Enter an email address such as name@example.org.")),
        ],
        render_kw={"type": "email", "autocomplete": "off"},
    )
    phone = StringField(
        _l("Phone"),
        validators=[MaxLength(40)],  # as typed, with spaces; stored in E.164
        description=_l("With the country code, e.g. +90 212 123 4567."),
        render_kw={"type": "tel"},
    )
    language = ChoiceField(
        _l("Preferred language"), choices=choices(CONTACT_LANGUAGES), default="en"
    )
    is_primary = BooleanField(_l("Primary contact of this partner"))
    notes = TextAreaField(_l("Notes"), validators=[MaxLength(Contact.notes)], render_kw={"rows": 4})

    def __init__(self, *args, region: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.region = region

    def validate_phone(self, field):
        field.data = normalize_phone(field.data, self.region)

    def validate_email(self, field):
        field.data = (field.data or "").strip()


class FilterForm(FlaskForm):
    """Bound to the query string; invalid values are reported on their field and ignored."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[MaxLength(MAX_QUERY)])
    archived = BooleanField(_l("Show archived"))
    sort = HiddenField(_l("Sort"))


class PartnerFilterForm(FilterForm):
    domain = ChoiceField(_l("Domain"), choices=choices(DOMAINS, blank=_l("All domains")))
    kind = ChoiceField(_l("Kind"), choices=choices(PARTNER_KINDS, blank=_l("All kinds")))
    country = ChoiceField(_l("Country"))
    relationship = ChoiceField(
        _l("Relationship"), choices=choices(RELATIONSHIPS, blank=_l("All relationships"))
    )
    area = ChoiceField(_l("Cooperation area"), coerce=optional_int, default=None)
    owner = ChoiceField(_l("Owner"), coerce=optional_int, default=None)
    dormant = WholeNumberField(_l("No activity for (days)"), low=1, high=3650)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_choices(_l("All countries"))
        self.area.choices = area_choices(blank=_l("All areas"))
        self.owner.choices = colleague_choices(ANYONE)


class ContactFilterForm(FilterForm):
    partner = IdField(
        _l("Partner"), widget=HiddenInput(), message=_l("This partner does not exist.")
    )
    domain = ChoiceField(_l("Partner's domain"), choices=choices(DOMAINS, blank=_l("All domains")))
    language = ChoiceField(
        _l("Preferred language"), choices=choices(CONTACT_LANGUAGES, blank=_l("All languages"))
    )
    primary = BooleanField(_l("Primary contacts only"))
