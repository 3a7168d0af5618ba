"""Reminders: the rules' moments across time zones, the ledger's exactly-once, catch-up after
downtime, retries, and who is told what (run inline, as ``flask crm sweep`` does)."""

import email
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crm.extensions import db
from crm.notifications.models import Notification
from crm.reminders import ledger
from crm.reminders.delivery import deliver
from crm.reminders.models import Reminder, SweepRun, UserReminderSetting
from crm.reminders.sweep import sweep

NOW = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)  # 09:30 in Tehran


def run(app, now):
    """A sweep at ``now`` and the delivery of everything it hands out; the ledger's rows."""
    with app.app_context():
        result = sweep(now)
        outcomes = [deliver(i, now) for i in result.ready]
        return result, outcomes


def meeting(make_activity, owner):
    """A meeting of ``owner``'s in half an hour with a reminder an hour ahead: due already."""
    return make_activity(
        owner_id=owner.id,
        starts_at=NOW + timedelta(minutes=30),
        due_on=None,
        remind_before_minutes=60,
    )


def started(app, now):
    """A sweep log that ends at ``now``, as if the sweep had been running until then."""
    with app.app_context():
        db.session.add(SweepRun(started_at=now, until=now))
        db.session.commit()


def rows(app, **where):
    with app.app_context():
        stmt = select(Reminder).filter_by(**where).order_by(Reminder.id)
        return [(r.rule, r.channel, r.status, r.late, r.due_at) for r in db.session.scalars(stmt)]


def notifications(app, user, kind="any but digests"):
    """The user's notifications (by default, all but the daily digests, tested on their own)."""
    with app.app_context():
        stmt = select(Notification).where(Notification.user_id == user.id)
        if kind == "any but digests":
            stmt = stmt.where(Notification.kind != "digest")
        elif kind is not None:
            stmt = stmt.where(Notification.kind == kind)
        return [
            (n.kind, n.subject, n.late) for n in db.session.scalars(stmt.order_by(Notification.id))
        ]


def outbox(app) -> list[email.message.EmailMessage]:
    folder = Path(app.config["CRM_OUTBOX"])
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]


def test_a_meeting_reminds_its_owner_once_in_app_and_by_email_in_their_language(
    app, make_user, make_activity
):
    owner = make_user("staff", locale="fa", timezone="Asia/Tehran")
    make_activity(
        subject="دیدار با شهردار استانبول",
        owner_id=owner.id,
        starts_at=NOW + timedelta(minutes=50),  # 10:20 Tehran time
        due_on=None,
        remind_before_minutes=60,
    )
    started(app, NOW - timedelta(minutes=15))
    _result, outcomes = run(app, NOW)
    assert sorted(outcomes) == ["sent", "sent"]
    [(kind, subject, late)] = notifications(app, owner)
    assert kind == "activity_due" and not late
    assert "دیدار با شهردار استانبول" in subject and "۱۰:۲۰" in subject
    [message] = outbox(app)
    assert message["To"] == owner.email
    assert message["Subject"] == subject
    assert message["Message-ID"].startswith("<reminder.activity_due.activity.")
    assert message["Content-Language"] == "fa"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "۱۴۰۴" in text  # the Jalali year of March 2026, in Persian digits
    assert 'dir="rtl"' in html and "/activities/" in html
    # a second sweep, and a second delivery of the same rows, change nothing
    run(app, NOW + timedelta(minutes=1))
    with app.app_context():
        assert [deliver(r.id, NOW) for r in db.session.scalars(select(Reminder))] == [
            "not claimed",
            "not claimed",
        ]
    assert len(notifications(app, owner)) == 1 and len(outbox(app)) == 1


def test_an_english_reader_gets_the_gregorian_date_and_their_local_time(
    app, make_user, make_activity
):
    owner = make_user("staff", locale="en", timezone="America/New_York")
    make_activity(
        subject="Call with Lyon",
        owner_id=owner.id,
        starts_at=NOW + timedelta(minutes=30),  # 02:30 in New York (summer time since 8 March)
        due_on=None,
        remind_before_minutes=60,
    )
    started(app, NOW - timedelta(hours=1))
    run(app, NOW)
    [(_kind, subject, _late)] = notifications(app, owner)
    assert "Call with Lyon" in subject and "2:30" in subject and "2026" in subject


