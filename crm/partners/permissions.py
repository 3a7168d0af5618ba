"""Who may do what to partners and contacts: every role reads them, staff and above change
them, managers and above merge two into one (crm.duplicates), and administrators alone erase a
contact's personal data on request (crm.partners.erasure): the one act that cannot be undone."""

from crm.partners.models import Contact, Partner
from crm.permissions import register, role

staff, manager = role("staff"), role("manager")
register(Partner, create=staff, edit=staff, archive=staff, restore=staff, merge=manager)
register(
    Contact,
    create=staff,
    edit=staff,
    archive=staff,
    restore=staff,
    merge=manager,
    erase=role("admin"),
)
