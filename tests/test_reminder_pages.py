"""The reminder pages: a user's e-mail choices, the admin's page (state, failures, settings)."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from crm.extensions import db
from crm.reminders.models import Reminder, SweepRun, UserReminderSetting
from crm.reminders.settings import load


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_a_user_chooses_which_reminders_come_by_email(app, client, auth, locale):
    user = auth.login("viewer", locale=locale)
    page = client.get("/settings").get_data(as_text=True)
    assert 'name="reminders-email_digest"' in page and "checked" in page
    response = client.post("/settings/reminders", data={"reminders-email_activity_due": "y"})
    assert response.status_code == 302
    with app.app_context():
        saved = dict(
            db.session.execute(
                select(UserReminderSetting.rule, UserReminderSetting.email).where(
                    UserReminderSetting.user_id == user.id
                )
            ).all()
        )
    assert saved["activity_due"] is True and saved["digest"] is False
    page = client.get("/settings").get_data(as_text=True)
    digest = page[page.index('name="reminders-email_digest"') - 200 :]
    assert "checked" not in digest.split(">")[0]


def failed_row(app, user):
    with app.app_context():
        row = Reminder(
            rule="activity_due",
            record_kind="activity",
            record_id=1,
            occurrence="2026-03-10-60",
            recipient_id=user.id,
            channel="email",
            due_at=datetime(2026, 3, 10, 4, 30, tzinfo=UTC),
            status="failed",
            attempts=5,
            last_error="SMTPRecipientsRefused: <x@example.org>",
        )
        db.session.add(row)
        db.session.add(
            SweepRun(started_at=datetime.now(UTC) - timedelta(minutes=1), until=datetime.now(UTC))
        )
        db.session.commit()
        return row.id


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_the_admin_sees_the_last_sweep_and_failures_and_sends_one_again(app, client, auth, locale):
    admin = auth.login("admin", locale=locale)
    row_id = failed_row(app, admin)
    page = client.get("/admin/reminders").get_data(as_text=True)
    assert "SMTPRecipientsRefused" in page and admin.display_name in page
    assert ("Last sweep" in page) if locale == "en" else ("آخرین" in page)
    assert client.post(f"/admin/reminders/{row_id}/retry").status_code == 302
    with app.app_context():
        row = db.session.get(Reminder, row_id)
        assert (row.status, row.attempts) == ("pending", 0)
    client.post(f"/admin/reminders/{row_id}/retry")  # not failed any more: nothing happens
    with app.app_context():
        assert db.session.get(Reminder, row_id).status == "pending"


def test_only_admins_see_the_reminders_page(client, auth):
    auth.login("manager")
    assert client.get("/admin/reminders").status_code == 403
    assert client.post("/admin/reminders/1/retry").status_code == 403


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_bad_settings_are_refused_with_messages_and_good_ones_saved(app, client, auth, locale):
    auth.login("admin", locale=locale)
    bad = {
        "digest_hour": "25",
        "expiry_days": "ninety",
        "milestone_days": "7, 999",
        "catch_up_days": "-1",
        "max_attempts": "0",
        "approval_repeat_days": "x",
        "dormant_days": "1",
    }
    response = client.post("/admin/reminders", data=bad)
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("invalid-feedback") == 7
    with app.app_context():
        assert load() == type(load())()  # nothing saved
    good = {
        "digest_hour": "۷",
        "expiry_days": "۶۰، 14",
        "milestone_days": "3",
        "catch_up_days": "2",
        "max_attempts": "3",
        "approval_repeat_days": "5",
        "dormant_days": "۹۰",
        "activity_remind_minutes": "",  # no reminder
    }
    assert client.post("/admin/reminders", data=good).status_code == 302
    with app.app_context():
        saved = load()
    assert (saved.digest_hour, saved.expiry_days, saved.milestone_days) == (7, (60, 14), (3,))
    assert (saved.catch_up_days, saved.max_attempts) == (2, 3)
    assert (saved.approval_repeat_days, saved.dormant_days) == (5, 90)
    assert saved.activity_remind_minutes == 0
    assert 'selected value="60"' not in client.get("/activities/new").get_data(as_text=True)


def test_with_redis_unreachable_the_admin_page_says_so(app, client, auth):
    app.config.update(REDIS_URL="redis://127.0.0.1:1/0", CRM_EMBEDDED_JOBS=False)
    auth.login("admin")
    response = client.get("/admin/reminders")
    assert response.status_code == 200
    assert "cannot be reached" in response.get_data(as_text=True)


def test_a_new_activity_proposes_the_default_reminder(client, auth):
    auth.login("staff")
    assert '<option selected value="60">' in client.get("/activities/new").get_data(as_text=True)
