"""The forms that ask for a prepared file."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from crm.fields import ChoiceField, IdMultipleField, LookupSelect, choices
from crm.i18n import LANGUAGE_NAMES


class PartnerIds(IdMultipleField):
    """The chosen partners' ids; which of them may be chosen (and how many) is the service's
    rule (``crm.files.services.pack_problems``), so its messages reach the field."""

    def pre_validate(self, form) -> None:
        return None


class PackForm(FlaskForm):
    partner_ids = PartnerIds(
        _l("Partners"),
        description=_l("Type a few letters of a name and choose; one section per partner."),
        widget=LookupSelect("partners.lookup", multiple=True),
    )
    language = ChoiceField(_l("Language of the file"), choices=choices(LANGUAGE_NAMES), default="")


class PipelineForm(FlaskForm):
    language = ChoiceField(
        _l("Language of the report"), choices=choices(LANGUAGE_NAMES), default=""
    )
