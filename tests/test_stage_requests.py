"""Stage-approval requests: a staff member's move out of internal approval becomes a request a
manager grants or refuses; the requester is told in their language."""

import sqlalchemy as sa

from crm.agreements.models import Agreement, StageChange, StageRequest
from crm.audit import AuditEntry
from crm.extensions import db
from crm.notifications.models import Notification


def _move(client, agreement, stage, **data):
    return client.post(f"/agreements/{agreement.id}/stage", data={"stage": stage, **data})


def _requests(app):
    with app.app_context():
        return list(db.session.scalars(sa.select(StageRequest).order_by(StageRequest.id)))


def _stage(app, agreement):
    with app.app_context():
        return db.session.get(Agreement, agreement.id).stage


def _notifications(app, user):
    with app.app_context():
        return list(
            db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id))
        )


def _ask(auth, client, make_agreement, to="ready_to_sign", note="Council memo attached", **kw):
    staff = auth.login("staff", **kw)
    agreement = make_agreement(stage="internal_approval")
    response = _move(client, agreement, to, note=note)
    assert response.status_code == 302
    auth.logout()
    return staff, agreement


def test_staff_move_out_of_internal_approval_becomes_a_pending_request(
    app, auth, client, make_agreement
):
    staff = auth.login("staff")
    agreement = make_agreement(stage="internal_approval")
    response = _move(client, agreement, "ready_to_sign", note="Council memo attached")
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "was sent to a manager for approval" in page
    assert "it waits for a manager" in page  # the banner on the agreement page
    assert _stage(app, agreement) == "internal_approval"
    [request] = _requests(app)
    assert (request.from_stage, request.to_stage, request.status) == (
        "internal_approval",
        "ready_to_sign",
        "pending",
    )
    assert request.requested_by_id == staff.id and request.note == "Council memo attached"
    # a second request while one waits is refused, with the reason
    again = _move(client, agreement, "negotiation", note="Back")
    assert again.status_code == 400
    assert "already waiting" in again.get_data(as_text=True)
    # the staff member sees their request and its status
    mine = client.get("/agreements/requests").get_data(as_text=True)
    assert "My stage requests" in mine and "Waiting for approval" in mine
    assert "Awaiting my approval" not in mine


def test_request_checks_the_rules_of_the_move(app, auth, client, make_agreement):
    auth.login("staff")
    agreement = make_agreement(stage="internal_approval")
    response = _move(client, agreement, "rejected")  # ending needs a reason, also as a request
    assert response.status_code == 400
    assert "Give the reason for ending the agreement." in response.get_data(as_text=True)
    assert _move(client, agreement, "signed").status_code == 400  # not a next stage
    assert _requests(app) == []


def test_manager_grants_the_request_and_the_stage_moves(app, auth, client, make_agreement):
    staff, agreement = _ask(auth, client, make_agreement)
    manager = auth.login("manager")
    page = client.get("/agreements/requests").get_data(as_text=True)
    assert "Awaiting my approval" in page and "Council memo attached" in page
    assert 'class="badge rounded-pill text-bg-warning" aria-hidden="true">1<' in page  # navbar
    [request] = _requests(app)
    response = client.post(
        f"/agreements/requests/{request.id}",
        data={"decision": "grant", f"r{request.id}-reason": ""},
    )
    assert response.status_code == 302
    assert _stage(app, agreement) == "ready_to_sign"
    [request] = _requests(app)
    assert request.status == "granted" and request.decided_by_id == manager.id
    with app.app_context():
        change = db.session.scalar(
            sa.select(StageChange).where(StageChange.agreement_id == agreement.id)
        )
        assert (change.from_stage, change.to_stage, change.changed_by_id, change.note) == (
            "internal_approval",
            "ready_to_sign",
            manager.id,
            "Council memo attached",
        )
        audited = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.user_id == manager.id)
        ).all()
        assert any(e.object_type == "agreements" and "stage" in e.changes for e in audited)
        assert any(e.object_type == "agreement_stage_requests" for e in audited)
    [note] = _notifications(app, staff)
    assert note.kind == "stage_request_decided" and note.record_kind == "agreement"
    assert note.subject == (
        "Your request to move “Memorandum on urban transport” to Ready to sign was granted."
    )
    assert "No request waits for your approval." in client.get("/agreements/requests").get_data(
        as_text=True
    )