@pytest.mark.parametrize(
    "zone, morning_utc",
    [
        ("Asia/Tehran", datetime(2026, 3, 11, 4, 30, tzinfo=UTC)),  # 08:00 +03:30
        ("America/Los_Angeles", datetime(2026, 3, 11, 15, 0, tzinfo=UTC)),  # 08:00 PDT
        ("Pacific/Auckland", datetime(2026, 3, 10, 19, 0, tzinfo=UTC)),  # 08:00 NZDT
    ],
)
def test_a_due_date_reminds_at_eight_in_the_morning_of_that_day_in_the_owners_zone(
    app, make_user, make_activity, zone, morning_utc
):
    owner = make_user("staff", timezone=zone)
    make_activity(owner_id=owner.id, due_on=date(2026, 3, 11), remind_before_minutes=60)
    started(app, morning_utc - timedelta(minutes=1))
    run(app, morning_utc - timedelta(seconds=1))
    assert notifications(app, owner) == []  # not a second early
    run(app, morning_utc)
    assert [kind for kind, _s, _l in notifications(app, owner)] == ["activity_due"]
    assert rows(app, channel="in_app", rule="activity_due")[0][4] == morning_utc


def test_a_day_ahead_reminder_of_a_due_date_goes_out_the_morning_before(
    app, make_user, make_activity
):
    owner = make_user("staff", timezone="Asia/Tehran")
    make_activity(owner_id=owner.id, due_on=date(2026, 3, 12), remind_before_minutes=1440)
    started(app, NOW - timedelta(days=1))
    run(app, datetime(2026, 3, 11, 4, 30, tzinfo=UTC))
    assert [r[4] for r in rows(app, rule="activity_due")] == [
        datetime(2026, 3, 11, 4, 30, tzinfo=UTC)
    ] * 2


def test_across_a_daylight_saving_change_the_reminder_keeps_the_local_hour(
    app, make_user, make_activity
):
    owner = make_user("staff", timezone="Europe/Berlin")  # summer time from 29 March 2026
    make_activity(owner_id=owner.id, due_on=date(2026, 3, 30), remind_before_minutes=60)
    started(app, datetime(2026, 3, 29, 0, 0, tzinfo=UTC))
    run(app, datetime(2026, 3, 30, 12, 0, tzinfo=UTC))
    assert rows(app, channel="in_app", rule="activity_due")[0][4] == datetime(
        2026, 3, 30, 6, 0, tzinfo=UTC
    )


def test_no_reminder_means_none(app, make_user, make_activity):
    owner = make_user("staff")
    make_activity(owner_id=owner.id, starts_at=NOW + timedelta(minutes=10), due_on=None)
    started(app, NOW - timedelta(hours=1))
    run(app, NOW)
    assert rows(app) == []


@pytest.mark.parametrize("change", ["done", "cancelled", "archived", "moved", "new owner"])
def test_what_no_longer_applies_is_cancelled_not_sent(app, make_user, make_activity, change):
    from crm.activities.models import Activity

    owner, other = make_user("staff"), make_user("staff")
    activity = meeting(make_activity, owner)
    started(app, NOW - timedelta(hours=1))
    with app.app_context():
        result = sweep(NOW)
        record = db.session.get(Activity, activity.id)
        if change == "archived":
            record.archive()
        elif change == "moved":
            record.starts_at = NOW + timedelta(days=2)
        elif change == "new owner":
            record.owner_id = other.id
        else:
            record.status = change
        db.session.commit()
        assert {deliver(i, NOW) for i in result.ready} == {"cancelled"}
    assert notifications(app, owner) == [] and outbox(app) == []
    if change == "moved":  # the new time is reminded of in its turn
        run(app, NOW + timedelta(days=2) - timedelta(minutes=59))
        assert len(notifications(app, owner)) == 1


def test_the_first_sweep_of_a_database_floods_no_one(app, make_user, make_activity):
    owner = make_user("staff")
    for days in (1, 2, 30):
        make_activity(
            owner_id=owner.id,
            starts_at=NOW - timedelta(days=days),
            due_on=None,
            remind_before_minutes=60,
        )
    result, _ = run(app, NOW)
    assert result.written == 0 and notifications(app, owner) == []


