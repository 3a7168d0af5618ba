"""Stage requests as notification kinds: a manager is told of a request waiting for them, and
the requester of its outcome, in the app at once and by e-mail as each chose (the reminders'
ledger and delivery), in the reader's language and time zone, the refusal with its reason."""

from datetime import UTC, datetime

import sqlalchemy as sa

from crm import jobs
from crm.agreements.models import Agreement, StageRequest
from crm.extensions import db
from crm.formatting import Formatter
from crm.notifications.models import Notification
from crm.reminders.delivery import deliver
from crm.reminders.models import Reminder
from crm.reminders.services import set_email_choices
from tests.test_reminders import outbox


def _ask(auth, client, agreement, **staff):
    user = auth.login("staff", **staff)
    response = client.post(
        f"/agreements/{agreement.id}/stage",
        data={"stage": "ready_to_sign", "note": "Council memo attached"},
    )
    assert response.status_code == 302
    auth.logout()
    return user


def _decide(auth, client, decision, reason="", **manager):
    user = auth.login("manager", **manager)
    request_id = _request(client.application).id
    response = client.post(
        f"/agreements/requests/{request_id}",
        data={"decision": decision, f"r{request_id}-reason": reason},
    )
    assert response.status_code == 302
    auth.logout()
    return user


def _request(app) -> StageRequest:
    with app.app_context():
        return db.session.scalars(sa.select(StageRequest)).one()


def _told(app, user) -> list[tuple[str, str, str | None]]:
    with app.app_context():
        stmt = sa.select(Notification).where(Notification.user_id == user.id)
        return [(n.kind, n.subject, n.record_kind) for n in db.session.scalars(stmt)]


def _send_mail(app, rule) -> list[str]:
    """Deliver the pending e-mails of ``rule`` (as a worker does); what became of each."""
    with app.app_context():
        ids = db.session.scalars(
            sa.select(Reminder.id).where(
                Reminder.rule == rule, Reminder.channel == "email", Reminder.status == "pending"
            )
        ).all()
        return [deliver(i) for i in ids]


