"""Relationship health: the scoring rules, what the score may read (nothing confidential), its
recompute on change and at night (through a real Redis queue), the falling list and its
export, permissions, and both languages."""

import csv
import io
import re
import uuid
from datetime import date, timedelta

import pytest
import redis
from sqlalchemy import select, text

from crm import jobs
from crm.activities.models import Activity
from crm.activities.services import complete
from crm.agreements.models import Agreement
from crm.agreements.pipeline import move_stage
from crm.auth.models import User
from crm.extensions import db
from crm.formatting import Formatter
from crm.health import score as rules
from crm.health.lists import compared_day
from crm.health.models import PartnerHealth, PartnerHealthHistory
from crm.health.score import Facts, band, reason_texts, score
from crm.health.services import health_day, recompute
from crm.health.tasks import health_job
from crm.maintenance import refresh_statistics
from crm.models import utcnow
from crm.partners.models import Partner
from crm.permissions import acting_as
from tests.live_services import remove_queue_keys

PERSIAN_DIGIT = re.compile("[۰-۹]")


def health(app, partner_id):
    """(score, reason codes) of a partner as stored, or None."""
    with app.app_context():
        found = db.session.get(PartnerHealth, partner_id)
        return None if found is None else (found.score, [r["code"] for r in found.reasons])


