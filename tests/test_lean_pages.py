"""Pages stay lean on a large data set: a partner's and an agreement's page show the first few
of each kind with a link to all of them, filter forms share their options between requests, and
the partner list sorted by country reads the stored keys of the countries' names instead of
ranking some 250 countries in its statement."""

from datetime import UTC, date, datetime, timedelta

from crm.extensions import db
from tests.conftest import count_queries


def page_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_partner_page_shows_ten_contacts_primary_first_and_links_to_all(
    auth, client, make_partner, make_contact
):
    auth.login("viewer")
    partner = make_partner(name_en="Kazan", name_fa="")
    for n in range(11):
        make_contact(partner, name_latin=f"Aaron {n:02d}", name_fa="", email="")
    make_contact(partner, name_latin="Zoe Primary", name_fa="", email="", is_primary=True)
    page = page_of(client, f"/partners/{partner.id}")
    assert page.count("Aaron ") == 9 and "Zoe Primary" in page
    assert page.index("Zoe Primary") < page.index("Aaron 00")
    assert f'href="/contacts/?partner={partner.id}">See all 12 contacts</a>' in page
    listed = page_of(client, f"/contacts/?partner={partner.id}") + page_of(
        client, f"/contacts/?partner={partner.id}&page=2"
    )
    assert listed.count("Aaron ") == 11 and "Zoe Primary" in listed


def test_partner_page_with_few_records_has_no_see_all_links(auth, client, make_partner):
    auth.login("viewer")
    partner = make_partner()
    assert "See all" not in page_of(client, f"/partners/{partner.id}")


def test_partner_page_caps_agreements_and_activities_with_links_to_the_lists(
    auth, client, make_partner, make_agreement, make_activity
):
    auth.login("manager")
    partner = make_partner(name_en="Kazan", name_fa="")
    for n in range(11):
        make_agreement(parties=[partner], title_en=f"Accord {n:02d}", title_fa="")
    today = date.today()
    for n in range(21):
        make_activity(partner, subject=f"Plan {n:02d}", due_on=today + timedelta(days=n + 1))
        make_activity(
            partner, subject=f"Done {n:02d}", status="done", due_on=today - timedelta(days=n + 1)
        )
    page = page_of(client, f"/partners/{partner.id}")
    assert page.count("Accord ") == 10 and page.count("Plan ") == 20 and page.count("Done ") == 20
    assert f'href="/agreements/?partner_id={partner.id}">See all 11 agreements</a>' in page
    assert "See all 21 open follow-ups</a>" in page
    assert "See all 42 activities with this partner</a>" in page
    assert page_of(client, f"/agreements/?partner_id={partner.id}&page=2").count("Accord ") == 1


def test_agreement_page_links_to_its_activities_in_the_filtered_list(
    auth, client, make_partner, make_agreement, make_activity
):
    auth.login("manager")
    partner = make_partner(name_en="Kazan", name_fa="")
    agreement = make_agreement(parties=[partner], title_en="Transport", title_fa="")
    other = make_agreement(parties=[partner], title_en="Culture", title_fa="")
    for n in range(21):
        make_activity(partner, subject=f"About {n:02d}", agreement_id=agreement.id)
    make_activity(partner, subject="Elsewhere", agreement_id=other.id)
    page = page_of(client, f"/agreements/{agreement.id}")
    assert page.count("About ") == 20
    assert f"/activities/?agreement={agreement.id}" in page
    assert "See all 21 open follow-ups</a>" in page
    listed = page_of(client, f"/activities/?agreement={agreement.id}")
    assert "About " in listed and "Elsewhere" not in listed and "Transport" in listed
    assert "The agreement filter was not valid" in page_of(client, "/activities/?agreement=x")


def test_agreement_page_shows_the_last_stage_changes_and_all_when_asked(
    app, auth, client, make_agreement
):
    from crm.agreements.models import StageChange

    auth.login("viewer")
    agreement = make_agreement()
    with app.app_context():
        start = datetime(2020, 1, 1, tzinfo=UTC)
        db.session.add_all(
            StageChange(
                agreement_id=agreement.id,
                from_stage="active",
                to_stage="renewal",
                changed_at=start + timedelta(days=n),
                note=f"Renewal round {n:02d}",
            )
            for n in range(25)
        )
        db.session.commit()
    page = page_of(client, f"/agreements/{agreement.id}")
    assert page.count("Renewal round ") == 20 and "Renewal round 24" in page
    assert "Renewal round 04" not in page and "Show all 25 stage changes</a>" in page
    everything = page_of(client, f"/agreements/{agreement.id}?all=history")
    assert everything.count("Renewal round ") == 25 and "Show all" not in everything


def test_filter_options_are_shared_and_follow_changes_to_users(
    auth, client, make_user, make_partner
):
    from crm.auth.models import User

    auth.login("manager", display_name="Mina Manager")
    page = page_of(client, "/partners/?country=DE")
    assert '<option selected value="DE">Germany</option>' in page
    assert '<option value="FR">France</option>' in page and "Mina Manager" in page
    newcomer = make_user("staff", display_name="Nora Newcomer")
    assert "Nora Newcomer" in page_of(client, "/partners/")
    with client.application.app_context():
        db.session.get(User, newcomer.id).display_name = "Nora Renamed"
        db.session.commit()
    page = page_of(client, f"/partners/?owner={newcomer.id}")
    assert f'<option selected value="{newcomer.id}">Nora Renamed</option>' in page
    assert "Nora Newcomer" not in page


def test_partner_list_sorts_by_stored_country_keys(app, auth, client):
    auth.login("viewer", locale="fa")
    client.get("/partners/")
    with count_queries(app) as by_country:
        page_of(client, "/partners/?sort=country")
    assert not any("CASE" in sql for sql in by_country)
    assert any("ORDER BY partners.sort_country_fa" in sql for sql in by_country)
