"""Form fields that speak the user's calendar and language, shared validators, and the one way
a form hands its values to a service."""

import dataclasses
from collections.abc import Callable, Hashable, Iterable
from datetime import date
from typing import Any, TypeVar

import phonenumbers
from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import Field, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError
from wtforms.widgets import Select, TextInput, html_params

from crm.i18n import current_formatter
from crm.models import max_length
from crm.text import (
    DB_INT_MAX,
    DateParseError,
    parse_id,
    parse_time,
    range_problem,
    to_latin_digits,
    too_long_problem,
    whole_number,
    without_invisible,
)

T = TypeVar("T")


def form_values(form: Any, cls: type[T], **extra: Any) -> T:
    """The form's values as ``cls``, a domain's ``…Data`` or ``…Filters`` dataclass whose fields
    are named as the form's. A field with an error (a list filter that could not be
    understood) or an empty value keeps the dataclass's default; ``extra`` adds or overrides."""
    values: dict[str, Any] = {}
    for item in dataclasses.fields(cls):  # type: ignore[arg-type]
        if item.name in form and not form[item.name].errors:
            value = form[item.name].data
            if value is not None and value != "":
                values[item.name] = value
    return cls(**{**values, **extra})


class SharedChoices(list):
    """Select options that many requests share (countries, time zones, areas, colleagues),
    each option's HTML rendered once: ``SharedSelect`` joins them, marking the chosen one."""

    def __init__(self, items: Iterable[SelectChoice]) -> None:
        super().__init__(items)
        self.html = [
            Markup('<option value="%s">%s</option>') % (c.value, c.label or c.value) for c in self
        ]
        self.positions = {str(c.value): i for i, c in enumerate(self)}


MAX_SHARED = 200  # kinds × languages × blanks × versions; beyond it the cache starts afresh


def shared_choices(key: tuple[Hashable, ...], build: Callable[[], list]) -> SharedChoices:
    """The options under ``key`` from this application's cache, or ``build()`` once. The key
    names the kind, the reader's language, the blank option and whatever else changes the
    options (today for time-zone offsets, a version of the users for colleagues)."""
    cache = current_app.extensions.setdefault("crm_shared_choices", {})
    found = cache.get(key)
    if found is None:
        if len(cache) >= MAX_SHARED:
            cache.clear()
        found = cache[key] = SharedChoices(build())
    return found


def _shared(kind: str, options: Callable[[], Any], blank: Any, *version: Hashable) -> Any:
    fmt = current_formatter()
    label = None if blank is None else str(blank)
    return shared_choices(
        (kind, fmt.locale, label, *version), lambda: choices(options(), blank=blank)
    )


def timezone_choices(blank: Any = None) -> list[SelectChoice]:
    """Every time zone as its city in the reader's language with today's offset, west to
    east; the value is the IANA name."""
    fmt = current_formatter()
    return _shared("timezones", fmt.timezones, blank, fmt.today())


def country_choices(blank: Any = None) -> list[SelectChoice]:
    """ISO 3166 countries named and sorted in the reader's language."""
    return _shared("countries", current_formatter().countries, blank)


def area_choices(blank: Any = None) -> list[SelectChoice]:
    """The cooperation areas, in their order, named in the reader's language. A reference
    table that changes only with a deployment: read once per application."""
    from crm.reference import all_areas

    fmt = current_formatter()
    return _shared("areas", lambda: [(area.id, fmt.name(area)) for area in all_areas()], blank)


def choices(options, blank=None) -> list[SelectChoice]:
    """Select options from a ``{value: label}`` mapping or ``(value, label)`` pairs.

    ``blank`` adds a first option with the value "" (use ``optional_int`` or a check for "").
    """
    pairs = list(options.items()) if isinstance(options, dict) else list(options)
    result = [SelectChoice("", blank)] if blank is not None else []
    return result + [SelectChoice(value, label) for value, label in pairs]


