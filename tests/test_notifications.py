"""The notification centre as its reader sees it: the bell's count in the navbar (their own
unread notifications only, "99+" beyond 99, one statement a page), the list in both languages,
each item linked to its record unless the reader may no longer see it, and marking one or all
read, which nobody can do to another user's notifications."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from crm.extensions import db
from crm.notifications.models import Notification
from tests.conftest import count_queries

NOON = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 12:30 in Tehran, 5 Azar 1405


@pytest.fixture
def notify(app):
    """``notify(user, subject, **fields)`` → the id of a new notification for ``user``, made
    ``minutes`` after NOON (later ones are newer)."""

    def make(user, subject="Activity due today", minutes=0, **fields):
        with app.app_context():
            notification = Notification(
                user_id=user.id,
                kind=fields.pop("kind", "activity_due"),
                subject=subject,
                created_at=NOON + timedelta(minutes=minutes),
                **fields,
            )
            db.session.add(notification)
            db.session.commit()
            return notification.id

    return make


def read_at(app, notification_id: int):
    with app.app_context():
        return db.session.get(Notification, notification_id).read_at


def page_of(client, url: str = "/notifications") -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def bell(page: str) -> str:
    """The bell's link in the navbar."""
    start = page.index('href="/notifications"')
    return page[page.rindex("<a ", 0, start) : page.index("</a>", start)]


# --- the bell -----------------------------------------------------------------------------------
def test_bell_counts_only_the_readers_own_unread_notifications(
    app, auth, client, make_user, notify
):
    other = make_user("staff")
    for n in range(7):
        notify(other, f"Not yours {n}")
    user = auth.login("viewer")
    for n in range(3):
        notify(user, f"Yours {n}")
    notify(user, "Already read", read_at=NOON)
    link = bell(page_of(client, "/"))
    assert '<span class="badge rounded-pill text-bg-danger" aria-hidden="true">3</span>' in link
    assert '<span class="visually-hidden">3 unread notifications</span>' in link
    notify(user, "One more")
    assert "4 unread notifications" in bell(page_of(client, "/partners/"))


def test_bell_without_unread_notifications_has_no_badge(auth, client, notify):
    user = auth.login("staff")
    notify(user, "Read long ago", read_at=NOON)
    link = bell(page_of(client, "/"))
    assert "badge" not in link and "unread" not in link
    assert '<span class="visually-hidden">Notifications</span>' in link
    assert '<i class="bi bi-bell" aria-hidden="true"></i>' in link


def test_bell_says_99_plus_beyond_99_and_in_persian_digits(app, auth, client):
    user = auth.login("staff", locale="fa")

    def add(count: int) -> None:
        with app.app_context():
            db.session.add_all(
                Notification(user_id=user.id, kind="digest", subject=f"خلاصه {n}")
                for n in range(count)
            )
            db.session.commit()

    add(99)
    link = bell(page_of(client, "/"))
    assert ">۹۹</span>" in link and "۹۹ اعلان خوانده‌نشده" in link
    add(1)
    link = bell(page_of(client, "/"))
    assert ">۹۹+</span>" in link and "بیش از ۹۹ اعلان خوانده‌نشده" in link


def test_bell_costs_one_statement_a_page_and_none_signed_out(app, auth, client, notify):
    user = auth.login("staff")
    for n in range(5):
        notify(user, f"Due {n}")
    for url in ("/", "/partners/", "/activities/mine", "/no-such-page"):
        with count_queries(app) as statements:
            client.get(url)
        counts = [s for s in statements if "FROM notifications" in s and "count(" in s]
        assert len(counts) == 1, (url, counts)
        assert "LIMIT" in counts[0], counts[0]
    auth.logout()
    with count_queries(app) as statements:
        assert client.get("/login").status_code == 200
    assert not [s for s in statements if "notifications" in s]


def test_bell_is_in_every_roles_navbar_and_leads_to_the_centre(auth, client, notify):
    for role in ("viewer", "staff", "manager", "admin"):
        user = auth.login(role)
        notify(user, f"For the {role}")
        page = page_of(client, "/")
        assert "1 unread notification<" in bell(page), role
        assert f"For the {role}" in page_of(client), role
        auth.logout()


