"""The partner 360° page, archive and restore, and the constant query count of the pages."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from crm.audit import AuditEntry
from crm.extensions import db
from crm.partners.models import Contact, Partner
from tests.conftest import count_queries


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_partner_page_shows_profile_contacts_agreements_and_activities(
    auth, client, make_partner, make_contact, make_agreement, make_activity, make_user
):
    auth.login("viewer")
    owner = make_user("staff", display_name="Owner Olga")
    partner = make_partner(
        name_local="İstanbul",
        region="Marmara",
        population=15_600_000,
        timezone="Europe/Istanbul",
        website="https://ibb.istanbul",
        relationship_since=date(1997, 5, 2),
        owner_id=owner.id,
        summary="Largest sister city.",
        talking_points="Metro cooperation.",
        areas=["transport", "culture"],
    )
    make_contact(partner, name_latin="Zeynep Kaya", name_fa="", email="zeynep@ibb.istanbul")
    make_contact(
        partner, name_latin="Ahmet Demir", name_fa="", is_primary=True, phone="+902125550101"
    )
    make_agreement([partner], title_en="Metro memorandum", stage="negotiation")
    make_activity(
        partner,
        subject="Visit of the mayor",
        status="done",
        starts_at=datetime(2024, 3, 1, 9, tzinfo=UTC),
        due_on=None,
    )
    make_activity(
        partner, subject="Send the draft", status="planned", due_on=date.today() - timedelta(days=2)
    )
    make_activity(
        partner,
        subject="Call about dates",
        status="planned",
        due_on=date.today() + timedelta(days=5),
    )
    page = page_of(client, f"/partners/{partner.id}")
    for text in (
        "İstanbul",
        "Marmara",
        "15,600,000",
        "Istanbul (UTC+03:00)",
        "https://ibb.istanbul",
        "May 2, 1997",
        "Owner Olga",
        "Transport",
        "Culture and heritage",
        "Largest sister city.",
        "Metro cooperation.",
        "Türkiye",
    ):
        assert text in page, text
    assert page.index("Ahmet Demir") < page.index("Zeynep Kaya")  # primary first
    assert 'dir="ltr" class="ltr">+90 212 555 01 01<' in page
    assert '<span class="badge stage-badge stage-negotiation">' in page
    assert 'href="/agreements/' in page and "Metro memorandum" in page
    assert page.index("Send the draft") < page.index("Call about dates")  # soonest first
    assert "Overdue" in page
    assert "Visit of the mayor" in page and 'href="/activities/' in page
    assert "Created" in page  # the audit history


def test_partner_page_links_to_new_activity_and_agreement_for_staff(auth, client, make_partner):
    auth.login("staff")
    partner = make_partner()
    page = page_of(client, f"/partners/{partner.id}")
    assert f"/activities/new?partner_id={partner.id}" in page
    assert f"/agreements/new?partner_id={partner.id}" in page
    assert f"/partners/{partner.id}/contacts/new" in page


def test_confidential_agreement_hidden_from_staff_but_shown_to_manager(
    auth, client, make_partner, make_agreement
):
    partner = make_partner()
    make_agreement([partner], title_en="Open memorandum", confidentiality="internal")
    make_agreement([partner], title_en="Secret land deal", confidentiality="confidential")
    auth.login("staff")
    page = page_of(client, f"/partners/{partner.id}")
    assert "Open memorandum" in page and "Secret land deal" not in page
    auth.logout()
    auth.login("manager")
    assert "Secret land deal" in page_of(client, f"/partners/{partner.id}")


def test_follow_ups_about_a_confidential_agreement_hidden_from_staff(
    client, make_user, make_partner, make_agreement, make_activity
):
    from tests.conftest import PASSWORD

    partner = make_partner()
    secret = make_agreement(parties=[partner], confidentiality="confidential")
    make_activity(partner=partner, agreement_id=secret.id, subject="Prepare the secret signing")
    make_activity(partner=partner, subject="Open call", status="done")

    def page_as(role):
        user = make_user(role)
        client.post("/login", data={"email": user.email, "password": PASSWORD})
        body = client.get(f"/partners/{partner.id}").get_data(as_text=True)
        client.post("/logout")
        return body

    staff_page, manager_page = page_as("staff"), page_as("manager")
    assert "Open call" in staff_page and "Prepare the secret signing" not in staff_page
    assert "Prepare the secret signing" in manager_page


def test_partner_page_query_count_does_not_grow_with_related_records(
    app, auth, client, make_partner, make_contact, make_agreement, make_activity, make_user
):
    auth.login("manager")
    owner = make_user("staff")

    def fill(partner, n: int) -> None:
        for i in range(n):
            # Different owners everywhere, so a lazy load per row would show in the count.
            one, other = make_user("staff"), make_user("staff")
            make_contact(partner, name_latin=f"Person {i}", is_primary=i == 0)
            make_agreement([partner], title_en=f"Agreement {i}", owner_id=one.id)
            make_activity(partner, subject=f"Done {i}", status="done", owner_id=one.id)
            make_activity(partner, subject=f"Planned {i}", owner_id=other.id)

    small, large = (
        make_partner(name_en="Small", areas=["tourism"], owner_id=owner.id),
        make_partner(name_en="Large", areas=["tourism", "health"], owner_id=owner.id),
    )
    fill(small, 1)
    fill(large, 8)
    page_of(client, f"/partners/{small.id}")  # warm up
    with count_queries(app) as few:
        page_of(client, f"/partners/{small.id}")
    with count_queries(app) as many:
        assert "Person 7" in page_of(client, f"/partners/{large.id}")
    assert len(few) == len(many), "\n".join(many)


def test_partner_list_query_count_does_not_grow_with_rows(
    app, auth, client, make_partner, make_user
):
    auth.login("viewer")
    owners = [make_user("staff") for _ in range(3)]
    make_partner(name_en="First", owner_id=owners[0].id, areas=["tourism"])
    page_of(client, "/partners/")
    with count_queries(app) as few:
        page_of(client, "/partners/")
    for n in range(9):
        make_partner(name_en=f"More {n}", owner_id=owners[n % 3].id, areas=["tourism", "health"])
    with count_queries(app) as many:
        assert "More 8" in page_of(client, "/partners/")
    assert len(few) == len(many), "\n".join(many)


def test_archive_then_restore_writes_audit_entries_and_keeps_contacts(
    app, auth, client, make_partner, make_contact
):
    staff = auth.login("staff")
    partner = make_partner(name_en="Kazan")
    contact = make_contact(partner)
    response = client.post(f"/partners/{partner.id}/archive")
    assert response.status_code == 302
    page = page_of(client, f"/partners/{partner.id}")
    assert "Kazan was archived." in page and "Archived" in page and "Restore" in page
    assert "Kazan" not in page_of(client, "/partners/?q=kazan")
    edit = client.get(f"/partners/{partner.id}/edit")
    assert edit.status_code == 302
    assert "Restore it before editing" in page_of(client, f"/partners/{partner.id}")
    assert client.post(f"/partners/{partner.id}/restore").status_code == 302
    assert "Kazan was restored." in page_of(client, f"/partners/{partner.id}")
    with app.app_context():
        actions = list(
            db.session.execute(
                select(AuditEntry.action, AuditEntry.user_id)
                .where(AuditEntry.object_type == "partners", AuditEntry.object_id == partner.id)
                .order_by(AuditEntry.id)
            )
        )
        assert [tuple(row) for row in actions] == [
            ("create", None),
            ("archive", staff.id),
            ("restore", staff.id),
        ]
        assert db.session.get(Partner, partner.id).archived_at is None
        assert db.session.get(Contact, contact.id).archived_at is None
    assert "Kazan" in page_of(client, "/partners/?q=kazan")


def test_archive_twice_changes_nothing(app, auth, client, make_partner):
    auth.login("staff")
    partner = make_partner()
    client.post(f"/partners/{partner.id}/archive")
    client.post(f"/partners/{partner.id}/archive")
    with app.app_context():
        assert (
            db.session.scalar(
                select(AuditEntry.id).where(AuditEntry.action == "archive").limit(2).offset(1)
            )
            is None
        )


def test_partner_page_in_persian_is_rtl_with_jalali_dates(auth, client, make_partner):
    auth.login("viewer", locale="fa")
    partner = make_partner(relationship_since=date(2023, 4, 4), population=1200)
    page = page_of(client, f"/partners/{partner.id}")
    assert 'dir="rtl"' in page
    assert "۱۴۰۲/۰۱/۱۵" in page
    assert "ترکیه" in page  # the country named by Babel in Persian
    assert ">استانبول<" in page