class LookupSelect(Select):
    """A select that asks the server as the user types (Tom Select, see static/js/app.js).

    Only the chosen options are rendered, so the page stays small however many records there
    are; ``endpoint`` answers ``?q=`` with ``[{"value": id, "text": name}, …]``.
    """

    def __init__(self, endpoint: str, multiple: bool = False):
        super().__init__(multiple=multiple)
        self.endpoint = endpoint

    def __call__(self, field, **kwargs):
        kwargs.setdefault("data-lookup", url_for(self.endpoint))
        kwargs.setdefault("data-placeholder", str(_l("Type a name to search")))
        kwargs.setdefault("data-no-results", str(_l("No matches")))
        kwargs.setdefault("data-clear-label", str(_l("Clear the choice")))
        kwargs.setdefault("data-remove-label", str(_l("Remove")))
        return super().__call__(field, **kwargs)


class LocalInput(TextInput):
    """A native input (``native``: date, time) in English; in Persian a text input with Persian
    hints, since the native date and time inputs follow the browser's locale (Latin digits,
    AM/PM) whatever the page's language."""

    def __init__(self, native: str, **persian: str) -> None:
        super().__init__()
        self.native, self.persian = native, persian

    def __call__(self, field, **kwargs):
        if current_formatter().persian:
            for name, value in {**self.persian, "inputmode": "numeric"}.items():
                kwargs.setdefault(name, value)
            kwargs.setdefault("autocomplete", "off")
            kwargs.setdefault("type", "text")
        else:
            kwargs.setdefault("type", self.native)
        return super().__call__(field, **kwargs)


class LocalDateField(Field):
    """A date typed in Jalali (fa) or Gregorian (en), with Persian or Latin digits."""

    widget = LocalInput("date", **{"data-jdp": "", "placeholder": "۱۴۰۴/۰۱/۱۵"})

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.raw_text = ""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return current_formatter().date_input(self.data)

    def process_formdata(self, valuelist):
        self.raw_text = valuelist[0] if valuelist else ""
        try:
            self.data = current_formatter().parse_date(self.raw_text)
        except DateParseError as error:
            self.data = None
            raise ValueError(str(error.args[0])) from None


class LocalTimeField(StringField):
    """A wall-clock time (HH:MM) in the user's time zone; Persian digits are accepted."""

    widget = LocalInput("time", placeholder="۱۴:۳۰", pattern="[0-9۰-۹]{1,2}:[0-9۰-۹]{2}")

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return current_formatter().digits(self.data.strftime("%H:%M")) if self.data else ""

    def process_formdata(self, valuelist):
        try:
            self.data = parse_time(valuelist[0] if valuelist else "")
        except DateParseError as error:
            self.data = None
            raise ValueError(str(error.args[0])) from None


CHOOSE = _l("Choose from the list.")
MAX_QUERY = 200  # the longest search text a list's filter takes


class MaxLength(Length):
    """At most ``limit`` characters: a number, or a model's text column (``Partner.summary``:
    its ``crm.models.max_length``, which the services' rules check as well). The message is
    ours, translated, with the reader's digits; the input gets ``maxlength``, so a browser
    stops there too."""

    def __init__(self, limit: Any):
        number = limit if isinstance(limit, int) else max_length(limit)
        if number is None:
            raise ValueError(f"{limit!r} has no maximum length")
        super().__init__(max=number)

    def __call__(self, form, field):
        length = len(field.data) if isinstance(field.data, str) else 0
        if length > self.max:
            reader = current_formatter()
            raise ValidationError(
                str(too_long_problem(reader.number(self.max), reader.number(length)))
            )


class SharedSelect(Select):
    """WTForms' select, faster for ``SharedChoices``: their options' HTML is joined, not
    rendered again (the same markup, ``<option selected value="…">`` for the chosen one)."""

    def __call__(self, field, **kwargs):
        options = field.choices
        if not isinstance(options, SharedChoices) or self.multiple:
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = getattr(field, "flags", {})
        for name in self.validation_attrs:
            if name not in kwargs and getattr(flags, name, False):
                kwargs[name] = getattr(flags, name)
        html = list(options.html)
        chosen = options.positions.get("" if field.data is None else str(field.data))
        if chosen is not None:
            html[chosen] = Markup("<option selected ") + html[chosen][len("<option ") :]
        return Markup(f"<select {html_params(name=field.name, **kwargs)}>{''.join(html)}</select>")