# --- the list -----------------------------------------------------------------------------------
@pytest.fixture
def records(make_partner, make_agreement, make_activity):
    kazan = make_partner(name_en="Kazan", name_fa="کازان")
    agreement = make_agreement(parties=[kazan], title_en="Tram accord", title_fa="توافق تراموا")
    activity = make_activity(kazan, subject="Call the Kazan mayor's office")
    return {"partner": kazan, "agreement": agreement, "activity": activity}


def test_list_links_each_item_to_its_record_newest_first_in_english(auth, client, notify, records):
    user = auth.login("viewer")
    notify(user, "Weekly digest: 3 follow-ups", kind="digest")
    notify(
        user,
        "Renewal notice due",
        minutes=1,
        kind="renewal_notice",
        record_kind="partner",
        record_id=records["partner"].id,
    )
    notify(
        user,
        "An agreement expires in 30 days",
        minutes=2,
        kind="agreement_expiry",
        record_kind="agreement",
        record_id=records["agreement"].id,
        late=True,
    )
    notify(
        user,
        "An activity is due today",
        minutes=3,
        record_kind="activity",
        record_id=records["activity"].id,
    )
    page = page_of(client)
    subjects = [
        "An activity is due today",
        "An agreement expires in 30 days",
        "Renewal notice due",
        "Weekly digest: 3 follow-ups",
    ]
    assert [page.index(s) for s in subjects] == sorted(page.index(s) for s in subjects)
    activity, agreement, partner = (records[k].id for k in ("activity", "agreement", "partner"))
    assert (
        f'Activity: <a href="/activities/{activity}">Call the Kazan mayor&#39;s office</a>' in page
    )
    assert f'Agreement: <a href="/agreements/{agreement}">Tram accord</a>' in page
    assert f'Partner: <a href="/partners/{partner}">Kazan</a>' in page
    assert page.count("Sent late") == 1
    late = page[page.index("Sent late") - 300 : page.index("Sent late")]
    assert "An agreement expires" not in late  # the badge sits before its own subject
    assert page.index("Sent late") < page.index("An agreement expires in 30 days")
    # times in the reader's zone (Tehran) and calendar
    assert '<time datetime="2026-11-26T09:03:00+00:00">Nov 26, 2026, 12:33\u202fPM</time>' in page
    assert page.count('<button type="submit" class="btn btn-sm btn-outline-secondary"') == 4
    assert page.count("notification-unread") == 4
    assert "badge text-bg-primary" not in page  # every item of the unread tab is unread
    assert page_of(client, "/notifications?show=all").count(">Unread</span>") == 4


def test_list_in_persian_shows_jalali_dates_persian_digits_and_translated_words(
    auth, client, notify, records
):
    user = auth.login("staff", locale="fa")
    notify(
        user,
        "قرارداد تا ۳۰ روز دیگر پایان می‌یابد",
        kind="agreement_expiry",
        record_kind="agreement",
        record_id=records["agreement"].id,
        late=True,
    )
    notify(user, "یادآوری قدیمی", minutes=-5, read_at=NOON)
    page = page_of(client)
    assert 'lang="fa" dir="rtl"' in page
    assert ">۱۴۰۵/۰۹/۰۵، ۱۲:۳۰</time>" in page
    agreement = records["agreement"].id
    assert f'توافق‌نامه: <a href="/agreements/{agreement}">توافق تراموا</a>' in page
    for word in ("اعلان‌ها", "خوانده‌نشده", "با تأخیر", "خوانده شد", "همه خوانده شد"):
        assert word in page, word
    assert "یادآوری قدیمی" not in page  # read: only under "all"
    everything = page_of(client, "/notifications?show=all")
    assert "یادآوری قدیمی" in everything and ">۱۴۰۵/۰۹/۰۵، ۱۲:۲۵</time>" in everything


def test_unread_tab_by_default_and_all_on_asking(auth, client, notify):
    user = auth.login("viewer")
    notify(user, "Still to read")
    notify(user, "Read yesterday", read_at=NOON)
    unread = page_of(client)
    assert "Still to read" in unread and "Read yesterday" not in unread
    assert 'aria-current="page" href="/notifications">Unread' in unread
    everything = page_of(client, "/notifications?show=all")
    assert "Still to read" in everything and "Read yesterday" in everything
    assert 'aria-current="page" href="/notifications?show=all">All' in everything
    # a read item has no "Mark as read" button and no "Unread" badge
    assert everything.count("Mark as read</button>") == 1
    assert everything.count(">Unread</span>") == 1


