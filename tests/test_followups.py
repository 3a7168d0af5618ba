"""My follow-ups: grouping by the user's own day and week, and a constant query count."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from freezegun import freeze_time

from crm.activities.followups import my_followups
from crm.auth.models import User
from crm.extensions import db
from crm.formatting import Formatter
from tests.conftest import count_queries

TEHRAN = ZoneInfo("Asia/Tehran")


def _groups(user_id, now, persian=True):
    user = db.session.get(User, user_id)
    result = my_followups(user, Formatter("fa" if persian else "en", TEHRAN), now=now)
    return {name: [a.subject for a in rows] for name, rows in result.groups.items()}, result


def test_persian_week_runs_saturday_to_friday_and_english_monday_to_sunday():
    persian, english = Formatter("fa", TEHRAN), Formatter("en", TEHRAN)
    wednesday = date(2026, 12, 2)
    assert persian.week_end(wednesday) == date(2026, 12, 4)  # Friday
    assert english.week_end(wednesday) == date(2026, 12, 6)  # Sunday
    friday, sunday = date(2026, 12, 4), date(2026, 12, 6)
    assert persian.week_end(friday) == friday
    assert english.week_end(sunday) == sunday
    assert persian.week_end(date(2026, 12, 5)) == date(2026, 12, 11)  # Saturday


def test_followups_are_grouped_by_the_users_local_day(ctx, make_user, make_activity, make_partner):
    user = make_user(timezone="Asia/Tehran")
    partner = make_partner()
    # 19:00 UTC on Tuesday 1 December 2026 is 22:30 in Tehran, still the 1st.
    now = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)

    def add(subject, **when):
        values = {"due_on": None, "owner_id": user.id} | when
        make_activity(partner, subject=subject, **values)

    add("yesterday task", due_on=date(2026, 11, 30))
    add("this morning", starts_at=datetime(2026, 12, 1, 5, 30, tzinfo=UTC))
    # 23:30 Tehran on the 1st is 20:00 UTC on the 1st: today, though still ahead.
    add("late tonight", starts_at=datetime(2026, 12, 1, 20, 0, tzinfo=UTC))
    # 00:15 Tehran on the 2nd is 20:45 UTC on the 1st: the same UTC day, but tomorrow here.
    add("just after midnight", starts_at=datetime(2026, 12, 1, 20, 45, tzinfo=UTC))
    add("due today", due_on=date(2026, 12, 1))
    add("friday", due_on=date(2026, 12, 4))
    add("next saturday", due_on=date(2026, 12, 5))
    add("someone else's", due_on=date(2026, 12, 1), owner_id=make_user().id)
    add("already done", due_on=date(2026, 12, 1), status="done")
    add("archived", due_on=date(2026, 12, 1), archived_at=now)

    groups, result = _groups(user.id, now)
    assert result.today == date(2026, 12, 1)
    # This morning's meeting (09:00 in Tehran) was not marked done: at 22:30 it is overdue,
    # as on every page; a task due today is not overdue before the day is over.
    assert groups["overdue"] == ["this morning", "yesterday task"]
    assert sorted(groups["today"]) == ["due today", "late tonight"]
    assert sorted(groups["week"]) == ["friday", "just after midnight"]
    assert groups["later"] == ["next saturday"]
    assert result.counts == {"overdue": 2, "today": 2, "week": 2, "later": 1}

    # 100 minutes later it is 00:10 on the 2nd in Tehran: yesterday's task and last night's
    # meeting are now overdue, although it is still the 1st in UTC.
    groups, result = _groups(user.id, now + timedelta(minutes=100))
    assert result.today == date(2026, 12, 2)
    assert sorted(groups["overdue"]) == [
        "due today",
        "late tonight",
        "this morning",
        "yesterday task",
    ]
    assert groups["today"] == ["just after midnight"]


def test_english_week_extends_to_sunday(ctx, make_user, make_activity):
    user = make_user()
    make_activity(subject="saturday visit", owner_id=user.id, due_on=date(2026, 12, 5))
    now = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert _groups(user.id, now, persian=False)[0]["week"] == ["saturday visit"]
    assert _groups(user.id, now, persian=True)[0]["week"] == []


def test_my_followups_page_shows_groups_in_users_zone(auth, client, make_activity):
    # The page reads the real clock: hold it at noon in Tehran today, so that a call at 23:59
    # is still ahead whenever the suite runs (it once ran a minute before Tehran's midnight).
    noon = datetime.now(TEHRAN).replace(hour=12, minute=0, second=0, microsecond=0)
    with freeze_time(noon):
        user = auth.login("staff", locale="fa", timezone="Asia/Tehran")
        today = noon.date()
        late_tonight = datetime.combine(
            today, datetime.min.time().replace(hour=23, minute=59), tzinfo=TEHRAN
        ).astimezone(UTC)
        make_activity(
            subject="Late call to Kazan", owner_id=user.id, starts_at=late_tonight, due_on=None
        )
        make_activity(
            subject="Forgotten letter", owner_id=user.id, due_on=today - timedelta(days=3)
        )
        page = client.get("/activities/mine").get_data(as_text=True)
    today_section = page.split('id="group-today"')[1]
    overdue_section = page.split('id="group-overdue"')[1].split('id="group-today"')[0]
    assert "Late call to Kazan" in today_section and "۲۳:۵۹" in today_section
    assert "Forgotten letter" in overdue_section
    assert 'action="/activities/' in page and "/complete" in page  # quick "done"


def test_viewer_sees_followups_without_done_buttons(auth, client, make_activity):
    user = auth.login("viewer")
    make_activity(subject="Read the report", owner_id=user.id)
    page = client.get("/activities/mine").get_data(as_text=True)
    assert "Read the report" in page and "/complete" not in page


def test_empty_followups_page_is_friendly(auth, client):
    auth.login("staff")
    page = client.get("/activities/mine").get_data(as_text=True)
    assert "Nothing to follow up" in page


def _fill(user, make_partner, make_activity, make_agreement, count):
    today = datetime.now(TEHRAN).date()
    for n in range(count):
        partner = make_partner(name_en=f"Partner {n}")
        agreement = make_agreement(parties=[partner])
        for offset in (-5, 0, 2, 30):
            make_activity(
                partner,
                subject=f"Item {n} {offset}",
                owner_id=user.id,
                agreement_id=agreement.id,
                due_on=today + timedelta(days=offset),
            )


def test_my_followups_query_count_does_not_grow(
    auth, client, app, make_partner, make_activity, make_agreement
):
    user = auth.login("staff", locale="en")
    _fill(user, make_partner, make_activity, make_agreement, 1)
    with count_queries(app) as few:
        assert client.get("/activities/mine").status_code == 200
    _fill(user, make_partner, make_activity, make_agreement, 6)
    with count_queries(app) as many:
        page = client.get("/activities/mine").get_data(as_text=True)
    assert "Partner 5" in page
    assert len(many) == len(few) <= 10, (len(few), len(many))
