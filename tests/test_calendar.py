"""The calendar page: a Jalali month from Saturday in Persian, a Gregorian month from Monday in
English, a week view, navigation by plain links, times in the reader's zone, bad addresses
that fall back with a message, confidential agreements hidden, and a query count that does not
grow with the entries."""

import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser

import jdatetime
import pytest

from tests.conftest import count_queries


class _Grid(HTMLParser):
    """The month grid's days (data-date of each cell), its column headings and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.days: list[str] = []
        self.headings: list[str] = []
        self.links: dict[str, str] = {}  # id → href
        self.html_dir = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.html_dir = attrs.get("dir", "")
        if tag == "td" and "data-date" in attrs:
            self.days.append(attrs["data-date"])
        if tag == "abbr" and "title" in attrs:
            self.headings.append(attrs["title"])
        if tag == "a" and "id" in attrs:
            self.links[attrs["id"]] = attrs["href"].replace("&amp;", "&")


def grid(response) -> _Grid:
    assert response.status_code == 200, response.status_code
    parser = _Grid()
    parser.feed(response.get_data(as_text=True))
    return parser


def test_persian_month_is_a_jalali_grid_from_saturday_right_to_left(auth, client):
    auth.login("staff", locale="fa")
    page = grid(client.get("/calendar?date=2026-11-29"))  # 8 Azar 1405
    assert page.html_dir == "rtl"
    first_of_azar = jdatetime.date(1405, 9, 1).togregorian()
    first_of_dey = jdatetime.date(1405, 10, 1).togregorian()
    days = [date.fromisoformat(d) for d in page.days]
    assert len(days) % 7 == 0 and days == [days[0] + timedelta(days=n) for n in range(len(days))]
    assert days[0].weekday() == 5  # Saturday
    assert days[0] <= first_of_azar < days[0] + timedelta(days=7)
    assert days[-1] >= first_of_dey - timedelta(days=1) > days[-1] - timedelta(days=7)
    assert page.headings[0] == "شنبه" and page.headings[-1] == "جمعه"
    html = client.get("/calendar?date=2026-11-29").get_data(as_text=True)
    assert "آذر ۱۴۰۵" in html  # the month's name from the formatter, in Persian digits
    # the days are numbered in the Jalali month, in Persian digits
    assert re.search(
        rf'data-date="{first_of_azar}".*?<span aria-hidden="true">۱</span>', html, re.S
    )


def test_english_month_is_gregorian_from_monday(auth, client):
    auth.login("staff", locale="en")
    page = grid(client.get("/calendar?date=2026-11-29"))
    assert page.html_dir == "ltr"
    days = [date.fromisoformat(d) for d in page.days]
    assert days[0] == date(2026, 10, 26) and days[0].weekday() == 0  # the Monday before Nov 1
    assert days[-1] == date(2026, 12, 6)  # the Sunday after Nov 30
    assert page.headings[0] == "Monday" and page.headings[-1] == "Sunday"
    assert "November 2026" in client.get("/calendar?date=2026-11-29").get_data(as_text=True)


@pytest.mark.parametrize(
    "locale, view, previous, following",
    [
        ("fa", "month", "2026-10-23", "2026-12-22"),  # 1 Aban and 1 Dey 1405
        ("en", "month", "2026-10-01", "2026-12-01"),
        ("fa", "week", "2026-11-21", "2026-12-05"),  # Saturdays
        ("en", "week", "2026-11-16", "2026-11-30"),  # Mondays
    ],
)
def test_previous_and_next_are_plain_links(auth, client, locale, view, previous, following):
    auth.login("staff", locale=locale)
    page = grid(client.get(f"/calendar?view={view}&date=2026-11-29"))
    assert page.links["calendar-previous"] == f"/calendar?date={previous}&view={view}"
    assert page.links["calendar-next"] == f"/calendar?date={following}&view={view}"
    if view == "month":  # the next link leads to the next month
        after = grid(client.get(page.links["calendar-next"]))
        assert date.fromisoformat(following) in map(date.fromisoformat, after.days)
        assert date(2026, 11, 29) not in map(date.fromisoformat, after.days)


def test_week_view_lists_the_seven_days(auth, client, make_activity):
    auth.login("staff", locale="fa")
    make_activity(subject="Call the mayor's office", due_on=date(2026, 11, 25), starts_at=None)
    html = client.get("/calendar?view=week&date=2026-11-25").get_data(as_text=True)
    days = re.findall(r'<section[^>]*data-date="([\d-]+)"', html)
    assert days == [(date(2026, 11, 21) + timedelta(days=n)).isoformat() for n in range(7)]
    assert "Call the mayor&#39;s office" in html


@pytest.mark.parametrize(
    "query",
    [
        "date=2026-02-30",
        "date=yesterday",
        "date=%DB%B1%DB%B4",
        "date=0001-01-01",
        "date=9999-12-31",
        "view=year",
        "date=2026-11-29T10:00",
    ],
)
def test_bad_dates_and_views_fall_back_with_a_message(auth, client, query):
    auth.login("staff", locale="en")
    response = client.get(f"/calendar?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html
    assert "calendar-month" in html  # still a calendar


def test_a_nul_byte_in_the_date_is_refused_not_a_failure(auth, client):
    auth.login("staff", locale="en")
    assert client.get("/calendar?date=2026-11-29%00").status_code == 400


def test_entries_link_to_their_records_and_show_local_times(
    auth, client, make_activity, make_agreement
):
    user = auth.login("staff", locale="en", timezone="Asia/Tehran")
    # 06:30 UTC is 10:00 in Tehran
    activity = make_activity(
        subject="Meeting with the consul",
        starts_at=datetime(2026, 11, 10, 6, 30, tzinfo=UTC),
        due_on=None,
        owner_id=user.id,
    )
    agreement = make_agreement(
        title_en="Transport memo",
        expires_on=date(2026, 11, 20),
        renewal_notice_days=0,
        signed_on=date(2026, 11, 3),
    )
    html = client.get("/calendar?date=2026-11-01").get_data(as_text=True)
    cell = re.search(r'data-date="2026-11-10">(.*?)</td>', html, re.S).group(1)
    assert f'href="/activities/{activity.id}"' in cell and "10:00" in cell
    assert "Meeting with the consul" in cell
    signed = re.search(r'data-date="2026-11-03">(.*?)</td>', html, re.S).group(1)
    assert f'href="/agreements/{agreement.id}"' in signed and "Signed" in signed
    expires = re.search(r'data-date="2026-11-20">(.*?)</td>', html, re.S).group(1)
    assert "Expires" in expires and "Transport memo" in expires


def test_a_late_evening_meeting_falls_on_the_readers_day(auth, client, make_activity):
    auth.login("staff", locale="en", timezone="Asia/Tehran")
    # 21:00 UTC on the 9th is 00:30 on the 10th in Tehran
    make_activity(
        subject="Night call", starts_at=datetime(2026, 11, 9, 21, 0, tzinfo=UTC), due_on=None
    )
    html = client.get("/calendar?date=2026-11-01").get_data(as_text=True)
    cell = re.search(r'data-date="2026-11-10">(.*?)</td>', html, re.S).group(1)
    assert "Night call" in cell and "12:30" in cell


def test_milestones_appear_on_their_due_day(auth, client, app, make_agreement):
    from crm.agreements.models import Milestone
    from crm.extensions import db

    auth.login("staff", locale="en")
    agreement = make_agreement(title_en="Culture memo")
    with app.app_context():
        db.session.add(
            Milestone(agreement_id=agreement.id, title="Send the draft", due_on=date(2026, 11, 12))
        )
        db.session.commit()
    html = client.get("/calendar?date=2026-11-01").get_data(as_text=True)
    cell = re.search(r'data-date="2026-11-12">(.*?)</td>', html, re.S).group(1)
    assert "Send the draft" in cell and f"/agreements/{agreement.id}#milestones" in cell


def test_a_confidential_agreement_and_its_activities_stay_hidden_from_staff(
    auth, client, app, make_agreement, make_activity, make_user
):
    from crm.agreements.models import Milestone
    from crm.extensions import db

    secret = make_agreement(
        title_en="Secret memo",
        confidentiality="confidential",
        signed_on=date(2026, 11, 4),
        expires_on=date(2026, 11, 28),
    )
    make_activity(subject="Secret meeting", agreement_id=secret.id, due_on=date(2026, 11, 5))
    with app.app_context():
        db.session.add(
            Milestone(agreement_id=secret.id, title="Secret step", due_on=date(2026, 11, 6))
        )
        db.session.commit()
    auth.login("staff", locale="en")
    for view in ("month", "week"):
        html = client.get(f"/calendar?view={view}&date=2026-11-05").get_data(as_text=True)
        assert "Secret" not in html, view
    auth.logout()
    auth.login("manager", locale="en")
    html = client.get("/calendar?date=2026-11-05").get_data(as_text=True)
    for text in ("Secret memo", "Secret meeting", "Secret step"):
        assert text in html


def test_only_mine_shows_the_readers_own(auth, client, make_activity, make_user):
    user = auth.login("staff", locale="en")
    other = make_user("staff")
    make_activity(subject="My visit", owner_id=user.id, due_on=date(2026, 11, 5))
    make_activity(subject="Their visit", owner_id=other.id, due_on=date(2026, 11, 5))
    everything = client.get("/calendar?date=2026-11-05").get_data(as_text=True)
    assert "My visit" in everything and "Their visit" in everything
    mine = client.get("/calendar?date=2026-11-05&mine=1").get_data(as_text=True)
    assert "My visit" in mine and "Their visit" not in mine


def test_the_query_count_does_not_grow_with_the_entries(
    app, auth, client, make_activity, make_agreement
):
    from crm.agreements.models import Milestone
    from crm.extensions import db

    auth.login("staff", locale="fa")

    def add(n: int) -> None:
        for i in range(n):
            agreement = make_agreement(
                title_en=f"Memo {n}-{i}", reference=f"R-{n}-{i}", signed_on=date(2026, 11, 2 + i)
            )
            make_activity(
                subject=f"Visit {n}-{i}", agreement_id=agreement.id, due_on=date(2026, 11, 3 + i)
            )
            with app.app_context():
                db.session.add(
                    Milestone(
                        agreement_id=agreement.id,
                        title=f"Step {n}-{i}",
                        due_on=date(2026, 11, 4 + i),
                    )
                )
                db.session.commit()

    add(1)
    with count_queries(app) as few:
        assert client.get("/calendar?date=2026-11-15").status_code == 200
    add(12)
    with count_queries(app) as many:
        html = client.get("/calendar?date=2026-11-15").get_data(as_text=True)
    assert "Visit 12-11" in html
    assert len(many) == len(few), (len(few), len(many))


def test_the_navbar_links_to_the_calendar_in_both_languages(auth, client):
    auth.login("staff", locale="fa")
    html = client.get("/").get_data(as_text=True)
    assert 'href="/calendar"' in html


def test_a_busy_day_shows_its_first_four_and_counts_the_rest(auth, client, make_activity):
    auth.login("staff", locale="en")
    day = date(2026, 11, 17)
    make_activity(subject="All day task", due_on=day)
    for hour in range(6, 13):  # 06:00 to 12:00 in Tehran: 7 meetings
        start = datetime(2026, 11, 17, hour, 0, tzinfo=UTC) - timedelta(hours=3, minutes=30)
        make_activity(subject=f"Meeting at {hour:02d}", starts_at=start, due_on=None)
    html = client.get("/calendar?date=2026-11-15").get_data(as_text=True)
    cell = html.split('data-date="2026-11-17"')[1].split("</td>")[0]
    shown = list(dict.fromkeys(re.findall(r"(All day task|Meeting at \d\d)", cell)))
    assert shown == ["All day task", "Meeting at 06", "Meeting at 07", "Meeting at 08"]
    assert "4 more" in cell
    week = client.get("/calendar?view=week&date=2026-11-17").get_data(as_text=True)
    assert all(f"Meeting at {hour:02d}" in week for hour in range(6, 13))  # the week has all
