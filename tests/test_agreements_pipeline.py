"""The agreement pipeline: allowed moves, who may make them, and the history they leave."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from crm.agreements.models import Agreement, StageChange
from crm.agreements.pipeline import StageError, allowed_stages, move_stage, next_stages
from crm.extensions import db
from crm.permissions import acting_as


def _agreement(app, agreement_id):
    with app.app_context():
        return db.session.get(Agreement, agreement_id)


def _history(app, agreement_id):
    with app.app_context():
        return list(
            db.session.execute(
                sa.select(
                    StageChange.from_stage,
                    StageChange.to_stage,
                    StageChange.changed_by_id,
                    StageChange.note,
                )
                .where(StageChange.agreement_id == agreement_id)
                .order_by(StageChange.id)
            )
        )


def _move(client, agreement, stage, **data):
    return client.post(f"/agreements/{agreement.id}/stage", data={"stage": stage, **data})


def test_pipeline_offers_next_step_back_step_and_exits():
    assert next_stages("drafting") == ["negotiation", "exploring", "rejected"]
    assert next_stages("idea") == ["exploring", "rejected"]
    assert next_stages("active") == ["renewal", "expired", "terminated"]
    assert next_stages("renewal") == ["active", "expired", "terminated"]
    assert next_stages("expired") == ["renewal"]
    assert next_stages("rejected") == [] and next_stages("terminated") == []
    assert "ready_to_sign" not in next_stages("signed")  # no going back after signing


def test_staff_moves_drafting_to_negotiation_to_internal_approval(
    app, auth, client, make_agreement
):
    user = auth.login("staff")
    agreement = make_agreement(stage="drafting")
    assert _move(client, agreement, "negotiation", note="First draft sent").status_code == 302
    assert _move(client, agreement, "internal_approval").status_code == 302
    assert _agreement(app, agreement.id).stage == "internal_approval"
    assert _history(app, agreement.id) == [
        ("drafting", "negotiation", user.id, "First draft sent"),
        ("negotiation", "internal_approval", user.id, ""),
    ]
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "First draft sent" in page and user.display_name in page


def test_staff_move_out_of_internal_approval_waits_for_a_manager_who_moves_at_once(
    app, auth, client, make_agreement
):
    """The rule changed with the approval requests: a staff member's move out of internal
    approval is no longer refused but kept as a request (tests/test_stage_requests.py); the
    agreement stays where it is until a manager decides, and a manager moves it at once."""
    from crm.agreements.models import StageRequest

    auth.login("staff")
    agreement = make_agreement(stage="internal_approval")
    response = _move(client, agreement, "ready_to_sign")
    assert response.status_code == 302
    assert _agreement(app, agreement.id).stage == "internal_approval"
    assert _history(app, agreement.id) == []
    auth.logout()
    manager = auth.login("manager")
    assert _move(client, agreement, "ready_to_sign", note="Approved by council").status_code == 302
    assert _history(app, agreement.id) == [
        ("internal_approval", "ready_to_sign", manager.id, "Approved by council")
    ]
    with app.app_context():  # the manager's own move made the request unnecessary
        assert db.session.scalar(sa.select(StageRequest.status)) == "superseded"


def test_detail_page_offers_only_the_moves_allowed_to_this_user(auth, client, make_agreement):
    auth.login("staff")
    agreement = make_agreement(stage="internal_approval")
    body = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    # from internal approval staff may only ask a manager
    assert 'id="stage"' in body and "Ask for approval" in body
    assert '<option value="ready_to_sign">' in body
    other = make_agreement(stage="negotiation")
    body = client.get(f"/agreements/{other.id}").get_data(as_text=True)
    assert '<option value="internal_approval">' in body
    assert '<option value="drafting">' in body
    assert '<option value="ready_to_sign">' not in body


def test_viewer_gets_403_on_stage_moves_and_sees_no_stage_form(auth, client, make_agreement):
    auth.login("viewer")
    agreement = make_agreement(stage="drafting")
    assert _move(client, agreement, "negotiation").status_code == 403
    assert "Move to another stage" not in client.get(f"/agreements/{agreement.id}").get_data(
        as_text=True
    )


def test_skipping_a_stage_is_refused(app, auth, client, make_agreement):
    auth.login("manager")
    agreement = make_agreement(stage="idea")
    response = _move(client, agreement, "negotiation")
    assert response.status_code == 400
    assert "An agreement cannot move from Idea to Negotiation." in response.get_data(as_text=True)
    assert _agreement(app, agreement.id).stage == "idea"


@pytest.mark.parametrize("final", ["rejected", "terminated"])
def test_a_final_stage_cannot_move(app, auth, client, make_agreement, final):
    auth.login("admin")
    agreement = make_agreement(stage=final)
    response = _move(client, agreement, "drafting")
    assert response.status_code == 400
    assert "its stage can no longer change" in response.get_data(as_text=True)
    assert _agreement(app, agreement.id).stage == final


def test_expired_agreement_can_only_be_renewed(ctx, make_user, make_agreement):
    manager = db.session.merge(make_user("manager"))
    agreement = db.session.merge(make_agreement(stage="expired"))
    with acting_as(manager):
        with pytest.raises(StageError):
            move_stage(agreement, "active")
        move_stage(agreement, "renewal", "Both councils agreed")
    assert agreement.stage == "renewal"


def test_moving_to_signed_needs_a_signing_date(app, auth, client, make_agreement):
    auth.login("manager")
    agreement = make_agreement(stage="ready_to_sign")
    response = _move(client, agreement, "signed", note="kept note")
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter the date the agreement was signed." in body
    assert "kept note" in body
    assert _agreement(app, agreement.id).stage == "ready_to_sign"
    future = (date.today() + timedelta(days=30)).isoformat()
    assert "cannot be in the future" in _move(
        client, agreement, "signed", signed_on=future
    ).get_data(as_text=True)
    assert _move(client, agreement, "signed", signed_on="2025-05-04").status_code == 302
    saved = _agreement(app, agreement.id)
    assert saved.stage == "signed" and saved.signed_on == date(2025, 5, 4)


def test_signing_date_can_be_typed_in_jalali(app, auth, client, make_agreement):
    auth.login("manager", locale="fa")
    agreement = make_agreement(stage="ready_to_sign")
    assert _move(client, agreement, "signed", signed_on="۱۴۰۴/۰۱/۰۱").status_code == 302
    assert _agreement(app, agreement.id).signed_on == date(2025, 3, 21)


def test_staff_may_reject_before_approval_but_not_terminate(ctx, make_user, make_agreement):
    staff = db.session.merge(make_user("staff"))
    early = db.session.merge(make_agreement(stage="exploring"))
    assert "rejected" in allowed_stages(early, staff)
    active = db.session.merge(make_agreement(stage="active"))
    assert allowed_stages(active, staff) == []
    with acting_as(staff), pytest.raises(StageError):
        move_stage(active, "terminated")


def test_archived_agreement_cannot_change_stage(ctx, make_user, make_agreement):
    from crm.models import utcnow

    manager = db.session.merge(make_user("manager"))
    agreement = db.session.merge(make_agreement(stage="drafting", archived_at=utcnow()))
    assert allowed_stages(agreement, manager) == []
    with acting_as(manager), pytest.raises(StageError):
        move_stage(agreement, "negotiation")


def test_stage_change_is_also_in_the_audit_log(app, auth, client, make_agreement):
    from crm.audit import AuditEntry

    auth.login("staff")
    agreement = make_agreement(stage="idea")
    _move(client, agreement, "exploring")
    with app.app_context():
        entry = db.session.scalar(
            sa.select(AuditEntry).where(
                AuditEntry.object_id == agreement.id, AuditEntry.action == "update"
            )
        )
    assert entry.changes["stage"] == ["idea", "exploring"]


def test_rejected_agreement_page_shows_where_it_stopped(auth, client, make_agreement):
    auth.login("manager")
    agreement = make_agreement(stage="negotiation")
    assert _move(client, agreement, "rejected", note="No budget").status_code == 302
    body = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert 'max="10" value="4"' in body  # progress stops after negotiation (4th stage)
    assert "This agreement has reached a final stage." in body
    assert "No budget" in body
