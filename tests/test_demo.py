"""``flask crm seed-demo``: the demo set, idempotence, and the large benchmark set."""

from datetime import datetime, timedelta

import phonenumbers
import pytest
import sqlalchemy as sa

from crm.activities.models import Activity
from crm.agreements.models import STAGES, Agreement, Milestone, StageChange, StageRequest
from crm.audit import AuditEntry
from crm.auth.models import ROLES, User
from crm.demo.data import DEMO_PASSWORD
from crm.demo.large import SIZES, sizes_for
from crm.demo.small import TEHRAN, demo_email
from crm.extensions import db
from crm.formatting import Formatter
from crm.health.lists import COMPARE_DAYS, falling_ids
from crm.health.models import PartnerHealthHistory
from crm.notifications.models import Notification
from crm.partners.models import Contact, Partner
from crm.reference import DOMAINS
from crm.text import search_key

MODELS = (User, Partner, Contact, Agreement, StageChange, Milestone, Activity, AuditEntry)


def counts() -> dict[str, int]:
    return {
        m.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(m)) for m in MODELS
    }


@pytest.fixture
def seeded(app, runner):
    result = runner.invoke(args=["crm", "seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    return result


def test_seed_demo_creates_a_user_per_role_who_can_sign_in(app, seeded, client):
    with app.app_context():
        users = {u.role: u for u in db.session.scalars(sa.select(User))}
        assert set(users) == set(ROLES)
        assert {u.locale for u in users.values()} == {"fa", "en"}
        assert all(u.timezone == "Asia/Tehran" for u in users.values())
    assert len(DEMO_PASSWORD) >= 10
    for role in ROLES:
        assert f"{demo_email(role)}" in seeded.output
    assert DEMO_PASSWORD in seeded.output
    response = client.post(
        "/login", data={"email": demo_email("manager"), "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302


def test_seed_demo_fills_every_domain_with_bilingual_partners_and_contacts(app, seeded):
    with app.app_context():
        partners = list(db.session.scalars(sa.select(Partner)))
        assert {p.domain for p in partners} == set(DOMAINS)
        assert all(p.name_en and p.name_fa and p.name_local and p.country for p in partners)
        assert all(p.areas and p.search_key for p in partners)
        assert any(p.name_local == "İstanbul" for p in partners)
        contacts = list(db.session.scalars(sa.select(Contact)))
        assert {c.partner_id for c in contacts} == {p.id for p in partners}
        for contact in contacts:
            assert phonenumbers.is_valid_number(phonenumbers.parse(contact.phone)), contact.phone
            assert contact.name_latin and contact.name_fa
        assert all(any(c.is_primary for c in p.contacts) for p in partners)
        audited = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.object_type == "partners", AuditEntry.action == "create")
        )
        assert audited == len(partners)


def test_seed_demo_has_agreements_in_every_stage_with_consistent_dates(app, seeded):
    with app.app_context():
        agreements = list(db.session.scalars(sa.select(Agreement)))
        assert {a.stage for a in agreements} == set(STAGES)
        assert {a.confidentiality for a in agreements} >= {"public", "confidential"}
        for agreement in agreements:
            signed = agreement.stage in {"signed", "active", "renewal", "expired", "terminated"}
            assert (agreement.signed_on is not None) == signed, agreement
            if signed:
                assert agreement.effective_on > agreement.signed_on
                assert agreement.expires_on > agreement.signed_on
            assert agreement.parties
            history = agreement.history  # newest first
            assert history[0].to_stage == agreement.stage
            assert history[-1].from_stage is None and history[-1].to_stage == "idea"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Milestone)) > 0


def test_demo_users_can_see_their_own_agreements_and_activities(app, seeded):
    """Confidential agreements are for managers: no one else owns one or a follow-up on one."""
    with app.app_context():
        secret = Agreement.confidentiality == "confidential"
        owners = db.session.scalars(
            sa.select(User.role).select_from(Agreement).join(Agreement.owner).where(secret)
        )
        assert set(owners) <= {"manager", "admin"}
        followers = db.session.scalars(
            sa.select(User.role)
            .select_from(Activity)
            .join(Activity.owner)
            .join(Activity.agreement)
            .where(secret)
        )
        assert set(followers) <= {"manager", "admin"}


def test_seed_demo_spreads_activities_over_past_and_future_for_every_user(app, seeded):
    with app.app_context():
        today = datetime.now(TEHRAN).date()
        activities = list(db.session.scalars(sa.select(Activity)))

        def day(a: Activity):
            return a.due_on or a.starts_at.astimezone(TEHRAN).date()

        done = [a for a in activities if a.status == "done"]
        assert done and all(a.outcome and day(a) < today for a in done)
        assert any(a.participants for a in activities)
        for user in db.session.scalars(sa.select(User)):
            planned = [
                day(a) for a in activities if a.owner_id == user.id and a.status == "planned"
            ]
            assert any(d < today for d in planned), user
            assert any(d == today for d in planned), user
            assert any(today < d <= today + timedelta(days=6) for d in planned), user
            assert any(d > today + timedelta(days=7) for d in planned), user


