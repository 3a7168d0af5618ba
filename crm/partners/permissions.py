"""Who may do what to partners and contacts: every role reads them, staff and above change
them, managers and above merge two into one (crm.duplicates)."""

from crm.partners.models import Contact, Partner
from crm.permissions import register, role

for model in (Partner, Contact):
    register(
        model,
        create=role("staff"),
        edit=role("staff"),
        archive=role("staff"),
        restore=role("staff"),
        merge=role("manager"),
    )
