"""Contacts: list, detail, create and edit with phone and email checks, the single primary
contact rule, archive and restore."""

import pytest
from sqlalchemy import select

from crm.audit import AuditEntry
from crm.auth.models import User
from crm.extensions import db
from crm.models import utcnow
from crm.partners import contacts
from crm.partners.models import Contact, Partner
from crm.permissions import acting_as


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def contact_form(**changes) -> dict:
    data = {
        "name_latin": "Mehmet Öz",
        "name_fa": "محمد اوز",
        "title": "Head of protocol",
        "department": "Foreign relations",
        "email": "mehmet@ibb.istanbul",
        "phone": "0212 555 01 01",
        "language": "tr",
        "notes": "",
    }
    data.update(changes)
    return data


def contacts_of(app, partner_id: int) -> list[Contact]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(Contact).where(Contact.partner_id == partner_id).order_by(Contact.id)
            )
        )
        for row in rows:
            db.session.expunge(row)
        return rows


def test_new_contact_phone_is_stored_in_e164_with_partner_country(app, auth, client, make_partner):
    auth.login("staff")
    partner = make_partner(country="TR")
    response = client.post(f"/partners/{partner.id}/contacts/new", data=contact_form())
    assert response.status_code == 302
    (contact,) = contacts_of(app, partner.id)
    assert contact.phone == "+902125550101"
    assert contact.language == "tr" and contact.email == "mehmet@ibb.istanbul"
    page = page_of(client, response.headers["Location"])
    assert "The contact Mehmet Öz was added to Istanbul." in page
    assert 'dir="ltr" class="ltr">+90 212 555 01 01<' in page


