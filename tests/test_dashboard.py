"""The start page: partners per domain, agreements per stage, expiries, my follow-ups."""

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest

from crm.agreements.models import StageChange
from crm.auth.models import User
from crm.extensions import db
from crm.formatting import Formatter
from crm.main.services import dashboard
from tests.conftest import count_queries

TODAY = datetime.now(ZoneInfo("Asia/Tehran")).date()
TEHRAN = Formatter("en", "Asia/Tehran")


def test_dashboard_counts_partners_and_visible_agreements(
    ctx, make_user, make_partner, make_agreement
):
    make_partner(domain="cities")
    make_partner(domain="cities")
    make_partner(domain="private_sector", kind="company")
    make_partner(domain="citizens", archived_at=datetime(2026, 1, 1, tzinfo=UTC))
    make_agreement(stage="active", confidentiality="public")
    make_agreement(stage="active", confidentiality="confidential")
    make_agreement(stage="idea")
    staff = db.session.get(User, make_user("staff").id)
    manager = db.session.get(User, make_user("manager").id)

    board = dashboard(staff, TEHRAN)
    assert board.partners_by_domain["cities"] == 2 + 3  # three made by make_agreement
    assert board.partners_by_domain["private_sector"] == 1
    assert board.partners_by_domain["citizens"] == 0
    assert list(board.partners_by_domain) == [
        "organizations",
        "private_sector",
        "cities",
        "citizens",
    ]
    assert board.agreements_by_stage["active"] == 1 and board.agreements_by_stage["idea"] == 1
    assert dashboard(manager, TEHRAN).agreements_by_stage["active"] == 2


def test_dashboard_lists_agreements_expiring_within_90_days(ctx, make_user, make_agreement):
    soon = make_agreement(
        stage="active", expires_on=TODAY + timedelta(days=30), confidentiality="public"
    )
    make_agreement(stage="active", expires_on=TODAY + timedelta(days=120))
    make_agreement(stage="active", expires_on=TODAY - timedelta(days=1))
    make_agreement(stage="drafting", expires_on=TODAY + timedelta(days=10))
    hidden = make_agreement(
        stage="signed", expires_on=TODAY + timedelta(days=5), confidentiality="confidential"
    )
    staff = db.session.get(User, make_user("staff").id)
    assert [a.id for a in dashboard(staff, TEHRAN).expiring] == [soon.id]
    manager = db.session.get(User, make_user("manager").id)
    assert [a.id for a in dashboard(manager, TEHRAN).expiring] == [hidden.id, soon.id]


def test_start_page_shows_my_overdue_and_upcoming_followups(
    auth, client, make_activity, make_agreement
):
    user = auth.login("staff", locale="en")
    make_activity(subject="Missed call", owner_id=user.id, due_on=TODAY - timedelta(days=2))
    make_activity(subject="Visit tomorrow", owner_id=user.id, due_on=TODAY + timedelta(days=1))
    make_activity(subject="Not mine", due_on=TODAY)
    make_agreement(
        stage="active",
        title_en="Expiring twinning",
        expires_on=TODAY + timedelta(days=20),
        confidentiality="public",
    )
    page = client.get("/").get_data(as_text=True)
    overdue = page.split("Overdue")[1].split("Coming up")[0]
    assert "Missed call" in overdue
    assert "Visit tomorrow" in page.split("Coming up")[1]
    assert "Expiring twinning" in page and "in 20 days" in page
    assert "Not mine" in page.split('id="recent-heading"')[1]  # the office's activities
    assert "Not mine" not in page.split('id="recent-heading"')[0]


def test_start_page_in_persian(auth, client, make_partner):
    auth.login("viewer", locale="fa")
    make_partner()
    response = client.get("/")
    assert response.status_code == 200
    assert 'dir="rtl"' in response.get_data(as_text=True)


def test_start_page_query_count_does_not_grow(
    auth, client, app, make_partner, make_agreement, make_activity
):
    user = auth.login("staff")

    def fill(count):
        for n in range(count):
            partner = make_partner(name_en=f"Town {n}")
            agreement = make_agreement(
                parties=[partner], stage="active", expires_on=TODAY + timedelta(days=10 + n)
            )
            for offset in (-3, 2):
                make_activity(
                    partner,
                    owner_id=user.id,
                    agreement_id=agreement.id,
                    due_on=TODAY + timedelta(days=offset),
                )

    fill(1)
    with count_queries(app) as few:
        assert client.get("/").status_code == 200
    fill(7)
    with count_queries(app) as many:
        page = client.get("/").get_data(as_text=True)
    assert "Town 6" in page
    assert len(many) == len(few) <= 12


