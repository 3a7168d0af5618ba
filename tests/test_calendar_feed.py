"""The private iCal feed: what it holds (the user's own and attended activities, their
milestones and their agreements' dates, 90 days back to a year ahead, only what they may see),
how it reads (zones, all-day dates, UIDs), its address made, shown once, revoked and made anew
from the settings page, and its token kept out of the logs."""

import logging
import re
import urllib.request
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from icalendar import Calendar

from crm.extensions import db
from tests.conftest import serve


def new_address(client) -> str:
    response = client.post("/calendar/feed/new")
    assert response.status_code == 200
    return re.search(r'id="feed-url" [^>]*value="([^"]+)"', response.get_data(as_text=True))[1]


def path_of(address: str) -> str:
    return address.removeprefix("http://localhost")


def read_feed(client, address: str) -> Calendar:
    response = client.get(path_of(address))
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.data)


def events(calendar: Calendar) -> dict[str, object]:
    return {str(e["UID"]).split("@")[0]: e for e in calendar.walk("VEVENT")}


def tehran_today() -> date:
    return datetime.now(ZoneInfo("Asia/Tehran")).date()


def test_a_timed_activity_comes_back_at_its_time_in_the_users_zone(auth, client, make_activity):
    user = auth.login("staff", locale="en", timezone="Asia/Tehran")
    day = tehran_today() + timedelta(days=10)
    ten_in_tehran = datetime.combine(
        day, datetime.min.time().replace(hour=10), tzinfo=ZoneInfo("Asia/Tehran")
    )
    activity = make_activity(
        subject="Meeting with the consul",
        owner_id=user.id,
        due_on=None,
        starts_at=ten_in_tehran.astimezone(UTC),
        location="City hall",
    )
    calendar = read_feed(client, new_address(client))
    event = events(calendar)[f"activity-{activity.id}"]
    start = event["DTSTART"]
    assert start.params["TZID"] == "Asia/Tehran"
    assert start.dt.hour == 10 and start.dt.minute == 0 and start.dt.date() == day
    assert start.dt.utcoffset() == timedelta(hours=3, minutes=30)
    assert event["DTEND"].dt - start.dt == timedelta(hours=1)
    assert str(event["SUMMARY"]) == "Meeting: Meeting with the consul"
    assert str(event["LOCATION"]) == "City hall"
    assert str(event["URL"]) == f"http://localhost/activities/{activity.id}"
    assert event["DTSTAMP"].dt.tzinfo is not None
    zones = [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")]
    assert zones == ["Asia/Tehran"]
    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]).endswith(user.display_name)
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Tehran"


def test_all_day_dates_do_not_shift_with_the_zone(auth, client, app, make_activity, make_agreement):
    from crm.agreements.models import Milestone

    user = auth.login("staff", locale="en", timezone="America/Los_Angeles")
    due = tehran_today() + timedelta(days=20)
    activity = make_activity(
        subject="Send the letter", owner_id=user.id, due_on=due, starts_at=None
    )
    agreement = make_agreement(
        title_en="Tourism memo",
        owner_id=user.id,
        expires_on=due + timedelta(days=100),
        renewal_notice_days=30,
        signed_on=due - timedelta(days=30),
    )
    with app.app_context():
        db.session.add(
            Milestone(
                agreement_id=agreement.id,
                title="First report",
                due_on=due + timedelta(days=1),
                responsible_id=user.id,
            )
        )
        db.session.commit()
    address = new_address(client)
    raw = client.get(path_of(address)).get_data(as_text=True)
    assert f"DTSTART;VALUE=DATE:{due:%Y%m%d}" in raw
    found = events(Calendar.from_ical(raw))
    whole_days = {
        f"activity-{activity.id}": due,
        f"agreement-{agreement.id}-signed": due - timedelta(days=30),
        f"agreement-{agreement.id}-expires": due + timedelta(days=100),
        f"agreement-{agreement.id}-renewal-notice": due + timedelta(days=70),
    }
    for uid, day in whole_days.items():
        event = found[uid]
        assert event["DTSTART"].dt == day, uid
        assert event["DTEND"].dt == day + timedelta(days=1), uid
    milestone = next(e for uid, e in found.items() if uid.startswith("milestone-"))
    assert milestone["DTSTART"].dt == due + timedelta(days=1)
    assert str(milestone["SUMMARY"]) == "Milestone: First report"
    assert str(milestone["URL"]) == f"http://localhost/agreements/{agreement.id}#milestones"
    assert str(found[f"agreement-{agreement.id}-expires"]["SUMMARY"]) == "Expires: Tourism memo"


