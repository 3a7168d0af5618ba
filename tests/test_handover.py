"""An administrator hands a departing colleague's work to another: a preview of the counts, then
one audited act that moves owned partners and agreements, planned activities, open milestones
and pending reminders, and may deactivate the colleague who leaves."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm.activities.models import Activity
from crm.agreements.models import Agreement, Milestone
from crm.audit import AuditAct, AuditEntry
from crm.auth import sessions
from crm.auth.handover import hand_over
from crm.auth.models import User, UserSession
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.models import utcnow
from crm.partners.models import Partner
from crm.permissions import acting_as
from crm.reminders.models import Reminder, UserReminderSetting


def _work_of(app, user, make_partner, make_agreement, make_activity):
    """A partner, an agreement with an open and a done milestone, a planned and a done
    activity, and two pending reminders (in-app and e-mail) about the planned one."""
    partner = make_partner(name_en="Kazan", owner_id=user.id)
    agreement = make_agreement(parties=[partner], owner_id=user.id)
    planned = make_activity(partner=partner, owner_id=user.id, subject="Call the mayor")
    done = make_activity(partner=partner, owner_id=user.id, status="done", subject="Met")
    with app.app_context():
        milestones = [
            Milestone(agreement_id=agreement.id, title=title, responsible_id=user.id, status=st)
            for title, st in (("Draft the annex", "open"), ("Sign", "done"))
        ]
        reminders = [
            Reminder(
                rule="activity_due",
                record_kind="activity",
                record_id=planned.id,
                occurrence="2026-11-29T09:00",
                recipient_id=user.id,
                channel=channel,
                due_at=utcnow() - timedelta(minutes=1),
            )
            for channel in ("in_app", "email")
        ]
        db.session.add_all([*milestones, *reminders])
        db.session.commit()
        ids = [m.id for m in milestones], [r.id for r in reminders]
    return partner, agreement, planned, done, *ids


def _counts(page: str) -> list[str]:
    table = page.split('id="handover-counts"', 1)[1].split("</table>", 1)[0]
    return [cell.split("</td>")[0] for cell in table.split("<td>")[1:]]


def test_the_preview_counts_the_work_and_moves_nothing_until_confirmed(
    app, auth, client, make_user, make_partner, make_agreement, make_activity
):
    auth.login("admin")
    leaving, taking = make_user("staff"), make_user("staff", display_name="Taha")
    partner, agreement, planned, *_ = _work_of(
        app, leaving, make_partner, make_agreement, make_activity
    )
    page = client.get(f"/users/{leaving.id}/handover")
    assert page.status_code == 200
    assert _counts(page.get_data(as_text=True)) == ["1", "1", "1", "1", "2"]
    assert f'href="/users/{leaving.id}/handover"' in client.get(
        f"/users/{leaving.id}/edit"
    ).get_data(as_text=True)
    preview = client.post(f"/users/{leaving.id}/handover", data={"to": taking.id})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "Hand all of this over to Taha?" in html
    with app.app_context():
        assert db.session.get(Partner, partner.id).owner_id == leaving.id
        assert db.session.get(Activity, planned.id).owner_id == leaving.id


def test_the_confirmed_hand_over_moves_the_open_work_as_one_audited_act(
    app, auth, client, make_user, make_partner, make_agreement, make_activity
):
    admin = auth.login("admin")
    leaving, taking = make_user("staff"), make_user("staff", display_name="Taha")
    with app.app_context():
        sessions.start(db.session.get(User, leaving.id))
        db.session.add(UserReminderSetting(user_id=taking.id, rule="activity_due", email=False))
        db.session.commit()
    partner, agreement, planned, done, milestones, reminders = _work_of(
        app, leaving, make_partner, make_agreement, make_activity
    )
    data = {"to": taking.id, "deactivate": "y", "confirm": "yes"}
    response = client.post(f"/users/{leaving.id}/handover", data=data)
    assert response.status_code == 302 and response.headers["Location"] == "/users"
    assert "6 records were handed over to Taha." in client.get("/users").get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Partner, partner.id).owner_id == taking.id
        assert db.session.get(Agreement, agreement.id).owner_id == taking.id
        assert db.session.get(Activity, planned.id).owner_id == taking.id
        assert db.session.get(Activity, done.id).owner_id == leaving.id  # history stays
        open_one, done_one = (db.session.get(Milestone, i) for i in milestones)
        assert (open_one.responsible_id, done_one.responsible_id) == (taking.id, leaving.id)
        in_app, by_email = (db.session.get(Reminder, i) for i in reminders)
        assert (in_app.recipient_id, in_app.status) == (taking.id, "pending")
        assert by_email.status == "cancelled"  # Taha takes these reminders in the app only
        gone = db.session.get(User, leaving.id)
        assert gone.active is False
        assert not db.session.scalar(
            sa.select(sa.func.count()).where(UserSession.user_id == leaving.id)
        )
        [act] = db.session.scalars(sa.select(AuditAct).where(AuditAct.kind == "hand_over"))
        assert act.user_id == admin.id and "→ Taha" in act.summary
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.act_id == act.id))
        changed = {(e.object_type, e.object_id): e.changes for e in entries}
        assert changed[("partners", partner.id)]["owner_id"] == [leaving.id, taking.id]
        assert changed[("activities", planned.id)]["owner_id"] == [leaving.id, taking.id]
        assert changed[("agreement_milestones", open_one.id)]["responsible_id"][1] == taking.id
        assert changed[("users", leaving.id)]["active"] == [True, False]
        assert ("activities", done.id) not in changed


def test_only_an_administrator_hands_work_over(
    app, auth, client, make_user, make_partner, make_agreement, make_activity
):
    auth.login("manager")
    leaving, taking = make_user("staff"), make_user("staff")
    partner, *_ = _work_of(app, leaving, make_partner, make_agreement, make_activity)
    assert client.get(f"/users/{leaving.id}/handover").status_code == 403
    data = {"to": taking.id, "confirm": "yes"}
    assert client.post(f"/users/{leaving.id}/handover", data=data).status_code == 403
    with app.app_context():
        assert db.session.get(Partner, partner.id).owner_id == leaving.id
        assert not db.session.scalar(sa.select(sa.func.count()).where(AuditAct.kind == "hand_over"))


def test_the_work_goes_only_to_an_active_colleague_who_can_edit(
    app, auth, client, make_user, make_partner
):
    admin = auth.login("admin")
    leaving = make_user("staff")
    viewer = make_user("viewer", display_name="Vida")
    gone = make_user("staff", active=False)
    partner = make_partner(owner_id=leaving.id)
    url = f"/users/{leaving.id}/handover"
    for to in (viewer.id, gone.id, leaving.id, ""):
        response = client.post(url, data={"to": to, "confirm": "yes"})
        assert response.status_code == 400, to
    page = client.post(url, data={"to": viewer.id, "confirm": "yes"}).get_data(as_text=True)
    assert "Choose from the list." in page  # a viewer is not offered
    with app.test_request_context(), acting_as(db.session.get(User, admin.id)):
        with pytest.raises(RuleBroken) as refused:  # nor taken by the service
            hand_over(db.session.get(User, leaving.id), viewer.id)
        assert str(refused.value) == (
            "Vida can only read records; choose a colleague who can edit them."
        )
    own = client.post(
        f"/users/{admin.id}/handover", data={"to": make_user("staff").id, "deactivate": "y"}
    )
    assert own.status_code == 400
    assert "You cannot remove your own administrator role or deactivate yourself." in (
        own.get_data(as_text=True)
    )
    with app.app_context():
        assert db.session.get(Partner, partner.id).owner_id == leaving.id