def _bodies(message) -> tuple[str, str]:
    return (
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


def test_a_manager_is_told_of_a_waiting_request_in_app_and_by_email_in_their_zone(
    app, auth, client, make_user, make_agreement
):
    manager = make_user("manager", timezone="America/New_York")
    no_mail = make_user("manager")
    make_user("manager", active=False)
    other_staff = make_user("staff")
    with app.app_context():
        set_email_choices(no_mail, {"digest"})
        db.session.commit()
    agreement = make_agreement(stage="internal_approval", title_en="Transport memo")
    staff = _ask(auth, client, agreement, display_name="Sara Ahmadi")
    [(kind, subject, record_kind)] = _told(app, manager)
    assert kind == "stage_request_waiting" and record_kind == "agreement"
    assert subject == "Sara Ahmadi asks to move “Transport memo” to Ready to sign"
    assert len(_told(app, no_mail)) == 1  # in the app whatever their e-mail choice
    assert _told(app, other_staff) == [] and _told(app, staff) == []
    assert _send_mail(app, "stage_request_waiting") == ["sent"]  # the manager who wants mail
    [message] = outbox(app)
    assert message["To"] == manager.email and message["Subject"] == subject
    assert message["Content-Language"] == "en"
    text, html = _bodies(message)
    request = _request(app)
    with app.app_context():
        asked_on = Formatter("en", "America/New_York").datetime(request.requested_at)
        tehran = Formatter("en", "Asia/Tehran").datetime(request.requested_at)
    assert asked_on != tehran and f"Asked on: {asked_on}" in text  # the reader's own clock
    assert "Note: Council memo attached" in text and "From stage: Internal approval" in text
    assert "/agreements/requests" in html  # where the manager decides


def test_the_waiting_email_is_queued_once_the_request_is_committed(
    app, auth, client, make_user, make_agreement
):
    make_user("manager")
    app.config["CRM_QUEUE"] = f"crm-test-{id(app)}"
    agreement = make_agreement(stage="internal_approval")
    _ask(auth, client, agreement)
    with app.app_context():
        [row] = db.session.scalars(sa.select(Reminder).where(Reminder.channel == "email"))
        queued = jobs.queue().jobs
        assert [(job.func_name, job.args) for job in queued] == [
            ("crm.reminders.tasks.deliver_job", (row.id,))
        ]
        queued[0].delete()


def test_the_requester_is_mailed_the_refusal_and_its_reason_in_persian(
    app, auth, client, make_user, make_agreement
):
    manager = make_user("manager")
    with app.app_context():
        set_email_choices(manager, set())  # this one reads them in the app only
        db.session.commit()
    agreement = make_agreement(
        stage="internal_approval", title_en="Transport memo", title_fa="تفاهم‌نامه حمل‌ونقل"
    )
    staff = _ask(auth, client, agreement, locale="fa", timezone="Asia/Tehran")
    _decide(auth, client, "refuse", reason="بودجه هنوز تصویب نشده است", display_name="Reza")
    [(kind, subject, _record)] = _told(app, staff)
    assert kind == "stage_request_decided"
    assert "تفاهم‌نامه حمل‌ونقل" in subject and "بودجه هنوز تصویب نشده است" in subject
    assert _send_mail(app, "stage_request_waiting") == []  # the deciding manager chose no mail
    assert _send_mail(app, "stage_request_decided") == ["sent"]
    [message] = [m for m in outbox(app) if m["To"] == staff.email]
    assert message["Subject"] == subject and message["Content-Language"] == "fa"
    text, html = _bodies(message)
    assert "بودجه هنوز تصویب نشده است" in text and "Reza" in text
    request = _request(app)
    with app.app_context():
        decided_on = Formatter("fa", "Asia/Tehran").datetime(request.decided_at)
    assert decided_on in text and "۱۴" in decided_on  # a Jalali date in Persian digits
    assert 'dir="rtl"' in html and f"/agreements/{agreement.id}" in html


def test_the_requester_is_mailed_the_grant_in_english(app, auth, client, make_user, make_agreement):
    agreement = make_agreement(stage="internal_approval", title_en="Transport memo")
    staff = _ask(auth, client, agreement, timezone="Europe/London")
    _decide(auth, client, "grant")
    [(kind, subject, _record)] = _told(app, staff)
    assert subject == "Your request to move “Transport memo” to Ready to sign was granted."
    assert _send_mail(app, "stage_request_decided") == ["sent"]
    [message] = [m for m in outbox(app) if m["To"] == staff.email]
    text, _html = _bodies(message)
    assert message["Content-Language"] == "en" and "Decided by: Manager" in text
    assert "Reason:" not in text  # a grant needs none


def test_no_email_about_an_agreement_the_requester_may_no_longer_see(
    app, auth, client, make_user, make_agreement
):
    agreement = make_agreement(stage="internal_approval")
    staff = _ask(auth, client, agreement)
    with app.app_context():
        db.session.get(Agreement, agreement.id).confidentiality = "confidential"
        db.session.commit()
    _decide(auth, client, "refuse", reason="Confidential now")
    assert _told(app, staff) == []
    assert _send_mail(app, "stage_request_decided") == []
    assert all(m["To"] != staff.email for m in outbox(app))


def test_the_choices_of_email_list_the_stage_request_kinds(auth, client):
    auth.login("manager")
    page = client.get("/settings").get_data(as_text=True)
    assert 'name="reminders-email_stage_request_waiting"' in page
    assert 'name="reminders-email_stage_request_decided"' in page


def test_an_email_whose_request_was_decided_meanwhile_is_cancelled_when_sent(
    app, auth, client, make_user, make_agreement
):
    make_user("manager")
    agreement = make_agreement(stage="internal_approval")
    _ask(auth, client, agreement)
    with app.app_context():
        request = db.session.scalars(sa.select(StageRequest)).one()
        request.status = "granted"
        request.decided_at = datetime.now(UTC)
        db.session.commit()
    assert _send_mail(app, "stage_request_waiting") == ["cancelled"]
    assert outbox(app) == []
