"""Overdue is visible everywhere and decided in one place: a planned activity whose due day (in
its owner's time zone) has ended, or whose start time has passed. The start page keeps the office's
activities coming up and past apart, by when they happen(ed)."""

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from crm.activities.lists import is_overdue, overdue, still_ahead
from crm.activities.models import Activity
from crm.auth.models import User
from crm.extensions import db
from crm.formatting import Formatter
from crm.main.services import dashboard
from crm.models import utcnow
from tests.conftest import count_queries

TEHRAN = ZoneInfo("Asia/Tehran")


def row_with(page: str, subject: str) -> str:
    """The list item or table row of ``page`` that shows ``subject``."""
    rows = re.findall(r"<(?:li|tr)\b(?:(?!<(?:li|tr)\b).)*?</(?:li|tr)>", page, re.S)
    found = [row for row in rows if subject in row]
    assert found, f"{subject!r} is not on the page"
    return found[0]


def badged(page: str, subject: str) -> bool:
    return "Overdue</span>" in row_with(page, subject)


# --- one rule ------------------------------------------------------------------------------------
def test_sql_and_python_agree_on_what_is_overdue_in_the_owners_zone(ctx, make_user, make_activity):
    """A due date is a day in its owner's time zone (the application's when nobody owns it):
    overdue once that day has ended, the same for every reader."""
    in_tehran, in_utc = make_user(timezone="Asia/Tehran"), make_user(timezone="UTC")
    # 21:00 UTC on 1 December 2026 is 00:30 on 2 December in Tehran.
    now = datetime(2026, 12, 1, 21, 0, tzinfo=UTC)
    cases = {
        "due yesterday here": {"due_on": date(2026, 11, 30)},
        "due on the 1st": {"due_on": date(2026, 12, 1)},
        "due on the 2nd": {"due_on": date(2026, 12, 2)},
        "started an hour ago": {"starts_at": now - timedelta(hours=1), "due_on": None},
        "starts in a minute": {"starts_at": now + timedelta(minutes=1), "due_on": None},
        "done long ago": {"due_on": date(2026, 11, 1), "status": "done"},
        "cancelled long ago": {"due_on": date(2026, 11, 1), "status": "cancelled"},
        "archived long ago": {"due_on": date(2026, 11, 1), "archived_at": now},
        "no date at all": {"due_on": None},
    }
    owners = {"Tehran": in_tehran.id, "UTC": in_utc.id, "nobody": None}
    for owner, owner_id in owners.items():
        for subject, values in cases.items():
            make_activity(subject=f"{owner}: {subject}", owner_id=owner_id, **values)
    late_in_tehran = {"due yesterday here", "due on the 1st", "started an hour ago"}
    expected = {
        *(f"Tehran: {s}" for s in late_in_tehran),
        *(f"nobody: {s}" for s in late_in_tehran),  # the application's zone is Tehran
        "UTC: due yesterday here",  # still the 1st in UTC
        "UTC: started an hour ago",
    }
    activities = list(db.session.scalars(sa.select(Activity)))
    in_sql = set(db.session.scalars(sa.select(Activity.subject).where(overdue(now))))
    in_python = {a.subject for a in activities if is_overdue(a, now)}
    assert in_sql == in_python == expected
    # a moment later the UTC owner's 1st is over too
    later = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    assert "UTC: due on the 1st" in set(
        db.session.scalars(sa.select(Activity.subject).where(overdue(later)))
    )


def test_a_due_day_ends_at_midnight_on_daylight_saving_changes(ctx, make_user, make_activity):
    """A day in Berlin lasts 25 hours when the clocks go back and 23 when they go forward: a
    due date becomes overdue at its owner's midnight, not 24 hours after the day began."""
    berlin = make_user(timezone="Europe/Berlin")
    autumn = make_activity(subject="autumn", owner_id=berlin.id, due_on=date(2026, 10, 25))
    spring = make_activity(subject="spring", owner_id=berlin.id, due_on=date(2027, 3, 28))
    # midnight after the day, in UTC: CET (+01:00) after the autumn change, CEST after spring
    ends = {
        autumn.id: datetime(2026, 10, 25, 23, 0, tzinfo=UTC),
        spring.id: datetime(2027, 3, 28, 22, 0, tzinfo=UTC),
    }
    for activity_id, end in ends.items():
        for now, late in ((end - timedelta(minutes=1), False), (end, True)):
            activity = db.session.get(Activity, activity_id)
            in_sql = db.session.scalar(
                sa.select(sa.func.count()).where(Activity.id == activity_id, overdue(now))
            )
            ahead = db.session.scalar(
                sa.select(sa.func.count()).where(Activity.id == activity_id, still_ahead(now))
            )
            assert (bool(in_sql), is_overdue(activity, now), bool(ahead)) == (late, late, not late)