def test_second_seed_demo_run_changes_nothing_and_says_so(app, seeded, runner):
    with app.app_context():
        before = counts()
    result = runner.invoke(args=["crm", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert "already present; nothing changed" in result.output
    assert demo_email("admin") in result.output
    with app.app_context():
        assert counts() == before


def test_seed_demo_refuses_a_database_with_other_records(app, runner, make_partner):
    make_partner()
    result = runner.invoke(args=["crm", "seed-demo"])
    assert result.exit_code == 1
    assert "not empty" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_seed_demo_if_empty_skips_a_database_with_other_records(app, runner, make_user):
    make_user("admin")
    result = runner.invoke(args=["crm", "seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "demo data not added" in result.output
    with app.app_context():
        assert counts()["Partner"] == 0


def test_large_set_inserts_proportional_numbers_with_searchable_keys(app, runner):
    scale = 0.01
    result = runner.invoke(args=["crm", "seed-demo", "--size", "large", "--scale", str(scale)])
    assert result.exit_code == 0, result.output
    sizes = sizes_for(scale)
    assert sizes == {name: count // 100 for name, count in SIZES.items()}
    with app.app_context():
        demo = {"Partner": 26, "Contact": 32, "Agreement": 15, "Activity": 30}
        found = counts()
        assert found["Partner"] == demo["Partner"] + sizes["partners"]
        assert found["Contact"] == demo["Contact"] + sizes["contacts"]
        assert found["Agreement"] == demo["Agreement"] + sizes["agreements"]
        assert found["Activity"] == demo["Activity"] + sizes["activities"]
        # Bulk rows carry exactly the keys the ORM hook would have written.
        for model in (Partner, Contact, Agreement, Activity):
            for row in db.session.scalars(sa.select(model).order_by(model.id.desc()).limit(20)):
                assert row.search_key == search_key(row.search_values()), row
                assert {column: getattr(row, column) for column in row.sort_keys()} == (
                    row.sort_keys()
                ), row

        from crm.main.services import search_everything

        manager = db.session.scalar(sa.select(User).where(User.email == demo_email("manager")))
        # Arabic-keyboard kaf and yeh find the Persian "شرکت مهندسی" (engineering company).
        hits = search_everything(manager, "شركت مهندسي").partners
        assert hits and all("شرکت مهندسی" in p.name_fa for p in hits)
        bulk = db.session.scalar(sa.select(Agreement).where(Agreement.reference == "LG-000016"))
        assert search_everything(manager, "lg-000016").agreements == [bulk]


def test_large_set_is_added_once_and_ids_keep_counting(app, runner):
    args = ["crm", "seed-demo", "--size", "large", "--scale", "0.005"]
    assert runner.invoke(args=args).exit_code == 0
    with app.app_context():
        before = counts()
    again = runner.invoke(args=args)
    assert again.exit_code == 0
    assert "large data set is already present" in again.output
    with app.app_context():
        assert counts() == before
        partner = Partner(kind="city", domain="cities", name_en="Minsk", name_fa="مینسک")
        db.session.add(partner)
        db.session.commit()  # PostgreSQL's sequence was moved past the bulk ids
        assert partner.id > db.session.scalar(
            sa.select(sa.func.max(Partner.id)).where(Partner.id != partner.id)
        )


@pytest.mark.postgres
def test_large_set_leaves_no_pending_entries_in_the_search_indexes(postgres_database):
    """Every search reads a GIN index's pending list whole: the seed merges what its bulk
    inserts left there, as a vacuum would."""
    from crm import create_app
    from crm.config import TestConfig
    from crm.search import merge_pending_entries

    config = {"SQLALCHEMY_DATABASE_URI": postgres_database}
    app = create_app(type("PostgresConfig", (TestConfig,), config))
    with app.app_context():
        db.create_all()
        db.session.commit()
    args = ["crm", "seed-demo", "--size", "large", "--scale", "0.005"]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Partner)) > 50
        assert merge_pending_entries() == 0
        db.session.remove()
        db.engine.dispose()


def test_a_fresh_demo_has_a_request_waiting_for_the_manager(app, seeded, client):
    with app.app_context():
        [request] = db.session.scalars(sa.select(StageRequest)).all()
        assert request.status == "pending"
        assert request.requested_by.email == demo_email("staff")
        assert request.agreement.stage == request.from_stage == "internal_approval"
        manager = db.session.scalar(sa.select(User).where(User.email == demo_email("manager")))
        told = db.session.scalars(
            sa.select(Notification.kind).where(Notification.user_id == manager.id)
        ).all()
        assert told == ["stage_request_waiting"]
    client.post("/login", data={"email": demo_email("manager"), "password": DEMO_PASSWORD})
    page = client.get("/agreements/requests").get_data(as_text=True)
    assert request.note in page and "Sara Mohammadi" in page


def test_a_fresh_demo_lists_partners_whose_health_fell(app, seeded, client):
    with app.app_context():
        days = db.session.scalars(sa.select(PartnerHealthHistory.day).distinct()).all()
        assert len(days) == COMPARE_DAYS + 1  # a month of history and today
        falling = list(db.session.scalars(falling_ids("drop", Formatter("en"))))
        assert falling
        names = {db.session.get(Partner, i).name_en for i in falling}
    client.post("/login", data={"email": demo_email("viewer"), "password": DEMO_PASSWORD})
    page = client.get("/partners/health/falling").get_data(as_text=True)
    assert all(name.replace("'", "&#39;") in page for name in names)
