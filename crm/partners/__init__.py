"""Partners and their contacts."""

from flask import Blueprint


class _PartnersBlueprint(Blueprint):
    """Imports its views when it is registered, not when the package is imported.

    The agreement and activity models import ``crm.partners.models``; the partner views in turn
    use those models (the 360° page), so importing the views with the package would be circular.
    """

    def register(self, app, options):
        from crm.partners import contact_views, views  # noqa: F401

        super().register(app, options)


bp = _PartnersBlueprint("partners", __name__)  # routes under /partners and /contacts