def test_after_downtime_what_was_missed_is_sent_once_late_and_older_is_skipped(
    app, make_user, make_activity
):
    owner = make_user("staff")
    for days in (1, 2, 5):  # the catch-up window is three days
        make_activity(
            subject=f"{days} days ago",
            owner_id=owner.id,
            starts_at=NOW - timedelta(days=days) + timedelta(hours=1),
            due_on=None,
            remind_before_minutes=60,
        )
    started(app, NOW - timedelta(days=7))  # the last sweep ran a week ago
    run(app, NOW)
    sent = notifications(app, owner)
    assert sorted(subject.split(":")[1].split(",")[0].strip() for _k, subject, _l in sent) == [
        "1 days ago",
        "2 days ago",
    ]
    assert all(late for _k, _s, late in sent)
    assert [
        status for _r, _c, status, _l, _d in rows(app, channel="in_app", rule="activity_due")
    ].count("skipped") == 1
    run(app, NOW + timedelta(minutes=1))  # and the next sweep sends nothing again
    assert len(notifications(app, owner)) == 2


def test_two_sweeps_at_once_write_each_reminder_once(app, make_user, make_activity):
    owner = make_user("staff")
    meeting(make_activity, owner)
    started(app, NOW - timedelta(hours=1))
    with app.app_context():
        first = sweep(NOW)
        db.session.execute(
            SweepRun.__table__.delete().where(
                SweepRun.id == select(func.max(SweepRun.id)).scalar_subquery()
            )
        )
        db.session.commit()
        second = sweep(NOW)  # sees the same span, as a concurrent sweep would
        assert first.written == 2 and second.written == 0
        for i in first.ready + second.ready:
            deliver(i, NOW)
    assert len(notifications(app, owner)) == 1 and len(outbox(app)) == 1


def test_email_off_for_a_rule_keeps_the_in_app_notification(app, make_user, make_activity):
    owner = make_user("staff")
    with app.app_context():
        db.session.add(UserReminderSetting(user_id=owner.id, rule="activity_due", email=False))
        db.session.commit()
    meeting(make_activity, owner)
    started(app, NOW - timedelta(hours=1))
    run(app, NOW)
    assert len(notifications(app, owner)) == 1 and outbox(app) == []


def test_a_failing_mail_server_is_retried_with_back_off_then_failed(app, make_user, make_activity):
    owner = make_user("staff")
    meeting(make_activity, owner)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=1, SMTP_SECURITY="none")  # refused
    started(app, NOW - timedelta(hours=1))
    run(app, NOW)
    assert len(notifications(app, owner)) == 1  # in-app does not wait for e-mail
    with app.app_context():
        row = db.session.scalars(select(Reminder).filter_by(channel="email")).one()
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.next_try_at == NOW + timedelta(minutes=1)
        assert "ConnectionRefusedError" in row.last_error
        assert deliver(row.id, NOW) == "not claimed"  # not before its time
        moment = NOW
        for _attempt in range(4):
            moment = db.session.get(Reminder, row.id).next_try_at
            assert moment is not None
            deliver(row.id, moment)
        row = db.session.get(Reminder, row.id)
        assert (row.status, row.attempts) == ("failed", 5)
        assert ledger.retry_failed(row.id)
        db.session.commit()
        app.config.update(SMTP_HOST=None)
        assert deliver(row.id, moment) == "sent"
    assert len(outbox(app)) == 1


def test_a_worker_that_died_while_sending_is_reaped_and_the_reminder_sent_once(
    app, make_user, make_activity
):
    owner = make_user("staff")
    meeting(make_activity, owner)
    started(app, NOW - timedelta(hours=1))
    with app.app_context():
        result = sweep(NOW)
        for i in result.ready:
            assert ledger.claim(i, NOW)  # claimed, then the worker died
        later = sweep(NOW + timedelta(minutes=5))
        assert later.reaped == 0 and later.ready == []  # not yet: it may still be working
        later = sweep(NOW + timedelta(minutes=11))
        assert later.reaped == 2 and sorted(later.ready) == sorted(result.ready)
        for i in later.ready:
            assert deliver(i, NOW + timedelta(minutes=11)) == "sent"
    assert len(notifications(app, owner)) == 1 and len(outbox(app)) == 1


def test_expiry_reminds_owner_and_managers_at_90_30_and_7_days(app, make_user, make_agreement):
    owner, manager = make_user("staff"), make_user("manager", locale="fa")
    make_user("staff")  # not told
    make_agreement(
        stage="active", owner_id=owner.id, expires_on=date(2026, 4, 9), renewal_notice_days=0
    )
    started(app, datetime(2026, 1, 1, tzinfo=UTC))
    run(app, datetime(2026, 3, 10, 4, 35, tzinfo=UTC))  # 30 days before, 08:05 in Tehran
    assert [k for k, _s, _l in notifications(app, owner)] == ["agreement_expiry"]
    [(_kind, subject, late)] = notifications(app, manager)
    assert "۳۰" in subject and not late
    # the 90-day reminder (9 January) fell before the last sweep's end: it was sent then


