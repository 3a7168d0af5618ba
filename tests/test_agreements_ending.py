"""An agreement cannot be ended by accident: rejecting or terminating asks to confirm and needs
a reason; a manager can reopen it at the stage it left, recorded in the stage history."""

import re

import pytest

from crm.agreements.models import Agreement
from crm.agreements.pipeline import StageError, move_stage, reopen
from crm.auth.models import User
from crm.exceptions import Forbidden
from crm.extensions import db
from crm.models import utcnow
from crm.permissions import acting_as
from tests.test_agreements_pipeline import _history


def _stage(app, agreement_id):
    with app.app_context():
        return db.session.get(Agreement, agreement_id).stage


# --- the rules, without a page ------------------------------------------------------------------
def test_ending_an_agreement_needs_a_reason(ctx, make_user, make_agreement):
    staff = db.session.get(User, make_user("staff").id)
    manager = db.session.get(User, make_user("manager").id)
    draft = db.session.get(Agreement, make_agreement(stage="drafting").id)
    active = db.session.get(Agreement, make_agreement(stage="active").id)
    with acting_as(staff):
        for note in ("", "   \n"):
            with pytest.raises(StageError) as caught:
                move_stage(draft, "rejected", note)
            assert caught.value.field == "note"
            assert str(caught.value) == "Give the reason for ending the agreement."
        assert draft.stage == "drafting"
        move_stage(draft, "rejected", "The partner withdrew")
        assert draft.stage == "rejected"
    with acting_as(manager):
        with pytest.raises(StageError) as caught:
            move_stage(active, "terminated")
        assert caught.value.field == "note"
        move_stage(active, "terminated", "The partner city merged into another")
    assert active.stage == "terminated"


def test_a_manager_reopens_an_agreement_at_the_stage_it_left(ctx, make_user, make_agreement):
    staff = db.session.get(User, make_user("staff").id)
    manager = db.session.get(User, make_user("manager").id)
    agreement = db.session.get(Agreement, make_agreement(stage="negotiation").id)
    renewal = db.session.get(Agreement, make_agreement(stage="renewal").id)
    with acting_as(staff):
        move_stage(agreement, "rejected", "No budget this year")
        with pytest.raises(Forbidden):
            reopen(agreement, "Budget found")
    with acting_as(manager):
        with pytest.raises(StageError) as caught:
            reopen(agreement, "")
        assert caught.value.field == "note"
        assert str(caught.value) == "Give the reason for reopening the agreement."
        change = reopen(agreement, "The council found the budget")
    assert agreement.stage == "negotiation"
    assert (change.from_stage, change.to_stage, change.changed_by_id, change.note) == (
        "rejected",
        "negotiation",
        manager.id,
        "The council found the budget",
    )
    assert change.changed_at is not None

    with acting_as(manager):
        move_stage(renewal, "terminated", "Stopped by the new mayor")
        reopen(renewal, "Resumed after the elections")
    assert renewal.stage == "renewal"


def test_only_an_ended_agreement_whose_last_stage_is_known_can_be_reopened(
    ctx, make_user, make_agreement
):
    manager = db.session.get(User, make_user("manager").id)
    live = db.session.get(Agreement, make_agreement(stage="drafting").id)
    unknown = db.session.get(Agreement, make_agreement(stage="rejected").id)  # no history
    archived = db.session.get(Agreement, make_agreement(stage="negotiation").id)
    with acting_as(manager):
        move_stage(archived, "rejected", "No budget")
        archived.archived_at = utcnow()
        for agreement in (live, unknown, archived):
            with pytest.raises(StageError):
                reopen(agreement, "Try again")
    assert (live.stage, unknown.stage, archived.stage) == ("drafting", "rejected", "rejected")


# --- the agreement page ------------------------------------------------------------------------
def test_ending_is_offered_apart_with_a_confirmation_and_a_required_reason(
    auth, client, make_agreement
):
    auth.login("staff")
    agreement = make_agreement(stage="drafting")
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    move_form = page.split('id="stage-heading"')[1].split("</form>")[0]
    assert '<option value="negotiation">' in move_form
    assert '<option value="rejected">' not in move_form  # not one option among the moves
    end_form = page.split('id="end"')[1].split("</form>")[0]
    assert f'action="/agreements/{agreement.id}/end"' in end_form
    assert 'data-confirm="Reject this agreement? Only a manager can reopen it."' in end_form
    assert re.search(r'<input[^>]*name="end-stage"[^>]*value="rejected"', end_form)
    assert re.search(r'<textarea[^>]*name="end-note"[^>]*required', end_form)
    assert "<script>" not in page and "onclick" not in page  # no inline script


def test_ending_without_a_reason_is_refused_on_the_reason_field(app, auth, client, make_agreement):
    auth.login("staff", locale="fa")
    agreement = make_agreement(stage="drafting")
    url = f"/agreements/{agreement.id}/end"
    response = client.post(url, data={"end-stage": "rejected", "end-note": "  "})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    error = re.search(r'id="end-note-error"[^>]*>([^<]*)<', body)
    assert error and error.group(1) == "دلیل پایان دادن به توافق‌نامه را بنویسید."
    assert "<details" in body.split('id="end"')[1] and " open>" in body.split('id="end"')[1]
    assert _stage(app, agreement.id) == "drafting"

    assert (
        client.post(url, data={"end-stage": "rejected", "end-note": "بودجه نیست"}).status_code
        == 302
    )
    assert _stage(app, agreement.id) == "rejected"
    assert _history(app, agreement.id)[-1][1:2] == ("rejected",)


def test_the_move_form_cannot_end_an_agreement_without_a_reason(app, auth, client, make_agreement):
    auth.login("manager")
    agreement = make_agreement(stage="active")
    response = client.post(f"/agreements/{agreement.id}/stage", data={"stage": "terminated"})
    assert response.status_code == 400
    assert "Give the reason for ending the agreement." in response.get_data(as_text=True)
    assert _stage(app, agreement.id) == "active"


def test_a_manager_reopens_from_the_page_and_the_history_says_so(app, auth, client, make_agreement):
    staff = auth.login("staff")
    agreement = make_agreement(stage="negotiation")
    client.post(
        f"/agreements/{agreement.id}/end", data={"end-stage": "rejected", "end-note": "No budget"}
    )
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Only a manager can reopen it." in page and 'id="reopen"' not in page
    assert client.post(f"/agreements/{agreement.id}/reopen", data={}).status_code == 403
    auth.logout()

    manager = auth.login("manager")
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    reopen_form = page.split('id="reopen"')[1].split("</form>")[0]
    assert "It returns to Negotiation, the stage it left." in reopen_form
    assert 'data-confirm="Reopen this agreement at Negotiation?"' in reopen_form
    url = f"/agreements/{agreement.id}/reopen"
    refused = client.post(url, data={"reopen-note": ""})
    assert refused.status_code == 400
    assert "Give the reason for reopening the agreement." in refused.get_data(as_text=True)
    assert client.post(url, data={"reopen-note": "Budget approved"}).status_code == 302
    assert _stage(app, agreement.id) == "negotiation"
    assert _history(app, agreement.id) == [
        ("negotiation", "rejected", staff.id, "No budget"),
        ("rejected", "negotiation", manager.id, "Budget approved"),
    ]
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Budget approved" in page.split('id="history"')[1]
    assert 'id="reopen"' not in page and 'id="end"' in page
