"""The start page: partners per domain, agreements per stage, expiries, my follow-ups."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

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