def test_a_confidential_agreement_is_told_to_managers_only(app, make_user, make_agreement):
    owner, manager = make_user("staff"), make_user("manager")
    make_agreement(
        stage="active",
        owner_id=owner.id,
        confidentiality="confidential",
        expires_on=date(2026, 3, 17),
        renewal_notice_days=0,
    )
    started(app, datetime(2026, 3, 9, tzinfo=UTC))
    run(app, datetime(2026, 3, 10, 5, 0, tzinfo=UTC))  # 7 days before
    assert notifications(app, owner) == []
    assert len(notifications(app, manager)) == 1
    assert [m["To"] for m in outbox(app)] == [manager.email]


def test_the_renewal_notice_deadline_is_reminded_ahead(app, make_user, make_agreement):
    owner = make_user("staff")
    make_agreement(
        stage="active", owner_id=owner.id, expires_on=date(2026, 7, 8), renewal_notice_days=90
    )  # notice due by 9 April: 30 days after 10 March
    started(app, datetime(2026, 3, 9, tzinfo=UTC))
    run(app, datetime(2026, 3, 10, 5, 0, tzinfo=UTC))
    [(kind, subject, _late)] = notifications(app, owner)
    assert kind == "renewal_notice" and "renewal notice" in subject and "30 days" in subject


def test_the_daily_digest_tells_a_user_what_is_overdue_today_and_this_week(
    app, make_user, make_activity
):
    owner = make_user("staff", timezone="Asia/Tehran")
    idle = make_user("staff")
    make_activity(subject="Late letter", owner_id=owner.id, due_on=date(2026, 3, 5))
    make_activity(subject="Today's call", owner_id=owner.id, due_on=date(2026, 3, 10))
    started(app, NOW - timedelta(hours=2))  # 04:00 UTC: the digest hour, 04:30, is in the span
    run(app, NOW)
    [(kind, subject, _late)] = notifications(app, owner, "digest")
    assert kind == "digest" and "1 overdue, 1 today" in subject
    assert notifications(app, idle, "digest") == []  # nothing to tell: no digest
    [message] = [m for m in outbox(app) if "digest" in m["Message-ID"]]
    assert "Late letter" in message.get_body(("plain",)).get_content()
    assert "/activities/mine" in message.get_body(("plain",)).get_content()


def test_an_agreement_past_its_expiry_expires_and_its_owner_and_managers_are_told(
    app, make_user, make_agreement
):
    from crm.agreements.models import Agreement, StageChange

    owner, manager = make_user("staff"), make_user("manager")
    agreement = make_agreement(stage="active", owner_id=owner.id, expires_on=date(2026, 3, 9))
    started(app, NOW - timedelta(hours=1))
    run(app, datetime(2026, 3, 9, 20, 0, tzinfo=UTC))  # 23:30 in Tehran: the 9th has not ended
    with app.app_context():
        assert db.session.get(Agreement, agreement.id).stage == "active"
    run(app, datetime(2026, 3, 9, 20, 31, tzinfo=UTC))  # 00:01 on the 10th in Tehran
    with app.app_context():
        assert db.session.get(Agreement, agreement.id).stage == "expired"
        [change] = db.session.scalars(
            select(StageChange).where(StageChange.agreement_id == agreement.id)
        )
        assert (change.from_stage, change.to_stage, change.changed_by_id) == (
            "active",
            "expired",
            None,
        )
    for user in (owner, manager):
        [(kind, subject, _late)] = notifications(app, user, "agreement_lapsed")
        assert "has expired" in subject
    run(app, datetime(2026, 3, 9, 21, 0, tzinfo=UTC))  # nothing again
    assert len(notifications(app, owner, "agreement_lapsed")) == 1