def test_the_feed_spans_90_days_back_to_a_year_ahead(auth, client, make_activity):
    user = auth.login("staff", locale="en", timezone="Asia/Tehran")
    today = tehran_today()
    inside = {
        n: make_activity(subject=f"day {n}", owner_id=user.id, due_on=today + timedelta(days=n)).id
        for n in (-90, -89, 0, 364, 365)
    }
    outside = {
        n: make_activity(subject=f"day {n}", owner_id=user.id, due_on=today + timedelta(days=n)).id
        for n in (-91, 366, 400)
    }
    found = events(read_feed(client, new_address(client)))
    for n, activity_id in inside.items():
        assert f"activity-{activity_id}" in found, n
    for n, activity_id in outside.items():
        assert f"activity-{activity_id}" not in found, n


def test_the_feed_holds_only_the_users_own_and_attended(
    auth, client, app, make_activity, make_agreement, make_user, make_contact, make_partner
):
    from crm.activities.models import Activity
    from crm.agreements.models import Milestone
    from crm.partners.models import Contact

    user = auth.login("staff", locale="en")
    other = make_user("staff")
    day = tehran_today() + timedelta(days=5)
    mine = make_activity(subject="Mine", owner_id=user.id, due_on=day)
    theirs = make_activity(subject="Theirs", owner_id=other.id, due_on=day)
    attended = make_activity(subject="Attended", owner_id=other.id, due_on=day)
    me_as_contact = make_contact(make_partner(name_en="Tehran"), email=user.email.upper())
    with app.app_context():
        db.session.get(Activity, attended.id).participants = [
            db.session.get(Contact, me_as_contact.id)
        ]
        db.session.commit()
    their_agreement = make_agreement(title_en="Theirs", owner_id=other.id, signed_on=day)
    with app.app_context():
        db.session.add(
            Milestone(
                agreement_id=their_agreement.id,
                title="Their step",
                due_on=day,
                responsible_id=other.id,
            )
        )
        db.session.add(
            Milestone(
                agreement_id=their_agreement.id, title="My step", due_on=day, responsible_id=user.id
            )
        )
        db.session.commit()
    found = events(read_feed(client, new_address(client)))
    summaries = sorted(str(e["SUMMARY"]) for e in found.values())
    assert f"activity-{mine.id}" in found and f"activity-{attended.id}" in found
    assert f"activity-{theirs.id}" not in found
    assert summaries == ["Meeting: Attended", "Meeting: Mine", "Milestone: My step"]


def test_a_confidential_agreement_never_reaches_a_staff_members_feed(
    auth, client, app, make_activity, make_agreement
):
    from crm.agreements.models import Milestone

    user = auth.login("staff", locale="en")
    day = tehran_today() + timedelta(days=3)
    secret = make_agreement(
        title_en="Secret memo",
        owner_id=user.id,
        signed_on=day,
        expires_on=day + timedelta(days=60),
        confidentiality="confidential",
    )
    make_activity(subject="Secret meeting", owner_id=user.id, due_on=day, agreement_id=secret.id)
    with app.app_context():
        db.session.add(
            Milestone(
                agreement_id=secret.id, title="Secret step", due_on=day, responsible_id=user.id
            )
        )
        db.session.commit()
    shown = make_activity(subject="Open meeting", owner_id=user.id, due_on=day)
    raw = client.get(path_of(new_address(client))).get_data(as_text=True)
    assert "Secret" not in raw
    assert f"activity-{shown.id}@" in raw


def test_summaries_are_in_the_users_language(auth, client, make_activity):
    user = auth.login("staff", locale="fa")
    make_activity(subject="دیدار با شهردار", owner_id=user.id, due_on=tehran_today())
    calendar = read_feed(client, new_address(client))
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "جلسه: دیدار با شهردار"


def test_revoking_the_address_makes_the_feed_not_found(auth, client):
    auth.login("staff", locale="en")
    address = new_address(client)
    assert client.get(path_of(address)).status_code == 200
    settings = client.get("/settings").get_data(as_text=True)
    assert "You have a calendar address" in settings and address not in settings
    response = client.post("/calendar/feed/revoke")
    assert response.status_code == 302
    assert client.get(path_of(address)).status_code == 404
    assert "You have no calendar address." in client.get("/settings").get_data(as_text=True)