def test_empty_centre_says_so(auth, client, notify):
    user = auth.login("viewer")
    assert "You have no notifications yet." in page_of(client, "/notifications?show=all")
    notify(user, "Read already", read_at=NOON)
    page = page_of(client)
    assert "You have no unread notifications." in page and "Mark all as read" not in page


def test_list_pages_at_the_page_size_and_its_statements_do_not_grow(
    app, auth, client, notify, records
):
    user = auth.login("staff")
    kinds = ("activity", "agreement", "partner", None)

    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            kind = kinds[n % 4]
            notify(
                user,
                f"Item {n:02d}",
                minutes=n,
                record_kind=kind,
                record_id=records[kind].id if kind else None,
            )

    add(4, 0)
    with count_queries(app) as few:
        page_of(client)
    add(20, 4)  # CRM_PAGE_SIZE is 10 in tests
    with count_queries(app) as many:
        first = page_of(client)
    assert len(few) == len(many), "\n".join(many)
    assert "Item 23" in first and "Item 14" in first and "Item 13" not in first
    second = page_of(client, "/notifications?page=2")
    assert "Item 13" in second and "Item 04" in second and "Item 03" not in second


# --- marking read -------------------------------------------------------------------------------
def test_mark_one_read_goes_back_to_the_list_it_came_from(app, auth, client, notify):
    user = auth.login("viewer")
    first = notify(user, "First")
    second = notify(user, "Second", minutes=1)
    response = client.post(f"/notifications/{first}/read", data={"next": "/notifications?show=all"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications?show=all"
    assert read_at(app, first) is not None and read_at(app, second) is None
    page = page_of(client)
    assert "The notification was marked as read." in page
    assert "First" not in page and "Second" in page
    assert "1 unread notification<" in bell(page)
    # marking it again changes nothing and says nothing
    when = read_at(app, first)
    response = client.post(f"/notifications/{first}/read", follow_redirects=True)
    assert response.status_code == 200 and read_at(app, first) == when
    assert "marked as read" not in response.get_data(as_text=True)


def test_mark_all_read_marks_only_the_readers_own(app, auth, client, make_user, notify):
    other = make_user("staff")
    theirs = notify(other, "Theirs")
    user = auth.login("staff")
    mine = [notify(user, f"Mine {n}", minutes=n) for n in range(3)]
    response = client.post("/notifications/read-all", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "3 notifications were marked as read." in page
    assert all(read_at(app, n) is not None for n in mine)
    assert read_at(app, theirs) is None
    assert "badge rounded-pill" not in bell(page)
    again = client.post("/notifications/read-all", follow_redirects=True)
    assert "There were no unread notifications." in again.get_data(as_text=True)


def test_mark_all_read_in_persian_counts_in_persian(auth, client, notify):
    user = auth.login("staff", locale="fa")
    for n in range(2):
        notify(user, f"اعلان {n}")
    page = client.post("/notifications/read-all", follow_redirects=True).get_data(as_text=True)
    assert "۲ اعلان خوانده‌شده ثبت شد." in page


def test_another_users_notification_cannot_be_marked_or_seen(app, auth, client, make_user, notify):
    other = make_user("manager")
    theirs = notify(other, "A private reminder of the manager")
    auth.login("admin")  # not even an administrator
    response = client.post(f"/notifications/{theirs}/read")
    assert response.status_code == 404
    assert "This page or record does not exist" in response.get_data(as_text=True)
    assert read_at(app, theirs) is None
    assert "A private reminder" not in page_of(client, "/notifications?show=all")
    assert client.post("/notifications/987654/read").status_code == 404


def test_bad_ids_and_garbage_never_fail(auth, client, notify):
    user = auth.login("viewer")
    mine = notify(user, "Mine")
    for path in ("abc", "-1", "0", "1.5", "99999999999999999999", "%C2%B2", "1e3", "%20"):
        response = client.post(f"/notifications/{path}/read")
        assert response.status_code == 404, path
    for query in ("page=abc", "page=-3", "page=99999999999", "show=zzz", "show=", "page=%00"):
        response = client.get(f"/notifications?{query}")
        assert response.status_code in (200, 400), query
    assert client.get(f"/notifications/{mine}/read").status_code == 405
    assert client.get("/notifications/read-all").status_code == 405
    # a redirect only ever stays on this site
    for target in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        response = client.post(f"/notifications/{mine}/read", data={"next": target})
        assert response.headers["Location"] == "/notifications", target
        response = client.post("/notifications/read-all", data={"next": target})
        assert response.headers["Location"] == "/notifications", target


def test_marking_read_needs_the_forms_csrf_token(app, auth, client, notify):
    user = auth.login("viewer")
    mine = notify(user, "Mine")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post(f"/notifications/{mine}/read").status_code == 400
    assert client.post("/notifications/read-all").status_code == 400
    assert read_at(app, mine) is None
    page = page_of(client)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/notifications/{mine}/read", data={"csrf_token": token})
    assert response.status_code == 302 and read_at(app, mine) is not None


# --- records the reader may not see ---------------------------------------------------------------
def test_item_about_a_confidential_agreement_shows_staff_no_link_and_no_name(
    auth, client, make_partner, make_agreement, make_activity, notify
):
    kazan = make_partner(name_en="Kazan", name_fa="کازان")
    secret = make_agreement(
        parties=[kazan],
        title_en="Secret metro deal",
        title_fa="قرارداد محرمانه مترو",
        reference="SECRET-7",
        confidentiality="confidential",
    )
    hidden = make_activity(kazan, subject="Secret depot visit", agreement_id=secret.id)

    def page_for(role: str) -> str:
        """The list of a new user of ``role`` told about the agreement and its activity."""
        user = auth.login(role)
        notify(
            user,
            "An agreement you follow expires in 30 days",
            kind="agreement_expiry",
            record_kind="agreement",
            record_id=secret.id,
        )
        notify(
            user, "An activity is due today", minutes=1, record_kind="activity", record_id=hidden.id
        )
        page = page_of(client)
        auth.logout()
        return page

    page = page_for("staff")
    # a subject may name what it was about: hidden with the record, in its place a notice
    assert "An agreement you follow expires in 30 days" not in page
    assert "An activity is due today" not in page
    assert page.count("About a record you can no longer see.") == 2
    for secret_text in ("Secret metro deal", "قرارداد محرمانه مترو", "SECRET-7", "Secret depot"):
        assert secret_text not in page, secret_text
    assert f"/agreements/{secret.id}" not in page and f"/activities/{hidden.id}" not in page
    assert "Agreement:" not in page and "Activity:" not in page
    # the manager, who may see them, gets the links: the test can fail
    page = page_for("manager")
    assert f'Agreement: <a href="/agreements/{secret.id}">Secret metro deal</a>' in page
    assert f'Activity: <a href="/activities/{hidden.id}">Secret depot visit</a>' in page


def test_item_about_a_record_that_is_gone_hides_its_subject_too(auth, client, notify):
    user = auth.login("staff")
    notify(user, "About nothing known", record_kind="partner", record_id=987654)
    notify(user, "About a kind of record to come", record_kind="milestone", record_id=1)
    page = page_of(client)
    assert "About nothing known" not in page and "About a kind of record to come" in page
    assert "About a record you can no longer see." in page
    assert "/partners/987654" not in page and "Partner:" not in page


def test_a_failing_count_leaves_the_bell_without_a_number_and_the_page_whole(
    auth, client, notify, monkeypatch
):
    """The error page of a database that is down still renders its navbar."""
    from sqlalchemy.exc import OperationalError

    from crm.notifications import services

    user = auth.login("viewer")
    notify(user, "Unread")

    def down(*_args, **_kwargs):
        raise OperationalError("SELECT count(*)", {}, Exception("the server closed the connection"))

    monkeypatch.setattr(services, "unread_count", down)
    link = bell(page_of(client, "/"))
    assert "badge" not in link and '<span class="visually-hidden">Notifications</span>' in link


def test_python_and_sql_agree_on_whose_notifications_are_whose(app, make_user, notify):
    from sqlalchemy import select

    from crm.auth.models import User
    from crm.permissions import sees, visible

    users = [make_user(role) for role in ("viewer", "admin")]
    for user in users:
        notify(user, f"For {user.display_name}")
    with app.app_context():
        rows = db.session.scalars(select(Notification)).all()
        for user in (db.session.get(User, u.id) for u in users):
            mine = select(Notification.id).where(visible(Notification, user))
            shown = set(db.session.scalars(mine))
            assert {r.id for r in rows if sees(user, r)} == shown and len(shown) == 1