def test_an_agreement_that_renews_itself_gets_another_term(app, make_user, make_agreement):
    from crm.agreements.models import Agreement, StageChange

    owner = make_user("staff")
    agreement = make_agreement(
        stage="active",
        owner_id=owner.id,
        effective_on=date(2025, 3, 1),
        expires_on=date(2026, 3, 1),
        auto_renew=True,
    )
    started(app, NOW - timedelta(hours=1))
    run(app, NOW)
    with app.app_context():
        renewed = db.session.get(Agreement, agreement.id)
        assert (renewed.stage, renewed.expires_on) == ("active", date(2027, 3, 1))
        stages = db.session.execute(
            select(StageChange.from_stage, StageChange.to_stage)
            .where(StageChange.agreement_id == agreement.id)
            .order_by(StageChange.id)
        ).all()
        assert [tuple(s) for s in stages] == [("active", "renewal"), ("renewal", "active")]
    [(_kind, subject, _late)] = notifications(app, owner, "agreement_lapsed")
    assert "renewed itself" in subject and "2027" in subject


def test_a_staff_member_never_hears_of_a_confidential_agreement_lapsing(
    app, make_user, make_agreement
):
    owner, manager = make_user("staff"), make_user("manager")
    make_agreement(
        stage="active",
        owner_id=owner.id,
        confidentiality="confidential",
        expires_on=date(2026, 3, 1),
    )
    started(app, NOW - timedelta(hours=1))
    run(app, NOW)
    assert notifications(app, owner, None) == []
    assert len(notifications(app, manager, "agreement_lapsed")) == 1
    assert all(owner.email != m["To"] for m in outbox(app))


def test_an_agreement_waiting_for_approval_tells_the_managers_at_once_and_again(
    app, make_user, make_agreement
):
    from crm.agreements.models import StageChange

    manager, staff = make_user("manager"), make_user("staff")
    agreement = make_agreement(stage="internal_approval", owner_id=staff.id)
    with app.app_context():
        db.session.add(
            StageChange(
                agreement_id=agreement.id,
                from_stage="negotiation",
                to_stage="internal_approval",
                changed_at=NOW - timedelta(minutes=2),
            )
        )
        db.session.commit()
    started(app, NOW - timedelta(minutes=5))
    run(app, NOW)
    assert [s for _k, s, _l in notifications(app, manager, "approval_waiting")] == [
        "Memorandum on urban transport is waiting for your approval"
    ]
    assert notifications(app, staff, "approval_waiting") == []
    run(app, NOW + timedelta(days=2))
    assert len(notifications(app, manager, "approval_waiting")) == 1
    run(app, NOW + timedelta(days=3))  # three days on, by default
    assert "still waiting" in notifications(app, manager, "approval_waiting")[-1][1]


def test_a_relationship_anniversary_reminds_the_owner_a_week_ahead_and_flags_round_years(
    app, make_user, make_partner
):
    owner = make_user("staff", timezone="Asia/Tehran")
    make_partner(owner_id=owner.id, relationship_since=date(2016, 3, 17))  # 10 years
    make_partner(owner_id=owner.id, relationship_since=date(2023, 3, 18))  # not this week
    started(app, datetime(2026, 3, 10, 4, 0, tzinfo=UTC))
    run(app, datetime(2026, 3, 10, 4, 31, tzinfo=UTC))  # 08:01 on 10 March in Tehran
    [(kind, subject, _late)] = notifications(app, owner, "anniversary")
    assert "10 years of the relationship" in subject and "Mar 17, 2026" in subject
    with app.app_context():
        assert db.session.scalars(select(Reminder).filter_by(rule="anniversary")).first()


def test_a_partner_left_without_activity_is_reported_to_its_owner_weekly(
    app, make_user, make_partner, make_activity
):
    from crm.partners.models import Partner

    owner = make_user("staff", timezone="Asia/Tehran", locale="en")  # weeks start on Monday
    quiet = make_partner(owner_id=owner.id, name_en="Quiet City")
    busy = make_partner(owner_id=owner.id, name_en="Busy City")
    make_activity(partner=busy, owner_id=owner.id, due_on=date(2026, 2, 1), status="done")
    with app.app_context():
        for partner in (quiet, busy):
            db.session.get(Partner, partner.id).created_at = datetime(2025, 1, 1, tzinfo=UTC)
        db.session.commit()
    started(app, datetime(2026, 3, 9, 4, 0, tzinfo=UTC))  # Monday 9 March, 07:30 in Tehran
    run(app, datetime(2026, 3, 9, 4, 31, tzinfo=UTC))
    [(kind, subject, _late)] = notifications(app, owner, "dormant_partners")
    assert "Quiet City" in subject and "Busy City" not in subject
    run(app, datetime(2026, 3, 10, 4, 31, tzinfo=UTC))  # not again on Tuesday
    assert len(notifications(app, owner, "dormant_partners")) == 1
