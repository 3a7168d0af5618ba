"""The pages that gather from every domain: a partner's 360° view and a contact's page.

They read partners, agreements and activities through each domain's services, so they are
composed here, above the domains (as the start page is), and the domains never import each
other's pages. The routes stay on the partners blueprint: a partner's page is part of the
partner pages for the reader.
"""

from flask import render_template
from flask_login import current_user

from crm.activities.lists import activities_with, count_activities_with
from crm.agreements.lists import agreements_with_partner, count_agreements_with_partner
from crm.audit_trail.kinds import record_history
from crm.health.services import current_health
from crm.partners import bp
from crm.partners.contacts import contact_counts, get_contact, partner_contacts
from crm.partners.services import get_partner
from crm.security import require
from crm.web import fmt

# How many of each the partner's page shows; a link leads to the filtered list of all.
SHOWN = {"contacts": 10, "agreements": 10, "activities": 20}


@bp.route("/partners/<id:partner_id>")
@require("viewer")
def detail(partner_id: int):
    reader = fmt()
    partner = get_partner(partner_id, current_user)
    contact_count, archived_contacts = contact_counts(partner)
    followup_count, past_count = count_activities_with(current_user, partner=partner)
    return render_template(
        "partners/detail.html",
        partner=partner,
        health=current_health(partner.id),
        contacts=partner_contacts(partner, reader.locale, limit=SHOWN["contacts"]),
        contact_count=contact_count,
        archived_contacts=archived_contacts,
        agreements=agreements_with_partner(partner, current_user, limit=SHOWN["agreements"]),
        agreement_count=count_agreements_with_partner(partner, current_user),
        timeline=activities_with(
            current_user, partner=partner, planned=False, limit=SHOWN["activities"]
        ),
        past_count=past_count,
        followups=activities_with(
            current_user, partner=partner, planned=True, limit=SHOWN["activities"]
        ),
        followup_count=followup_count,
        history=record_history(partner, current_user, reader, limit=20),
        merged_into=get_partner(partner.merged_into_id, current_user)
        if partner.merged_into_id
        else None,
    )


@bp.route("/contacts/<id:contact_id>")
@require("viewer")
def contact(contact_id: int):
    record = get_contact(contact_id, current_user)
    return render_template(
        "partners/contact_detail.html",
        contact=record,
        activities=activities_with(current_user, contact=record, limit=10),
        history=record_history(record, current_user, fmt(), limit=20),
    )