class ChoiceField(SelectField):
    """A select whose wrong values get our translated message instead of WTForms' own.

    Options written in the form class (a code table, ``choices(STAGES, _l("All stages"))``)
    are the same in every form a reader of one language sees: they are shared, each option's
    HTML rendered once per language (``SharedChoices``), under the id of the class's list,
    which lives as long as the class."""

    widget = SharedSelect()
    choices: list[Any]  # SharedChoices or any list: views set their own

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("invalid_value_message", CHOOSE)
        kwargs.setdefault("invalid_choice_message", CHOOSE)
        kwargs.setdefault("default", "")
        super().__init__(label, validators, **kwargs)
        declared = kwargs.get("choices")
        if isinstance(declared, list) and declared:
            locale = current_formatter().locale
            self.choices = shared_choices(("declared", id(declared), locale), lambda: declared)

    def pre_validate(self, form):
        """WTForms tests every option (250 countries) on each request; shared options know
        their values."""
        options = self.choices
        if not isinstance(options, SharedChoices) or self.process_errors:
            return super().pre_validate(form)
        if ("" if self.data is None else str(self.data)) not in options.positions:
            raise ValidationError(CHOOSE)


class IdMultipleField(SelectMultipleField):
    """A multiple select of database ids; unknown ids are refused with a clear message."""

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("coerce", optional_int)
        super().__init__(label, validators, **kwargs)

    def pre_validate(self, form):
        known = {choice.value for choice in self.choices or []}
        for value in self.data or []:
            if value not in known:
                raise ValidationError(CHOOSE)

    def process_formdata(self, valuelist):
        ids = [parse_id(value) for value in valuelist]
        if None in ids:
            self.data = []
            raise ValueError(CHOOSE)
        self.data = ids


class _NumberText(StringField):
    """A number typed as text: shown back as typed, or as the stored number."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


class IdField(_NumberText):
    """One record id, typed or in a hidden input (a list's partner filter): what cannot be an
    id (see ``crm.text.parse_id``) is refused with ``message``."""

    def __init__(self, label=None, validators=None, message=CHOOSE, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        self.data = parse_id(text)
        if self.data is None and text.strip():
            raise ValueError(self.message)


class WholeNumberField(_NumberText):
    """A whole number from ``low`` to ``high``, typed with Latin, Persian or Arabic-Indic
    digits and the marks that group thousands (``250,000``, ``۲۵۰٬۰۰۰``). Anything else, or a
    number out of range, is refused with a message that gives the range in the reader's
    digits. ``high`` is at most what the database's integer holds."""

    def __init__(self, label=None, validators=None, low=0, high=DB_INT_MAX, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric"})
        super().__init__(label, validators, **kwargs)
        self.low, self.high = low, min(high, DB_INT_MAX)

    def process_formdata(self, valuelist):
        text = valuelist[0] if valuelist else ""
        self.data = whole_number(text, thousands=True)
        if self.data is None and not without_invisible(text).strip():
            return
        if self.data is None or not self.low <= self.data <= self.high:
            self.data = None
            reader = current_formatter()
            raise ValueError(range_problem(reader.number(self.low), reader.number(self.high)))


def normalize_phone(text: str, region: str | None = None) -> str:
    """A phone number in E.164; raises ValidationError with a translated message."""
    text = to_latin_digits(text or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, (region or "IR").upper())
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _l("Enter a phone number with its country code, for example +98 21 1234 5678.")
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(_l("This phone number is not valid."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def not_before(other_field: str, message):
    """A validator: this date is not earlier than the date in ``other_field``."""

    def check(form, field):
        other = form[other_field].data
        if isinstance(field.data, date) and isinstance(other, date) and field.data < other:
            raise ValidationError(message)

    return check


def optional_int(value) -> int | None:
    """``coerce`` for a select of ids (or other positive whole numbers) whose first choice
    ("") means none; what cannot be an id (see ``crm.text.parse_id``) is refused."""
    if value is None or value in ("", "None"):
        return None
    number = parse_id(value)
    if number is None:
        raise ValueError(CHOOSE)
    return number