def test_when_at_follows_the_date_the_owner_and_the_owners_zone(ctx, make_user, make_activity):
    tehran, utc = make_user(timezone="Asia/Tehran"), make_user(timezone="UTC")
    task = make_activity(owner_id=tehran.id, due_on=date(2026, 12, 1))
    meeting = make_activity(
        owner_id=tehran.id, due_on=None, starts_at=datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    )

    def when(activity):
        return db.session.scalar(sa.select(Activity.when_at).where(Activity.id == activity.id))

    assert when(task) == datetime(2026, 11, 30, 20, 30, tzinfo=UTC)  # midnight in Tehran
    assert when(meeting) == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    db.session.get(Activity, task.id).owner_id = utc.id
    db.session.commit()
    assert when(task) == datetime(2026, 12, 1, 0, 0, tzinfo=UTC)
    db.session.get(Activity, task.id).due_on = date(2026, 12, 3)
    db.session.commit()
    assert when(task) == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    db.session.get(User, utc.id).timezone = "Asia/Tokyo"  # +09:00
    db.session.get(User, tehran.id).timezone = "Asia/Tokyo"
    db.session.commit()
    assert when(task) == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    assert when(meeting) == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # a time stays the time
    db.session.get(Activity, task.id).owner_id = None  # the application's zone
    db.session.commit()
    assert when(task) == datetime(2026, 12, 2, 20, 30, tzinfo=UTC)


# --- every page ----------------------------------------------------------------------------------
def _work(user, make_partner, make_agreement, make_activity):
    """An agreement with a partner, and activities about it: late, timely and done."""
    partner = make_partner(name_en="Kazan", name_fa="کازان", country="RU")
    agreement = make_agreement(parties=[partner], title_en="Kazan memorandum")
    today = datetime.now(TEHRAN).date()
    common = {"agreement_id": agreement.id, "owner_id": user.id}
    make_activity(partner, subject="Late letter", due_on=today - timedelta(days=3), **common)
    make_activity(
        partner,
        subject="Call this morning",
        starts_at=utcnow() - timedelta(minutes=30),
        due_on=None,
        **common,
    )
    make_activity(partner, subject="Visit next week", due_on=today + timedelta(days=7), **common)
    make_activity(
        partner,
        subject="Signed the minutes",
        due_on=today - timedelta(days=5),
        status="done",
        outcome="Both sides signed.",
        **common,
    )
    return partner, agreement


def test_overdue_shows_with_one_badge_on_every_page(
    auth, client, make_partner, make_agreement, make_activity
):
    user = auth.login("staff", locale="en", timezone="Asia/Tehran")
    partner, agreement = _work(user, make_partner, make_agreement, make_activity)
    pages = {
        "activity list": client.get("/activities/?sort=when").get_data(as_text=True),
        "partner page": client.get(f"/partners/{partner.id}").get_data(as_text=True),
        "agreement page": client.get(f"/agreements/{agreement.id}").get_data(as_text=True),
        "start page": client.get("/").get_data(as_text=True).split('id="recent-heading"')[1],
    }
    for name, page in pages.items():
        assert badged(page, "Late letter"), name
        assert badged(page, "Call this morning"), name
        assert not badged(page, "Visit next week"), name
    for name in ("activity list", "agreement page", "start page"):
        assert not badged(pages[name], "Signed the minutes"), name
    activity_page = client.get(
        "/activities/"
        + re.search(r'href="/activities/(\d+)"[^>]*>Late letter', pages["activity list"]).group(1)
    ).get_data(as_text=True)
    assert "Overdue</span>" in activity_page


def test_overdue_badge_in_persian(auth, client, make_partner, make_agreement, make_activity):
    user = auth.login("staff", locale="fa", timezone="Asia/Tehran")
    _partner, agreement = _work(user, make_partner, make_agreement, make_activity)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "معوق</span>" in row_with(page, "Late letter")
    assert "معوق</span>" not in row_with(page, "Visit next week")