def test_phone_with_persian_digits_for_an_iranian_partner(app, auth, client, make_partner):
    auth.login("staff", locale="fa")
    partner = make_partner(name_en="Kish", name_fa="کیش", country="IR")
    response = client.post(
        f"/partners/{partner.id}/contacts/new", data=contact_form(phone="۰۹۱۲ ۳۴۵ ۶۷۸۹")
    )
    assert response.status_code == 302
    assert contacts_of(app, partner.id)[0].phone == "+989123456789"


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"phone": "12"}, "phone", "phone number"),
        ({"phone": "call me"}, "phone", "phone number"),
        ({"email": "not-an-email"}, "email", "Enter an email address"),
        ({"name_latin": "", "name_fa": ""}, "name_latin", "Enter the name"),
        ({"language": "xx"}, "language", "Choose from the list."),
    ],
)
def test_contact_form_refuses_bad_input_and_keeps_typed_data(
    app, auth, client, make_partner, changes, field, message
):
    auth.login("staff")
    partner = make_partner()
    response = client.post(
        f"/partners/{partner.id}/contacts/new", data=contact_form(title="Typed title", **changes)
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in page and message in page
    assert 'value="Typed title"' in page
    assert contacts_of(app, partner.id) == []


def test_contact_form_errors_in_persian_are_rtl_and_keep_typed_data(auth, client, make_partner):
    auth.login("staff", locale="fa")
    partner = make_partner()
    response = client.post(
        f"/partners/{partner.id}/contacts/new",
        data=contact_form(name_fa="سارا", phone="۱۲", email="x@"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'lang="fa" dir="rtl"' in page
    assert 'id="phone-error"' in page and 'id="email-error"' in page
    assert 'value="سارا"' in page and 'value="۱۲"' in page


def test_only_one_primary_contact_per_partner(ctx, make_user, make_partner, make_contact):
    staff = db.session.get(User, make_user("staff").id)
    partner = db.session.get(Partner, make_partner().id)
    first = db.session.get(Contact, make_contact(partner, is_primary=True).id)
    second = db.session.get(Contact, make_contact(partner, name_latin="Second").id)
    elsewhere = make_contact(make_partner(name_en="Kazan"), is_primary=True)
    with acting_as(staff):
        contacts.make_primary(second)
        db.session.commit()
        assert (first.is_primary, second.is_primary) == (False, True)
        assert db.session.get(Contact, elsewhere.id).is_primary  # other partners are untouched
        third = contacts.save_contact(
            None, contacts.ContactData(name_latin="Third", is_primary=True), partner
        )
        db.session.commit()
    primaries = db.session.scalars(
        select(Contact.id).where(Contact.partner_id == partner.id, Contact.is_primary.is_(True))
    ).all()
    assert primaries == [third.id]
    changes = db.session.scalars(
        select(AuditEntry.changes)
        .where(
            AuditEntry.object_type == "contacts",
            AuditEntry.object_id == second.id,
            AuditEntry.action == "update",
        )
        .order_by(AuditEntry.id)
    ).all()
    assert [c["is_primary"] for c in changes] == [[False, True], [True, False]]  # audited


def test_making_a_contact_primary_through_the_pages(app, auth, client, make_partner, make_contact):
    auth.login("staff")
    partner = make_partner()
    old = make_contact(partner, is_primary=True)
    response = client.post(
        f"/partners/{partner.id}/contacts/new", data=contact_form(is_primary="y")
    )
    assert response.status_code == 302
    rows = contacts_of(app, partner.id)
    assert [c.is_primary for c in rows] == [False, True]
    assert client.post(f"/contacts/{old.id}/primary").status_code == 302
    assert [c.is_primary for c in contacts_of(app, partner.id)] == [True, False]
    assert "is now the primary contact of Istanbul" in page_of(client, f"/contacts/{old.id}")


def test_edit_contact_and_archive_then_restore(app, auth, client, make_partner, make_contact):
    staff = auth.login("staff")
    partner = make_partner(country="TR")
    contact = make_contact(partner, is_primary=True)
    form = page_of(client, f"/contacts/{contact.id}/edit")
    assert 'value="Ayşe Yılmaz"' in form
    response = client.post(
        f"/contacts/{contact.id}/edit", data=contact_form(name_latin="Ayşe Yılmaz", is_primary="y")
    )
    assert response.status_code == 302
    assert contacts_of(app, partner.id)[0].title == "Head of protocol"
    assert client.post(f"/contacts/{contact.id}/archive").status_code == 302
    archived = contacts_of(app, partner.id)[0]
    assert archived.archived and not archived.is_primary  # an archived contact is not primary
    assert client.get(f"/contacts/{contact.id}/edit").status_code == 302
    assert ">Ayşe Yılmaz</a>" not in page_of(client, "/contacts/")
    assert ">Ayşe Yılmaz</a>" in page_of(client, "/contacts/?archived=y")
    assert client.post(f"/contacts/{contact.id}/restore").status_code == 302
    assert not contacts_of(app, partner.id)[0].archived
    with app.app_context():
        actions = db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "contacts", AuditEntry.user_id == staff.id)
            .order_by(AuditEntry.id)
        ).all()
    assert actions == ["update", "archive", "restore"]


def test_no_contacts_added_to_an_archived_partner(app, auth, client, make_partner):
    auth.login("staff")
    partner = make_partner(archived_at=utcnow())
    response = client.post(f"/partners/{partner.id}/contacts/new", data=contact_form())
    assert response.status_code == 302
    assert contacts_of(app, partner.id) == []


def test_contact_list_search_filters_and_sorting(auth, client, make_partner, make_contact):
    auth.login("viewer")
    istanbul = make_partner()
    metropolis = make_partner(
        name_en="Metropolis",
        name_fa="متروپلیس",
        kind="organization",
        domain="organizations",
        country="ES",
    )
    make_contact(
        istanbul, name_latin="Zeynep Kaya", name_fa="زینب کایا", language="tr", is_primary=True
    )
    make_contact(
        metropolis, name_latin="Anna Puig", name_fa="", language="es", email="anna@metropolis.org"
    )
    make_contact(istanbul, name_latin="Bora Ak", name_fa="", language="en")

    def shown(query: str) -> set[str]:
        page = page_of(client, f"/contacts/?{query}")
        return {n for n in ("Zeynep Kaya", "Anna Puig", "Bora Ak") if f">{n}</a>" in page}

    assert shown("") == {"Zeynep Kaya", "Anna Puig", "Bora Ak"}
    assert shown("q=زينب") == {"Zeynep Kaya"}  # Arabic yeh
    assert shown("q=metropolis") == {"Anna Puig"}  # by the partner's name or the email
    assert shown(f"partner={istanbul.id}") == {"Zeynep Kaya", "Bora Ak"}
    assert shown("domain=organizations") == {"Anna Puig"}
    assert shown("language=tr") == {"Zeynep Kaya"}
    assert shown("primary=y") == {"Zeynep Kaya"}
    page = page_of(client, "/contacts/?sort=-name")
    assert (
        page.index(">Zeynep Kaya</a>") < page.index(">Bora Ak</a>") < page.index(">Anna Puig</a>")
    )
    page = page_of(client, "/contacts/?sort=partner")
    assert page.index(">Zeynep Kaya</a>") < page.index(">Anna Puig</a>")  # Istanbul, Metropolis


@pytest.mark.parametrize(
    "query",
    [
        "partner=abc",
        "partner=99999",
        "domain=moon",
        "language=qq",
        "page=abc",
        "page=-3",
        "page=99999",
        "sort=evil",
    ],
)
def test_contact_list_bad_query_values_never_fail(auth, client, make_contact, query):
    auth.login("viewer")
    make_contact()
    page = page_of(client, f"/contacts/?{query}")
    assert ">Ayşe Yılmaz</a>" in page
    if query.startswith("partner"):
        assert "This partner does not exist." in page
    elif not query.startswith(("page", "sort")):
        assert "Choose from the list." in page


def test_contact_detail_and_unknown_contact(auth, client, make_contact):
    auth.login("viewer")
    contact = make_contact(phone="+902125550101")
    page = page_of(client, f"/contacts/{contact.id}")
    assert "Ayşe Yılmaz" in page and 'href="/partners/' in page and "Created" in page
    assert 'href="tel:+902125550101"' in page
    assert client.get("/contacts/99999").status_code == 404


def test_viewer_cannot_change_contacts(auth, client, make_contact):
    auth.login("viewer")
    contact = make_contact()
    assert client.get(f"/partners/{contact.partner_id}/contacts/new").status_code == 403
    assert (
        client.post(f"/partners/{contact.partner_id}/contacts/new", data=contact_form()).status_code
        == 403
    )
    for action in ("edit", "archive", "restore", "primary"):
        assert client.post(f"/contacts/{contact.id}/{action}").status_code == 403, action
    with client.application.app_context():
        assert db.session.get(Partner, contact.partner_id).contacts[0].archived_at is None