def test_manager_refuses_with_a_reason_told_in_the_requesters_language(
    app, auth, client, make_agreement
):
    staff, agreement = _ask(auth, client, make_agreement, locale="fa")
    auth.login("manager")
    [request] = _requests(app)
    url = f"/agreements/requests/{request.id}"
    response = client.post(url, data={"decision": "refuse", f"r{request.id}-reason": " "})
    assert response.status_code == 400
    assert "Give the reason for refusing the request." in response.get_data(as_text=True)
    response = client.post(
        url, data={"decision": "refuse", f"r{request.id}-reason": "The budget is not approved"}
    )
    assert response.status_code == 302
    assert _stage(app, agreement) == "internal_approval"
    [request] = _requests(app)
    assert request.status == "refused" and request.reason == "The budget is not approved"
    [note] = _notifications(app, staff)
    # the Persian title and stage (the sentence around them comes from the catalogue)
    assert "تفاهم‌نامه حمل‌ونقل شهری" in note.subject and "آمادهٔ امضا" in note.subject
    assert "The budget is not approved" in note.subject
    # decided once: a second decision is refused
    again = client.post(url, data={"decision": "grant", f"r{request.id}-reason": ""})
    assert again.status_code == 400 and _stage(app, agreement) == "internal_approval"


def test_only_managers_decide_and_staff_see_only_their_own(
    app, auth, client, make_agreement, make_user
):
    staff, agreement = _ask(auth, client, make_agreement)
    [request] = _requests(app)
    auth.login("staff")  # another staff member
    assert (
        client.post(f"/agreements/requests/{request.id}", data={"decision": "grant"}).status_code
        == 403
    )
    assert "Council memo attached" not in client.get("/agreements/requests").get_data(as_text=True)
    assert "Awaiting approval" not in client.get("/").get_data(as_text=True)  # no navbar entry
    auth.logout()
    auth.login("viewer")
    assert client.get("/agreements/requests").status_code == 403
    assert _stage(app, agreement) == "internal_approval"


def test_a_request_is_superseded_when_a_manager_moves_the_agreement(
    app, auth, client, make_agreement
):
    _staff, agreement = _ask(auth, client, make_agreement)
    auth.login("manager")
    assert _move(client, agreement, "negotiation", note="More talks").status_code == 302
    [request] = _requests(app)
    assert request.status == "superseded"
    assert "No request waits for your approval." in client.get("/agreements/requests").get_data(
        as_text=True
    )


def test_no_notification_names_an_agreement_that_became_confidential(
    app, auth, client, make_agreement
):
    staff, agreement = _ask(auth, client, make_agreement)
    with app.app_context():
        db.session.get(Agreement, agreement.id).confidentiality = "confidential"
        db.session.commit()
    auth.login("manager")
    [request] = _requests(app)
    response = client.post(
        f"/agreements/requests/{request.id}",
        data={"decision": "refuse", f"r{request.id}-reason": "Not now"},
    )
    assert response.status_code == 302
    assert _notifications(app, staff) == []


def test_unknown_request_is_not_found(auth, client):
    auth.login("manager")
    assert client.post("/agreements/requests/999999", data={"decision": "grant"}).status_code == 404


def test_two_requests_at_the_same_moment_keep_one(
    app, auth, client, make_agreement, make_user, monkeypatch
):
    """The second of two requests made at once (both saw none waiting) is refused by the
    database's one-pending-request index, with the same message, not an error page."""
    from crm.agreements import requests

    _staff, agreement = _ask(auth, client, make_agreement)
    monkeypatch.setattr(requests, "pending_request", lambda agreement: None)
    auth.login("staff")
    response = _move(client, agreement, "negotiation", note="Back to the table")
    assert response.status_code == 400
    assert "already waiting" in response.get_data(as_text=True)
    assert [r.status for r in _requests(app)] == ["pending"]
