"""Logging a meeting in one pass: an activity created (or edited) as done takes its outcome and
next step, and "Done" on my follow-ups asks for the outcome."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from crm.activities.models import Activity
from crm.activities.services import ActivityData, save_activity
from crm.auth.models import User
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.permissions import acting_as

NEXT_WEEK = date.today() + timedelta(days=7)


def _activities(app) -> dict[str, Activity]:
    with app.app_context():
        rows = list(db.session.scalars(sa.select(Activity)))
        for row in rows:
            db.session.expunge(row)
        return {row.subject: row for row in rows}


# --- the service ---------------------------------------------------------------------------------
def test_an_activity_saved_as_done_plans_its_next_step(
    ctx, make_user, make_partner, make_agreement
):
    staff = db.session.get(User, make_user("staff").id)
    partner = make_partner(domain="cities")
    agreement = make_agreement(parties=[partner])
    data = ActivityData(
        kind="meeting",
        subject="Meeting with the mayor of Kazan",
        partner_id=partner.id,
        agreement_id=agreement.id,
        owner_id=staff.id,
        due_on=date.today(),
        status="done",
        outcome="Both sides want a youth exchange.",
        next_subject="Send the draft programme",
        next_kind="email",
        next_due_on=NEXT_WEEK,
    )
    with acting_as(staff):
        meeting = save_activity(None, data)
    follow = db.session.scalar(sa.select(Activity).where(Activity.previous_id == meeting.id))
    assert meeting.outcome == "Both sides want a youth exchange." and meeting.status == "done"
    assert (follow.subject, follow.kind, follow.due_on, follow.status) == (
        "Send the draft programme",
        "email",
        NEXT_WEEK,
        "planned",
    )
    assert (follow.partner_id, follow.agreement_id, follow.owner_id, follow.domain) == (
        partner.id,
        agreement.id,
        staff.id,
        "cities",
    )


def test_a_next_step_needs_a_done_activity_and_a_due_date(ctx, make_user, make_partner):
    staff = db.session.get(User, make_user("staff").id)
    partner = make_partner()
    base = {"subject": "Call", "partner_id": partner.id, "due_on": date.today()}
    with acting_as(staff):
        with pytest.raises(RuleBroken) as caught:
            save_activity(None, ActivityData(**base, next_subject="Write", next_due_on=NEXT_WEEK))
        assert set(caught.value.errors) == {"next_subject"}
        with pytest.raises(RuleBroken) as caught:
            save_activity(None, ActivityData(**base, status="done", next_subject="Write"))
        assert {k: str(v) for k, v in caught.value.errors.items()} == {
            "next_due_on": "Give the next step a due date."
        }
        save_activity(None, ActivityData(**base, status="done"))  # no next step: none made
    assert db.session.scalar(sa.select(sa.func.count(Activity.id))) == 1


def test_editing_an_activity_as_done_plans_its_next_step(ctx, make_user, make_activity):
    staff = db.session.get(User, make_user("staff").id)
    planned = db.session.get(Activity, make_activity(subject="Visit to Kazan").id)
    data = ActivityData(
        subject="Visit to Kazan",
        partner_id=planned.partner_id,
        due_on=planned.due_on,
        status="done",
        outcome="Went well.",
        next_subject="Thank-you letter",
        next_due_on=NEXT_WEEK,
    )
    with acting_as(staff):
        save_activity(planned, data)
    follow = db.session.scalar(sa.select(Activity).where(Activity.previous_id == planned.id))
    assert follow.subject == "Thank-you letter" and planned.status == "done"


# --- the activity form ---------------------------------------------------------------------------
def test_the_activity_form_logs_a_done_meeting_with_its_next_step_in_persian(
    app, auth, client, make_partner
):
    auth.login("staff", locale="fa")
    partner = make_partner()
    page = client.get(f"/activities/new?partner_id={partner.id}").get_data(as_text=True)
    assert 'name="next_subject"' in page and 'name="next_due_on"' in page
    response = client.post(
        "/activities/new",
        data={
            "kind": "meeting",
            "subject": "دیدار با شهردار استانبول",
            "partner_id": partner.id,
            "due_on": "۱۴۰۵/۰۹/۱۰",
            "status": "done",
            "outcome": "توافق شد برنامهٔ تبادل جوانان نوشته شود.",
            "next_subject": "ارسال پیش‌نویس برنامه",
            "next_kind": "email",
            "next_due_on": "۱۴۰۵/۰۹/۲۰",
        },
    )
    assert response.status_code == 302
    saved = _activities(app)
    meeting, follow = saved["دیدار با شهردار استانبول"], saved["ارسال پیش‌نویس برنامه"]
    assert meeting.outcome == "توافق شد برنامهٔ تبادل جوانان نوشته شود."
    assert (follow.previous_id, follow.due_on, follow.kind) == (
        meeting.id,
        date(2026, 12, 11),
        "email",
    )
    assert response.location.endswith(f"/activities/{meeting.id}")
    assert "گام بعدی برنامه‌ریزی شد." in client.get(response.location).get_data(as_text=True)


def test_a_next_step_on_a_planned_activity_is_refused_on_the_form(auth, client, make_partner):
    auth.login("staff")
    partner = make_partner()
    response = client.post(
        "/activities/new",
        data={
            "kind": "call",
            "subject": "Call Kazan",
            "partner_id": partner.id,
            "due_on": "2026-12-01",
            "status": "planned",
            "next_subject": "Write to Kazan",
            "next_due_on": "2026-12-08",
        },
    )
    assert response.status_code == 400
    error = re.search(r'id="next_subject-error"[^>]*>([^<]*)<', response.get_data(as_text=True))
    assert error and "set the status to Done" in error.group(1)


# --- my follow-ups -------------------------------------------------------------------------------
def test_done_on_my_followups_asks_for_the_outcome_without_script(auth, client, make_activity):
    user = auth.login("staff")
    activity = make_activity(subject="Call the Kazan office", owner_id=user.id)
    page = client.get("/activities/mine").get_data(as_text=True)
    done = page.split("<details")[1].split("</details>")[0]
    assert "<summary" in done and "Done" in done.split("</summary>")[0]
    assert f'action="/activities/{activity.id}/complete"' in done
    textarea = re.search(r"<textarea[^>]*>", done).group(0)
    assert f'id="outcome-{activity.id}"' in textarea and 'name="outcome"' in textarea
    assert f'<label class="form-label" for="outcome-{activity.id}">Outcome</label>' in done
    assert '<input type="hidden" name="next" value="/activities/mine">' in done
    assert "<script>" not in page


def test_done_from_my_followups_saves_the_outcome_and_comes_back(app, auth, client, make_activity):
    user = auth.login("staff")
    activity = make_activity(subject="Call the Kazan office", owner_id=user.id)
    response = client.post(
        f"/activities/{activity.id}/complete",
        data={
            "next": "/activities/mine",
            "outcome": "They agreed to a visit.",
            "next_subject": "Plan the visit",
            "next_kind": "task",
            "next_due_on": NEXT_WEEK.isoformat(),
        },
    )
    assert response.status_code == 302 and response.location.endswith("/activities/mine")
    saved = _activities(app)
    assert saved["Call the Kazan office"].outcome == "They agreed to a visit."
    assert saved["Plan the visit"].previous_id == activity.id
    page = client.get("/activities/mine").get_data(as_text=True)
    assert "Plan the visit" in page and "Call the Kazan office" not in page