# --- the dashboard (/dashboard): figures from crm.main.figures, each linked to its list ---------
LONG_AGO = datetime.now(UTC) - timedelta(days=400)


@pytest.fixture
def office(app, make_user, make_partner, make_agreement, make_activity):
    """A small office: a public and a confidential agreement in force, a confidential one
    awaiting approval, follow-ups (one about the confidential agreement) and old partners."""
    owner = make_user("staff", display_name="Owner One")
    moscow = make_partner(name_en="Moscow", country="RU", created_at=LONG_AGO)
    osaka = make_partner(
        name_en="Osaka Corp",
        kind="company",
        domain="private_sector",
        country="JP",
        created_at=LONG_AGO,
    )
    make_partner(name_en="Kazan", country="RU", created_at=LONG_AGO)  # dormant for everyone
    public = make_agreement(
        parties=[moscow],
        stage="active",
        confidentiality="public",
        expires_on=TODAY + timedelta(days=30),
        areas=["tourism"],
    )
    with app.app_context():
        now = datetime.now(UTC)
        for before, stage, days in ((None, "drafting", 60), ("drafting", "active", 10)):
            db.session.add(
                StageChange(
                    agreement_id=public.id,
                    from_stage=before,
                    to_stage=stage,
                    changed_at=now - timedelta(days=days),
                )
            )
        db.session.commit()
    secret = make_agreement(
        parties=[osaka],
        title_en="Secret deal",
        stage="active",
        confidentiality="confidential",
        expires_on=TODAY + timedelta(days=20),
        areas=["health"],
    )
    make_agreement(parties=[moscow], stage="internal_approval", confidentiality="confidential")
    make_activity(moscow, owner_id=owner.id, due_on=TODAY - timedelta(days=3))  # overdue
    make_activity(
        osaka,
        agreement_id=secret.id,
        domain="private_sector",
        owner_id=owner.id,
        due_on=TODAY - timedelta(days=5),
    )  # overdue, about the confidential agreement
    make_activity(moscow, status="done", due_on=TODAY - timedelta(days=100))  # nobody's
    return owner


# What each reader is shown: staff and viewers count nothing of the confidential agreements.
SEEN = {
    "staff": dict(
        active=1, expiring=1, awaiting=0, overdue=1, dormant=2, activities=2, private=0, jp=0
    ),
    "manager": dict(
        active=2, expiring=2, awaiting=1, overdue=2, dormant=1, activities=3, private=1, jp=1
    ),
}


@pytest.mark.parametrize("role", ["viewer", "staff", "manager", "admin"])
def test_dashboard_figures_count_only_what_the_reader_may_see(ctx, make_user, office, role):
    from crm.main.figures import dashboard_figures

    reader = db.session.get(User, make_user(role).id)
    seen = SEEN["manager" if role in ("manager", "admin") else "staff"]
    figures = dashboard_figures(reader, TEHRAN)
    assert figures.active == seen["active"]
    assert figures.pipeline.expiring_total == seen["expiring"]
    assert figures.awaiting_approval == seen["awaiting"]
    assert figures.pipeline.overdue_total == seen["overdue"]
    assert [(row.owner, row.count) for row in figures.pipeline.overdue] == [
        ("Owner One", seen["overdue"])
    ]
    assert figures.dormant == seen["dormant"] and figures.dormant_days == 180
    assert sum(month.count for month in figures.months) == seen["activities"]
    assert figures.activity_by_domain == {
        "organizations": 0,
        "private_sector": seen["private"],
        "cities": 2,
        "citizens": 0,
    }
    areas = {area.name: area.count for area in figures.by_area}
    assert areas["Tourism"] == 1 and areas["Health"] == seen["jp"]
    countries = [(c.code, c.name, c.partners, c.agreements) for c in figures.countries]
    ru_agreements = 1 + seen["awaiting"]
    assert countries == [("RU", "Russia", 2, ru_agreements), ("JP", "Japan", 1, seen["jp"])]
    assert len(figures.months) == 12
    assert [(t.stage, round(t.median_days)) for t in figures.pipeline.stage_times] == [
        ("drafting", 50),
        ("active", 10),
    ]