def test_a_new_address_replaces_the_old(auth, client, app):
    from crm.calendar.models import CalendarFeed

    auth.login("staff", locale="en")
    old = new_address(client)
    new = new_address(client)
    assert old != new
    assert client.get(path_of(old)).status_code == 404
    assert client.get(path_of(new)).status_code == 200
    with app.app_context():
        rows = db.session.scalars(sa.select(CalendarFeed).order_by(CalendarFeed.id)).all()
        assert [row.revoked_at is None for row in rows] == [False, True]
        token = path_of(new).rsplit("/", 1)[1].removesuffix(".ics")
        assert all(token not in row.token_hash for row in rows)  # only a hash is kept
        assert len(token) >= 43


def test_a_deactivated_users_feed_is_not_found(auth, client, app):
    from crm.auth.models import User

    user = auth.login("staff", locale="en")
    address = new_address(client)
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert client.get(path_of(address)).status_code == 404


@pytest.mark.parametrize("token", ["x", "a" * 43, "a" * 500, "%00", "..%2F..%2Fetc"])
def test_unknown_tokens_are_not_found(client, token):
    assert client.get(f"/calendar/feed/{token}.ics").status_code == 404


def test_making_and_revoking_an_address_are_audited_without_the_hash(auth, client, app):
    from crm.audit import AuditEntry

    user = auth.login("staff", locale="en")
    new_address(client)
    client.post("/calendar/feed/revoke")
    with app.app_context():
        rows = db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.object_type == "calendar_feeds")
            .order_by(AuditEntry.id)
        ).all()
        assert [(row.action, row.user_id) for row in rows] == [
            ("create", user.id),
            ("update", user.id),
        ]
        assert "revoked_at" in rows[1].changes
        assert all("token_hash" not in row.changes for row in rows)


def test_the_address_forms_need_the_csrf_token(auth, client, app):
    auth.login("staff", locale="en")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/calendar/feed/new").status_code == 400
    assert client.post("/calendar/feed/revoke").status_code == 400


# --- the token in the logs ---------------------------------------------------------------------
def test_the_development_servers_log_masks_the_token(app, auth, client, caplog):
    auth.login("staff", locale="en")
    address = new_address(client)
    token = path_of(address).rsplit("/", 1)[1].removesuffix(".ics")
    caplog.set_level(logging.INFO, logger="werkzeug")
    with serve(app) as base, urllib.request.urlopen(base + path_of(address)) as response:
        assert response.status == 200
    assert "/calendar/feed/" in caplog.text
    assert token not in caplog.text and token[:4] + "…" in caplog.text


def test_gunicorns_access_log_masks_the_token(app, tmp_path):
    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    token = "s3cretT0kenThatMustNeverBeLoggedInFull_abcd"
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    logger = Logger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/calendar/feed/{token}.ics",
        "PATH_INFO": f"/calendar/feed/{token}.ics",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    response = SimpleNamespace(status="200 OK", headers=[], sent=120, response_length=120)
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=5))
    for handler in logging.getLogger("gunicorn.access").handlers:
        handler.flush()
    written = (tmp_path / "access.log").read_text()
    assert '"GET /calendar/feed/s3cr….ics HTTP/1.1" 200' in written
    assert token not in written


def test_the_apps_own_error_messages_mask_the_token(app, caplog):
    token = "anotherSecretTokenOfFortyThreeCharacters_xy"
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        app.logger.error("Exception on /calendar/feed/%s.ics [GET]", token)
    assert "/calendar/feed/anot….ics" in caplog.text and token not in caplog.text


def test_the_first_address_is_not_called_a_new_one_and_its_page_asked_again_goes_to_settings(
    auth, client
):
    auth.login("staff", locale="en")
    first = client.post("/calendar/feed/new").get_data(as_text=True)
    assert "Your calendar has an address" in first and "old one" not in first
    second = client.post("/calendar/feed/new").get_data(as_text=True)
    assert "The old one no longer works" in second
    address = re.search(r'id="feed-url" [^>]*value="([^"]+)"', second)[1]
    again = client.get("/calendar/feed/new?lang=fa")  # the language switch on that page
    assert again.status_code == 302 and again.headers["Location"].endswith(
        "/settings#calendar-feed"
    )
    assert read_feed(client, address) is not None  # asking again made no new address