def test_agreement_page_lists_its_activities_that_the_reader_may_see(
    auth, client, make_partner, make_agreement, make_activity
):
    user = auth.login("staff", locale="en")
    partner, agreement = _work(user, make_partner, make_agreement, make_activity)
    make_activity(partner, subject="About something else", owner_id=user.id)
    make_activity(
        partner,
        subject="Archived chat",
        agreement_id=agreement.id,
        archived_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    section = page.split('id="activities"')[1].split("</section>")[0]
    planned = section.split('id="activities-open"')[1].split('id="activities-past"')[0]
    assert "Late letter" in planned and "Visit next week" in planned
    assert "Signed the minutes" not in planned
    past = section.split('id="activities-past"')[1]
    assert "Signed the minutes" in past and "Both sides signed." in past
    assert "About something else" not in section and "Archived chat" not in section
    assert f'href="/activities/new?agreement_id={agreement.id}"' in section


def test_activities_about_a_confidential_agreement_stay_hidden_with_it(
    auth, client, make_partner, make_agreement, make_activity
):
    auth.login("staff")
    partner = make_partner()
    secret = make_agreement(parties=[partner], confidentiality="confidential")
    make_activity(partner, subject="Secret talks", agreement_id=secret.id)
    assert client.get(f"/agreements/{secret.id}").status_code == 404
    assert "Secret talks" not in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login("manager")
    assert "Secret talks" in client.get(f"/agreements/{secret.id}").get_data(as_text=True)


def test_agreement_page_query_count_does_not_grow(
    app, auth, client, make_user, make_partner, make_agreement, make_activity
):
    user = auth.login("manager")
    partner = make_partner()
    agreement = make_agreement(parties=[partner])

    def fill(count):
        with app.app_context():
            from crm.agreements.models import Milestone, StageChange

            for n in range(count):
                db.session.add(Milestone(agreement_id=agreement.id, title=f"Step {n}"))
                db.session.add(
                    StageChange(
                        agreement_id=agreement.id,
                        from_stage="drafting",
                        to_stage="drafting",
                        changed_by_id=user.id,
                    )
                )
            db.session.commit()
        for n in range(count):
            other = make_user("staff")
            for status in ("planned", "done"):
                make_activity(
                    partner,
                    subject=f"Talk {n} {status}",
                    agreement_id=agreement.id,
                    owner_id=other.id,
                    status=status,
                )

    fill(1)
    with count_queries(app) as few:
        assert client.get(f"/agreements/{agreement.id}").status_code == 200
    fill(6)
    with count_queries(app) as many:
        page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Talk 5 planned" in page and "Talk 5 done" in page
    assert len(many) == len(few), (len(few), len(many))


# --- the start page ------------------------------------------------------------------------------
def test_start_page_orders_activities_by_when_with_past_and_coming_apart(
    ctx, make_user, make_activity
):
    user = db.session.get(User, make_user("staff").id)
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # 11:30 in Tehran
    today = date(2026, 12, 1)
    # Created in an order unlike their dates: the start page goes by when they happen(ed).
    for subject, values in {
        "in two weeks": {"due_on": today + timedelta(days=14)},
        "last month": {"due_on": today - timedelta(days=30), "status": "done"},
        "this afternoon": {"starts_at": now + timedelta(hours=4), "due_on": None},
        "yesterday": {"due_on": today - timedelta(days=1)},
        "an hour ago": {"starts_at": now - timedelta(hours=1), "due_on": None},
        "due today": {"due_on": today},
        "tomorrow": {"due_on": today + timedelta(days=1)},
    }.items():
        make_activity(subject=subject, **values)
    board = dashboard(user, Formatter("en", TEHRAN), now=now)
    assert [a.subject for a in board.coming] == [
        "due today",
        "this afternoon",
        "tomorrow",
        "in two weeks",
    ]
    assert [a.subject for a in board.past] == ["an hour ago", "yesterday", "last month"]


def test_start_page_shows_coming_up_before_past(auth, client, make_activity):
    auth.login("staff", locale="en")
    today = datetime.now(TEHRAN).date()
    make_activity(subject="Old visit", due_on=today - timedelta(days=9), status="done")
    make_activity(subject="Next visit", due_on=today + timedelta(days=9))
    page = client.get("/").get_data(as_text=True).split('id="recent-heading"')[1]
    coming = page.split('id="recent-coming"')[1].split('id="recent-past"')[0]
    past = page.split('id="recent-past"')[1]
    assert "Next visit" in coming and "Old visit" not in coming
    assert "Old visit" in past and "Next visit" not in past


def test_refresh_due_dates_follows_a_new_default_zone(app, runner, make_activity):
    """Due dates nobody owns are days in the application's zone; after it changes, one
    command moves them."""
    task = make_activity(owner_id=None, due_on=date(2026, 12, 1))
    app.config["CRM_DEFAULT_TIMEZONE"] = "UTC"
    result = runner.invoke(args=["crm", "refresh-due-dates"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        row = db.session.execute(
            sa.select(Activity.when_at, Activity.day_ends_at).where(Activity.id == task.id)
        ).one()
    assert tuple(row) == (datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 2, tzinfo=UTC))