class Links(HTMLParser):
    """The links of a page whose text is a number: (address, number)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, int]] = []
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._href = dict(attrs).get("href")

    def handle_data(self, data):
        if self._href and data.strip().replace(",", "").isdigit():
            self.found.append((self._href, int(data.strip().replace(",", ""))))

    def handle_endtag(self, tag):
        if tag == "a":
            self._href = None


def figure_links(page: str) -> list[tuple[str, int]]:
    """Every figure of the dashboard with the list it links to: the key figures' cards and
    the numbers in the tables."""
    cards = re.findall(r'id="figure-\w+" href="([^"]+)">.*?data-count="(\d+)"', page, re.S)
    parser = Links()
    parser.feed(page.split('id="months-heading"')[1])
    return [(unescape(href), int(count)) for href, count in cards] + parser.found


def list_count(page: str) -> int:
    found = re.search(r"([\d,]+) results?</p>", page)
    return int(found.group(1).replace(",", "")) if found else 0


@pytest.mark.parametrize("role", ["staff", "manager"])
def test_every_figure_links_to_a_list_showing_the_same_count(auth, client, office, role):
    auth.login(role, locale="en")
    response = client.get("/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    links = figure_links(page)
    assert len(links) > 40  # five cards, 12 months, domains, stages, areas, countries, owners
    assert {href.split("?")[0] for href, _count in links} == {
        "/agreements/",
        "/activities/",
        "/partners/",
    }
    for href, count in links:
        listed = client.get(href)
        assert listed.status_code == 200, href
        assert list_count(listed.get_data(as_text=True)) == count, href
    assert ("/activities/?overdue=1", SEEN[role]["overdue"]) in links
    assert ("/partners/?dormant=180", SEEN[role]["dormant"]) in links


def test_staff_dashboard_names_no_confidential_agreement(auth, client, office):
    auth.login("staff", locale="en")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Secret deal" not in page
    assert 'id="figure-awaiting" href="/agreements/?stage=internal_approval">' in page
    assert re.search(r'id="figure-awaiting".*?data-count="0"', page, re.S)


@pytest.mark.parametrize("locale", ["fa", "en"])
@pytest.mark.parametrize("role", ["viewer", "staff", "manager", "admin"])
def test_dashboard_opens_for_every_role_in_both_languages(auth, client, office, role, locale):
    auth.login(role, locale=locale)
    response = client.get("/dashboard")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("<canvas") == 6 and page.count("<details") == 6
    assert 'href="/dashboard"' in client.get("/").get_data(as_text=True)  # in the menu
    assert 'aria-current="page" href="/dashboard"' in page
    if locale == "fa":
        assert 'dir="rtl"' in page
        assert "۱۴۰" in page  # Jalali months in Persian digits (the 1400s)
        assert re.search(r"date_from=14\d\d/\d\d/01", page)  # the lists take Jalali dates
    else:
        assert re.search(r"[A-Z][a-z]{2} 20\d\d", page)  # Gregorian months: Nov 2026


def test_the_dashboard_takes_the_same_queries_whatever_the_data(
    auth, client, app, make_partner, make_agreement, make_activity
):
    user = auth.login("staff")

    def fill(count):
        for n in range(count):
            partner = make_partner(name_en=f"Town {n}", country=["RU", "JP", "BR", "IN"][n % 4])
            agreement = make_agreement(
                parties=[partner],
                stage="active",
                expires_on=TODAY + timedelta(days=10 + n),
                areas=["tourism", "health"],
            )
            for offset in (-40, -3, 2):
                make_activity(
                    partner,
                    owner_id=user.id,
                    agreement_id=agreement.id,
                    due_on=TODAY + timedelta(days=offset),
                )

    fill(1)
    with count_queries(app) as few:
        assert client.get("/dashboard").status_code == 200
    fill(8)
    with count_queries(app) as many:
        assert client.get("/dashboard").status_code == 200
    assert len(many) == len(few) <= 20


# --- the filters the dashboard's links need ------------------------------------------------------
def test_agreements_filter_by_country_of_a_party(auth, client, office):
    auth.login("manager", locale="en")
    page = client.get("/agreements/?country=JP").get_data(as_text=True)
    assert "Secret deal" in page and list_count(page) == 1
    auth.logout()
    auth.login("staff", locale="en")
    assert list_count(client.get("/agreements/?country=JP").get_data(as_text=True)) == 0


def test_expiring_within_keeps_only_agreements_in_force(auth, client, make_agreement):
    auth.login("staff", locale="en")
    make_agreement(title_en="Only a plan", stage="drafting", expires_on=TODAY + timedelta(days=5))
    make_agreement(title_en="In force", stage="signed", expires_on=TODAY + timedelta(days=5))
    page = client.get("/agreements/?expiring=30").get_data(as_text=True)
    assert "In force" in page and "Only a plan" not in page


def test_activities_filter_overdue_and_nobodys(auth, client, make_activity):
    user = auth.login("staff", locale="en")
    make_activity(subject="Late and mine", owner_id=user.id, due_on=TODAY - timedelta(days=2))
    make_activity(subject="Late and nobodys", due_on=TODAY - timedelta(days=2))
    make_activity(subject="Late but done", status="done", due_on=TODAY - timedelta(days=2))
    make_activity(subject="Still ahead", due_on=TODAY + timedelta(days=2))
    page = client.get("/activities/?overdue=1").get_data(as_text=True)
    assert "Late and mine" in page and "Late and nobodys" in page
    assert "Late but done" not in page and "Still ahead" not in page
    page = client.get("/activities/?overdue=1&owner=none").get_data(as_text=True)
    assert "Late and nobodys" in page and "Late and mine" not in page


def test_activities_date_range_takes_jalali_dates_in_persian(auth, client, make_activity):
    auth.login("staff", locale="fa")
    make_activity(subject="Azar meeting", due_on=date(2026, 11, 25))  # 4 Azar 1405
    make_activity(subject="Dey meeting", due_on=date(2026, 12, 25))  # 4 Dey 1405
    page = client.get("/activities/?date_from=۱۴۰۵/۰۹/۰۱&date_to=1405/09/30").get_data(True)
    assert "Azar meeting" in page and "Dey meeting" not in page


def test_partners_filter_dormant(auth, client, make_partner, make_activity):
    auth.login("staff", locale="en")
    make_partner(name_en="Quiet Town", created_at=LONG_AGO)
    busy = make_partner(name_en="Busy Town", created_at=LONG_AGO)
    make_activity(busy, due_on=TODAY - timedelta(days=10))
    make_partner(name_en="New Town")  # known for less than the days asked
    page = client.get("/partners/?dormant=180").get_data(as_text=True)
    assert "Quiet Town" in page and "Busy Town" not in page and "New Town" not in page
    page = client.get("/partners/?dormant=5").get_data(as_text=True)
    assert "Busy Town" in page


@pytest.mark.parametrize(
    "url",
    [
        "/partners/?dormant=abc",
        "/partners/?dormant=0",
        "/partners/?dormant=99999999999",
        "/agreements/?country=XX",
        "/agreements/?country=%3Cscript%3E",
        "/agreements/?expiring=-4",
        "/activities/?date_from=1405/13/40",
        "/activities/?date_from=2026-12-01&date_to=2026-11-01",
        "/activities/?owner=nobody",
    ],
)
def test_bad_filter_values_get_a_translated_message(auth, client, url):
    auth.login("staff", locale="fa")
    response = client.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "is-invalid" in page  # the field is marked, with its message, and the list shown


def test_a_deactivated_owners_overdue_figure_links_to_their_follow_ups(
    auth, client, make_user, make_activity
):
    auth.login("manager", locale="en")
    gone = make_user("staff", display_name="Departed Colleague", active=False)
    make_activity(subject="Left behind", owner_id=gone.id, due_on=TODAY - timedelta(days=3))
    make_activity(subject="Someone else's", due_on=TODAY - timedelta(days=3))
    page = client.get("/dashboard").get_data(as_text=True)
    href = f"/activities/?overdue=1&owner={gone.id}"
    assert (href, 1) in figure_links(page)
    listed = client.get(href).get_data(as_text=True)
    assert list_count(listed) == 1 and "Left behind" in listed and "Someone else" not in listed
    assert "Departed Colleague (deactivated)" in listed  # the owner filter names them
