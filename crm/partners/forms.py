"""Partner and contact forms, and the filter forms of their lists."""

from urllib.parse import urlsplit
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import Email, Length, Optional, ValidationError

from crm.auth.services import colleague_choices, user_choices
from crm.fields import (
    ChoiceField,
    IdMultipleField,
    LocalDateField,
    choices,
    normalize_phone,
    optional_int,
)
from crm.i18n import current_formatter
from crm.partners.models import CONTACT_LANGUAGES, PARTNER_KINDS, RELATIONSHIPS
from crm.reference import DOMAINS, all_areas
from crm.text import to_latin_digits

ANY = _l("Any")


def timezone_options() -> list:
    return choices(
        ((tz, tz) for tz in sorted(available_timezones()) if "/" in tz), blank=_l("Not set")
    )


def area_options(blank=None) -> list:
    return choices(((a.id, a.name) for a in all_areas()), blank=blank)


def country_options(blank) -> list:
    return choices(current_formatter().countries(), blank=blank)


class CountField(StringField):
    """A whole number >= 0, typed with Persian or Latin digits and optional thousands marks."""

    def process_formdata(self, valuelist):
        text = to_latin_digits(valuelist[0] if valuelist else "").strip()
        for mark in (",", "٬", "،", " ", "\u00a0", "\u202f", "_"):
            text = text.replace(mark, "")
        if not text:
            self.data = None
            return
        if not text.isdigit():
            self.data = None
            raise ValueError(_l("Enter a whole number that is zero or more, for example 250000."))
        self.data = int(text)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


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
    name_en = StringField(_l("Name in English"), validators=[Length(max=200)])
    name_fa = StringField(_l("Name in Persian"), validators=[Length(max=200)])
    name_local = StringField(
        _l("Name in its own language"),
        validators=[Length(max=200)],
        description=_l("As the partner writes it, e.g. İstanbul or Москва."),
    )
    kind = ChoiceField(_l("Kind"), choices=choices(PARTNER_KINDS), default="city")
    domain = ChoiceField(_l("Domain"), choices=choices(DOMAINS), default="cities")
    country = ChoiceField(_l("Country"))
    region = StringField(_l("Region or province"), validators=[Length(max=120)])
    population = CountField(_l("Population"), render_kw={"inputmode": "numeric"})
    timezone = ChoiceField(_l("Time zone"), choices=timezone_options)
    website = StringField(_l("Website"), validators=[Length(max=300)])
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
    areas = IdMultipleField(_l("Cooperation areas"), choices=area_options)  # check boxes
    summary = TextAreaField(_l("Summary"), render_kw={"rows": 4})
    talking_points = TextAreaField(_l("Talking points"), render_kw={"rows": 4})

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_options(_l("Not set"))
        # The current owner stays choosable (marked when a viewer or deactivated), so
        # editing never fails on it.
        self.owner_id.choices = user_choices(_l("No one"), keep=owner.id if owner else None)

    def validate_website(self, field):
        field.data = normalize_website(field.data)


class ContactForm(FlaskForm):
    name_latin = StringField(_l("Name in Latin letters"), validators=[Length(max=200)])
    name_fa = StringField(_l("Name in Persian"), validators=[Length(max=200)])
    title = StringField(_l("Job title"), validators=[Length(max=200)])
    department = StringField(_l("Department"), validators=[Length(max=200)])
    email = StringField(
        _l("Email"),
        validators=[
            Optional(),
            Length(max=254),
            Email(message=_l("Enter an email address such as name@example.org.")),
        ],
        render_kw={"type": "email", "autocomplete": "off"},
    )
    phone = StringField(
        _l("Phone"),
        validators=[Length(max=40)],
        description=_l("With the country code, e.g. +90 212 123 4567."),
        render_kw={"type": "tel"},
    )
    language = ChoiceField(
        _l("Preferred language"), choices=choices(CONTACT_LANGUAGES), default="en"
    )
    is_primary = BooleanField(_l("Primary contact of this partner"))
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 4})

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

    q = StringField(_l("Search"))
    archived = BooleanField(_l("Show archived"))
    sort = HiddenField()


class PartnerFilterForm(FilterForm):
    domain = ChoiceField(_l("Domain"), choices=choices(DOMAINS, blank=ANY))
    kind = ChoiceField(_l("Kind"), choices=choices(PARTNER_KINDS, blank=ANY))
    country = ChoiceField(_l("Country"))
    relationship = ChoiceField(_l("Relationship"), choices=choices(RELATIONSHIPS, blank=ANY))
    area = ChoiceField(_l("Cooperation area"), coerce=optional_int, default=None)
    owner = ChoiceField(_l("Owner"), coerce=optional_int, default=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.country.choices = country_options(ANY)
        self.area.choices = area_options(blank=ANY)
        self.owner.choices = colleague_choices(ANY)


class ContactFilterForm(FilterForm):
    partner = HiddenField()
    domain = ChoiceField(_l("Partner's domain"), choices=choices(DOMAINS, blank=ANY))
    language = ChoiceField(_l("Preferred language"), choices=choices(CONTACT_LANGUAGES, blank=ANY))
    primary = BooleanField(_l("Primary contacts only"))

    def validate_partner(self, field):
        text = to_latin_digits(field.data or "").strip()
        if not text:
            field.data = None
        elif not text.isdigit():
            field.data = None
            raise ValidationError(_l("This partner does not exist."))
        else:
            field.data = int(text)
