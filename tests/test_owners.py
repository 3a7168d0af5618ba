"""Owners and responsible people can act: only active colleagues who can edit (staff and above)
are offered and accepted; an existing assignment to a viewer or a deactivated user is kept."""

import re
from datetime import date

import pytest

from crm.activities.models import Activity
from crm.activities.services import ActivityData, save_activity
from crm.agreements.milestones import MilestoneData, save_milestone
from crm.agreements.models import Agreement, Milestone
from crm.agreements.services import AgreementData, save_agreement
from crm.auth.models import User
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.partners.models import Partner
from crm.partners.services import PartnerData, save_partner
from crm.permissions import acting_as


def options(page: str, name: str) -> dict[str, str]:
    """The options of the select ``name`` in ``page``: {value: label}."""
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, f"no select {name}"
    return dict(re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1)))


def selected(page: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', page, re.S)
    found = re.search(
        r'<option selected value="([^"]*)"|<option[^>]*value="([^"]*)" selected', select.group(1)
    )
    return next(filter(None, found.groups())) if found else ""


@pytest.fixture
def colleagues(make_user):
    return {
        "viewer": make_user("viewer", display_name="Vera Viewer"),
        "gone": make_user("staff", display_name="Gone Staff", active=False),
        "manager": make_user("manager", display_name="Mona Manager"),
        "staff": make_user("staff", display_name="Sam Staff"),
    }


def test_owner_and_responsible_pickers_offer_only_colleagues_who_can_edit(
    auth, client, colleagues, make_agreement
):
    me = auth.login("staff")
    agreement = make_agreement()
    pages = {
        "owner_id": ["/partners/new", "/agreements/new", "/activities/new"],
        "responsible_id": [f"/agreements/{agreement.id}"],
    }
    for name, urls in pages.items():
        for url in urls:
            labels = options(client.get(url).get_data(as_text=True), name).values()
            assert "Mona Manager" in labels and "Sam Staff" in labels, url
            assert me.display_name in labels, url
            assert not any("Vera Viewer" in label for label in labels), url
            assert not any("Gone Staff" in label for label in labels), url


def test_list_filters_still_offer_every_active_colleague(auth, client, colleagues):
    auth.login("viewer")
    for url, name in (
        ("/partners/", "owner"),
        ("/agreements/", "owner_id"),
        ("/activities/", "owner"),
    ):
        labels = options(client.get(url).get_data(as_text=True), name).values()
        assert "Vera Viewer" in labels and "Gone Staff" not in labels, url


def test_an_existing_viewer_owner_is_shown_and_can_be_kept_or_changed(
    app, auth, client, colleagues, make_partner
):
    auth.login("staff")
    viewer, staff = colleagues["viewer"], colleagues["staff"]
    partner = make_partner(owner_id=viewer.id)
    page = client.get(f"/partners/{partner.id}/edit").get_data(as_text=True)
    assert options(page, "owner_id")[str(viewer.id)] == "Vera Viewer (viewer, can only read)"
    assert selected(page, "owner_id") == str(viewer.id)
    form = {"name_en": "Istanbul", "kind": "city", "domain": "cities"}
    form |= {"relationship_type": "sister_city", "country": "TR"}
    kept = client.post(f"/partners/{partner.id}/edit", data=form | {"owner_id": viewer.id})
    assert kept.status_code == 302
    changed = client.post(f"/partners/{partner.id}/edit", data=form | {"owner_id": staff.id})
    assert changed.status_code == 302
    with app.app_context():
        assert db.session.get(Partner, partner.id).owner_id == staff.id
    # Once changed, the viewer is no longer offered.
    page = client.get(f"/partners/{partner.id}/edit").get_data(as_text=True)
    assert str(viewer.id) not in options(page, "owner_id")


def test_a_deactivated_responsible_person_is_shown_on_the_milestone_form(
    app, auth, client, colleagues, make_agreement
):
    auth.login("staff")
    agreement = make_agreement()
    with app.app_context():
        milestone = Milestone(
            agreement_id=agreement.id,
            title="Exchange of experts",
            responsible_id=colleagues["gone"].id,
        )
        db.session.add(milestone)
        db.session.commit()
        milestone_id = milestone.id
    url = f"/agreements/{agreement.id}/milestones/{milestone_id}/edit"
    page = client.get(url).get_data(as_text=True)
    gone = str(colleagues["gone"].id)
    assert options(page, "responsible_id")[gone] == "Gone Staff (deactivated)"
    assert selected(page, "responsible_id") == gone
    response = client.post(
        url, data={"title": "Exchange of experts", "responsible_id": gone, "status": "open"}
    )
    assert response.status_code == 302


def test_a_viewer_offered_anyway_is_refused_on_the_form_in_persian(auth, client, colleagues):
    auth.login("staff", locale="fa")
    response = client.post(
        "/partners/new",
        data={
            "name_en": "Kazan",
            "kind": "city",
            "domain": "cities",
            "relationship_type": "prospect",
            "owner_id": colleagues["viewer"].id,
        },
    )
    assert response.status_code == 400
    assert "یکی از گزینه‌های فهرست را انتخاب کنید." in response.get_data(as_text=True)


def _new_partner(owner_id):
    return save_partner(None, PartnerData(name_en="Kazan", owner_id=owner_id))


def _new_agreement(owner_id):
    partner = db.session.scalars(db.select(Partner)).first()
    data = AgreementData(type="memorandum", title_en="Memo", party_ids=[partner.id])
    data.owner_id = owner_id
    return save_agreement(None, data)


def _new_activity(owner_id):
    partner = db.session.scalars(db.select(Partner)).first()
    data = ActivityData(subject="Talks", partner_id=partner.id, due_on=date(2026, 12, 1))
    data.owner_id = owner_id
    return save_activity(None, data)


def _new_milestone(owner_id):
    agreement = db.session.scalars(db.select(Agreement)).first()
    return save_milestone(agreement, None, MilestoneData(title="Visit", responsible_id=owner_id))


@pytest.mark.parametrize(
    ("save", "field"),
    [
        (_new_partner, "owner_id"),
        (_new_agreement, "owner_id"),
        (_new_activity, "owner_id"),
        (_new_milestone, "responsible_id"),
    ],
)
def test_services_refuse_a_viewer_as_a_new_owner_or_responsible(
    ctx, colleagues, make_agreement, save, field
):
    make_agreement()
    me = db.session.get(User, colleagues["staff"].id)
    with acting_as(me):
        with pytest.raises(RuleBroken) as caught:
            save(colleagues["viewer"].id)
        assert str(caught.value.errors[field]) == (
            "Vera Viewer can only read records; choose a colleague who can edit them."
        )
        with pytest.raises(RuleBroken) as caught:
            save(colleagues["gone"].id)
        assert str(caught.value.errors[field]) == "Choose from the list."
        assert save(colleagues["manager"].id).id


def test_an_activity_owned_by_a_viewer_keeps_its_owner_when_edited(ctx, colleagues, make_activity):
    viewer = colleagues["viewer"]
    activity = db.session.get(Activity, make_activity(owner_id=viewer.id).id)
    with acting_as(db.session.get(User, colleagues["staff"].id)):
        data = ActivityData(
            subject="Renamed", partner_id=activity.partner_id, due_on=activity.due_on
        )
        data.owner_id = viewer.id
        assert save_activity(activity, data).owner_id == viewer.id