def days_ago(days: int, hour: int = 0):
    return (utcnow() - timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def rows_of(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


# --- the rules --------------------------------------------------------------------------------
def test_the_best_relationship_scores_exactly_100_and_none_scores_0():
    best = Facts(last_activity_days=3, recent_activities=9, active_agreements=3, open_followups=5)
    assert score(best)[0] == 100
    assert (
        rules.RECENCY_POINTS[0][1]
        + rules.FREQUENCY_MAX
        + rules.AGREEMENTS_MAX
        + rules.OPEN_FOLLOWUPS_MAX
        == 100
    )
    value, reasons = score(Facts())
    assert value == 0
    assert [r["code"] for r in reasons] == ["no_activity", "active_agreements"]
    assert score(Facts(overdue_followups=9))[0] == 0  # never below 0


@pytest.mark.parametrize(
    ("days", "points"), [(0, 35), (30, 35), (31, 25), (90, 25), (180, 12), (365, 5), (366, 0)]
)
def test_recency_gives_fewer_points_the_longer_ago_the_last_activity(days, points):
    assert rules.recency_points(days) == points


def test_overdue_follow_ups_take_points_off_up_to_the_cap_and_come_first():
    base = Facts(last_activity_days=10, recent_activities=5, active_agreements=2)
    assert score(base)[0] == 85
    one = score(Facts(**{**base.__dict__, "overdue_followups": 1}))
    assert one[0] == 75 and one[1][0] == {"code": "overdue", "count": 1, "points": -10}
    assert score(Facts(**{**base.__dict__, "overdue_followups": 7}))[0] == 85 - 30


def test_frequency_agreements_and_open_follow_ups_count_each_up_to_their_cap():
    assert score(Facts(last_activity_days=400, recent_activities=0))[0] == 0
    assert score(Facts(last_activity_days=400, active_agreements=1))[0] == 15
    assert score(Facts(last_activity_days=400, active_agreements=2))[0] == 25
    assert score(Facts(last_activity_days=400, open_followups=1))[0] == 5
    assert score(Facts(last_activity_days=400, open_followups=10))[0] == 15
    assert score(Facts(last_activity_days=100, recent_activities=2))[0] == 12 + 10


@pytest.mark.parametrize(
    ("value", "code"), [(100, "good"), (70, "good"), (69, "watch"), (40, "watch"), (0, "at_risk")]
)
def test_bands(value, code):
    assert band(value) == code
    assert band(None) is None


def test_reasons_read_in_the_readers_words_and_digits(app):
    reasons = score(Facts(last_activity_days=200, recent_activities=1, overdue_followups=3))[1]
    with app.app_context():
        english = reason_texts(reasons, Formatter("en", "UTC"))
        persian = reason_texts(reasons, Formatter("fa", "Asia/Tehran"))
    assert english[:3] == [
        "3 overdue follow-ups",
        "Last activity 200 days ago",
        "1 activity in the last year",
    ]
    assert "۲۰۰" in persian[1] and "200" not in persian[1] and "۳" in persian[0]


# --- what the score reads -------------------------------------------------------------------
def test_confidential_agreements_and_their_activities_do_not_change_the_score(
    app, make_partner, make_agreement, make_activity
):
    plain, secretive = make_partner(name_en="Kazan"), make_partner(name_en="Bursa")
    for partner in (plain, secretive):
        make_agreement(parties=[partner], stage="active", title_en="Open memorandum")
        make_activity(partner=partner, status="done", starts_at=days_ago(100), due_on=None)
    secret = make_agreement(
        parties=[secretive], stage="active", confidentiality="confidential", title_en="Secret"
    )
    for status, when in (("done", 2), ("planned", 5), ("planned", -5)):
        make_activity(
            partner=secretive,
            agreement_id=secret.id,
            status=status,
            due_on=date.today() - timedelta(days=when),
        )
    assert health(app, plain.id) == health(app, secretive.id)
    assert health(app, plain.id)[0] == 12 + 5 + 15  # 100 days ago, one in a year, one agreement
    with app.app_context():  # the same in the nightly recompute
        recompute(db.session(), None)
        db.session.commit()
    assert health(app, plain.id) == health(app, secretive.id)


def test_manager_and_staff_read_the_same_health_on_the_partner_page(
    auth, client, make_partner, make_agreement
):
    partner = make_partner(name_en="Kazan")
    make_agreement(parties=[partner], stage="active", confidentiality="confidential")
    pages = []
    for role in ("staff", "manager"):
        auth.login(role)
        page = client.get(f"/partners/{partner.id}").get_data(as_text=True)
        pages.append(page[page.index('id="health-h"') :][:2000])
        auth.logout()
    assert pages[0] == pages[1]
    assert "No agreement in force" in pages[0]


# --- recomputed on change -------------------------------------------------------------------
def test_a_new_partner_is_scored_at_once(app, make_partner):
    partner = make_partner()
    assert health(app, partner.id) == (0, ["no_activity", "active_agreements"])


def test_completing_cancelling_and_archiving_activities_recompute_the_partner(
    app, auth, client, make_partner, make_activity
):
    partner = make_partner()
    late = make_activity(partner=partner, due_on=date.today() - timedelta(days=3))
    assert health(app, partner.id) == (0, ["overdue", "no_activity", "active_agreements"])
    user = auth.login("staff")
    with app.app_context(), acting_as(db.session.get(User, user.id)):
        complete(db.session.get(Activity, late.id), "Met")
        db.session.commit()
    value, codes = health(app, partner.id)
    assert value == 35 + 5 and "overdue" not in codes
    other = make_activity(partner=partner, due_on=date.today() - timedelta(days=1))
    assert health(app, partner.id)[0] == 40 - 10
    response = client.post(f"/activities/{other.id}/archive")
    assert response.status_code == 302
    assert health(app, partner.id)[0] == 40


def test_moving_an_activity_to_another_partner_recomputes_both(app, make_partner, make_activity):
    first, second = make_partner(name_en="Kazan"), make_partner(name_en="Bursa")
    activity = make_activity(partner=first, status="done", starts_at=days_ago(1), due_on=None)
    assert health(app, first.id)[0] == 40
    with app.app_context():
        db.session.get(Activity, activity.id).partner_id = second.id
        db.session.commit()
    assert (health(app, first.id)[0], health(app, second.id)[0]) == (0, 40)


def test_agreement_stage_confidentiality_and_archive_recompute_its_parties(
    app, auth, client, make_partner, make_agreement, make_activity
):
    partner = make_partner()
    agreement = make_agreement(parties=[partner], stage="signed")
    make_activity(partner=partner, agreement_id=agreement.id, status="done", due_on=date.today())
    assert health(app, partner.id)[0] == 35 + 5 + 15
    manager = auth.login("manager")
    with app.app_context(), acting_as(db.session.get(User, manager.id)):
        move_stage(db.session.get(Agreement, agreement.id), "active", "In force")
        db.session.get(Agreement, agreement.id).confidentiality = "confidential"
        db.session.commit()
    assert health(app, partner.id)[0] == 0  # neither the agreement nor its activity counts
    with app.app_context():
        db.session.get(Agreement, agreement.id).confidentiality = "internal"
        db.session.commit()
    assert health(app, partner.id)[0] == 55
    assert client.post(f"/agreements/{agreement.id}/archive").status_code == 302
    assert health(app, partner.id)[0] == 40


def test_a_rolled_back_change_is_forgotten(app, make_partner):
    partner = make_partner()
    with app.app_context():
        before = db.session.get(PartnerHealth, partner.id).computed_at
        db.session.add(Activity(kind="call", subject="x", domain="cities", partner_id=partner.id))
        db.session.flush()
        db.session.rollback()
        db.session.add(Partner(kind="city", domain="cities", name_en="Other"))
        db.session.commit()
        assert db.session.get(PartnerHealth, partner.id).computed_at == before


# --- nightly ----------------------------------------------------------------------------------
def test_the_nightly_job_runs_from_the_queue_and_writes_todays_history(
    app, redis_url, make_partner, make_activity, monkeypatch
):
    # the statistics are refreshed on a database of their own below: the suite's shared one
    # keeps planning as the query-plan tests expect
    analysed = []
    monkeypatch.setattr(
        "crm.health.tasks.refresh_statistics", lambda: analysed.append(1) or "analysed"
    )
    partner = make_partner()
    make_activity(partner=partner, status="done", starts_at=days_ago(10), due_on=None)
    archived = make_partner(name_en="Gone")
    with app.app_context():
        db.session.execute(PartnerHealth.__table__.delete())
        db.session.execute(PartnerHealthHistory.__table__.delete())
        db.session.get(Partner, archived.id).archived_at = utcnow()
        db.session.commit()
    connection = redis.Redis.from_url(redis_url)
    name = f"crm-test-{uuid.uuid4().hex}"
    app.config.update(REDIS_URL=redis_url, CRM_QUEUE=name)
    try:
        with app.app_context():
            assert jobs.enqueue(health_job, job_id="health")
            queue = jobs.queue()
            [job] = queue.jobs
            worker = jobs.ThreadWorker([queue], connection=jobs.connection())
            assert worker.work(burst=True)
            job.refresh()
            assert job.get_status() == "finished"
            assert job.return_value() == {"scored": 1, "forgotten": 0, "statistics": "analysed"}
            assert analysed == [1]
            rows = db.session.execute(select(PartnerHealthHistory)).scalars().all()
            assert [(r.partner_id, r.day, r.score) for r in rows] == [
                (partner.id, health_day(utcnow()), 40)
            ]
    finally:
        app.extensions.pop("crm_redis", connection).close()
        assert remove_queue_keys(connection, name) == []
        connection.close()
    assert health(app, archived.id) is None  # an archived partner is not scored


def test_the_schedule_runs_health_every_night():
    import fakeredis
    from rq.cron import CronScheduler

    scheduler = CronScheduler(connection=fakeredis.FakeRedis())
    scheduler.load_config_from_file("crm.jobs.schedule")
    found = {job.func: job.cron for job in scheduler.get_jobs()}
    assert found[health_job] == jobs.HEALTH_CRON == "15 0 * * *"


def test_the_health_command_scores_every_partner_and_keeps_one_score_a_day(
    app, runner, make_partner
):
    first, second = make_partner(), make_partner(name_en="Bursa")
    with app.app_context():
        old = PartnerHealthHistory(partner_id=first.id, day=date(2020, 1, 1), score=80)
        db.session.add(old)
        db.session.commit()
    result = runner.invoke(args=["crm", "health"])
    assert result.exit_code == 0, result.output
    assert "Scored 2 partners" in result.output and "1 old daily scores removed" in result.output
    runner.invoke(args=["crm", "health"])
    with app.app_context():
        days = db.session.scalars(select(PartnerHealthHistory.partner_id)).all()
    assert sorted(days) == sorted([first.id, second.id])


# --- the falling list -------------------------------------------------------------------------
@pytest.fixture
def falling(app, make_partner):
    """Four current partners now at 0, with scores 30 days earlier of 90, 40, 0 (no drop) and
    none; one archived partner that fell; a partner named like a spreadsheet formula."""
    made = {
        "Kazan": 90,
        "=HYPERLINK(1)": 40,
        "Bursa": 0,
        "Quiet": None,
        "Archived": 70,
    }
    ids = {}
    for name, before in made.items():
        partner = make_partner(name_en=name, name_fa="")
        ids[name] = partner.id
        with app.app_context():
            if before is not None:
                db.session.add(
                    PartnerHealthHistory(partner_id=partner.id, day=compared_day(), score=before)
                )
            if name == "Archived":
                db.session.get(Partner, partner.id).archived_at = utcnow()
            db.session.commit()
    return ids


def test_the_falling_list_shows_the_biggest_drop_first_and_sorts(auth, client, falling):
    auth.login("viewer")
    page = client.get("/partners/health/falling").get_data(as_text=True)
    names = re.findall(r'class="fw-semibold">([^<]+)</a>', page)
    assert names == ["Kazan", "=HYPERLINK(1)"]
    assert "Bursa" not in page and "Archived" not in page and "Quiet" not in page
    page = client.get("/partners/health/falling?sort=name").get_data(as_text=True)
    assert re.findall(r'class="fw-semibold">([^<]+)</a>', page) == ["=HYPERLINK(1)", "Kazan"]
    page = client.get("/partners/health/falling?sort=before").get_data(as_text=True)
    assert re.findall(r'class="fw-semibold">([^<]+)</a>', page) == ["=HYPERLINK(1)", "Kazan"]


def test_the_falling_list_uses_the_latest_score_of_the_week_before(app, auth, client, falling):
    with app.app_context():
        db.session.query(PartnerHealthHistory).filter_by(
            partner_id=falling["Kazan"], day=compared_day()
        ).update({"day": compared_day() - timedelta(days=3)})
        db.session.add(
            PartnerHealthHistory(
                partner_id=falling["Quiet"], day=compared_day() - timedelta(days=9), score=99
            )
        )
        db.session.commit()
    auth.login("viewer")
    page = client.get("/partners/health/falling").get_data(as_text=True)
    assert "Kazan" in page and "Quiet" not in page  # more than a week too old


def test_the_falling_export_is_excel_ready_and_safe(auth, client, falling):
    auth.login("viewer")
    rows = rows_of(client.get("/partners/health/falling.csv"))
    assert rows[0] == [
        "Number",
        "Name in English",
        "Name in Persian",
        "Country",
        "Health 30 days earlier",
        "Health now",
        "Drop",
        "Band",
        "Reasons",
    ]
    assert [row[1] for row in rows[1:]] == ["Kazan", "'=HYPERLINK(1)"]
    assert rows[1][4:9] == [
        "90",
        "0",
        "90",
        "At risk",
        "No activity done yet, No agreement in force",
    ]


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_the_falling_workbook_has_numbers_as_numbers_and_the_formula_as_text(
    auth, client, falling, locale
):
    from io import BytesIO

    from openpyxl import load_workbook

    auth.login("viewer", locale=locale)
    response = client.get("/partners/health/falling.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.get_data())).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == rows_of(client.get("/partners/health/falling.csv"))[0]
    assert [row[1] for row in rows[1:]] == ["Kazan", "=HYPERLINK(1)"]
    assert sheet["B3"].data_type == "s"  # text, not a formula
    assert rows[1][4:7] == [90, 0, 90]  # numbers a spreadsheet sums
    assert sheet.sheet_view.rightToLeft is (locale == "fa")
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:I3"


def test_the_falling_list_in_persian_is_right_to_left_with_persian_digits(auth, client, falling):
    auth.login("viewer", locale="fa")
    page = client.get("/partners/health/falling").get_data(as_text=True)
    assert 'dir="rtl"' in page and "−۹۰" in page and "۴۰" in page
    rows = rows_of(client.get("/partners/health/falling.csv"))
    assert rows[0][1] == "نام انگلیسی"
    assert rows[1][4:7] == ["90", "0", "90"]  # numbers stay plain in a spreadsheet


@pytest.mark.parametrize(
    "query", ["?sort=bogus&page=abc", "?sort=-score&page=999999999", "?page=-3"]
)
def test_bad_input_on_the_falling_list_never_fails(auth, client, falling, query):
    auth.login("viewer")
    assert client.get(f"/partners/health/falling{query}").status_code == 200
    assert client.get(f"/partners/health/falling.csv{query}").status_code == 200
    assert client.get(f"/partners/health/falling.xlsx{query}").status_code == 200


def test_the_falling_list_needs_a_sign_in(client):
    for path in (
        "/partners/health/falling",
        "/partners/health/falling.csv",
        "/partners/health/falling.xlsx",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the partner list and page ----------------------------------------------------------------
def test_the_partner_list_shows_health_and_sorts_by_it(auth, client, make_partner, make_activity):
    healthy = make_partner(name_en="Kazan")
    make_partner(name_en="Bursa")
    make_activity(partner=healthy, status="done", starts_at=days_ago(2), due_on=None)
    auth.login("viewer")
    page = client.get("/partners/?sort=health").get_data(as_text=True)
    assert page.index("Bursa") < page.index("Kazan")
    assert "40 · Watch" in page and "Last activity 2 days ago" in page
    page = client.get("/partners/?sort=-health").get_data(as_text=True)
    assert page.index("Kazan") < page.index("Bursa")


def test_the_partner_page_card_in_both_languages(auth, client, make_partner, make_activity):
    partner = make_partner()
    make_activity(partner=partner, status="done", starts_at=days_ago(200), due_on=None)
    make_activity(partner=partner, due_on=date.today() - timedelta(days=2))
    auth.login("viewer")
    page = client.get(f"/partners/{partner.id}").get_data(as_text=True)
    assert "Relationship health" in page and "Last activity 200 days ago" in page
    assert "1 overdue follow-up" in page and "−10" in page
    auth.logout()
    auth.login("viewer", locale="fa")
    page = client.get(f"/partners/{partner.id}").get_data(as_text=True)
    card = page[page.index('id="health-h"') :][:3000]
    assert "۲۰۰" in card and "−۱۰" in card and 'dir="rtl"' in page


# --- the planner's statistics (crm.maintenance), on databases of their own -------------------
def _analysed_tables(url: str, folder) -> tuple[str, int]:
    """Refresh the statistics of a new database holding one partner; (its dialect, how many
    of its tables the database then has statistics about)."""
    from tests.conftest import scratch_app

    with scratch_app(url, folder) as app, app.app_context():
        db.create_all()
        db.session.add(Partner(kind="city", domain="cities", name_en="Kazan", name_fa="قازان"))
        db.session.commit()
        dialect = refresh_statistics()
        if dialect == "sqlite":
            found = db.session.scalar(text("SELECT count(DISTINCT tbl) FROM sqlite_stat1"))
        else:  # -1 rows until a table is first analysed
            found = db.session.scalar(
                text("SELECT count(*) FROM pg_class WHERE relname = 'partners' AND reltuples >= 0")
            )
        db.session.remove()
        return dialect, found or 0


def test_the_statistics_are_refreshed_on_sqlite(tmp_path):
    dialect, tables = _analysed_tables(f"sqlite:///{tmp_path / 'stats.db'}", tmp_path)
    assert dialect == "sqlite" and tables > 0


@pytest.mark.postgres
def test_the_statistics_are_refreshed_on_postgresql(postgres_database, tmp_path):
    dialect, tables = _analysed_tables(postgres_database, tmp_path)
    assert dialect == "postgresql" and tables == 1
