"""The pipeline's figures (``crm.main.figures``): counts per stage and domain, days in each
stage from the stage history, the expiry window, overdue follow-ups per owner, and what a reader
who may not see confidential agreements is shown of them (nothing)."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from crm.agreements.models import StageChange
from crm.auth.models import User
from crm.extensions import db
from crm.formatting import Formatter
from crm.main.figures import pipeline_figures
from tests.conftest import count_queries

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 12:30 in Tehran
TODAY = date(2026, 12, 1)
EN = Formatter("en", "Asia/Tehran")
FA = Formatter("fa", "Asia/Tehran")


def user(make_user, role: str, **fields) -> User:
    return db.session.get(User, make_user(role, **fields).id)


def history(agreement, *moves: tuple[str, datetime]) -> None:
    """The stage history of ``agreement``: each stage and when it was entered."""
    before = None
    for stage, at in moves:
        db.session.add(
            StageChange(agreement_id=agreement.id, from_stage=before, to_stage=stage, changed_at=at)
        )
        before = stage
    db.session.commit()


def test_counts_per_stage_and_domain_leave_out_archived_and_confidential(
    ctx, make_user, make_partner, make_agreement
):
    city, company = make_partner(), make_partner(kind="company", domain="private_sector")
    make_agreement(parties=[city], stage="active", confidentiality="public")
    make_agreement(parties=[city, company], stage="drafting")
    make_agreement(parties=[company], stage="active", confidentiality="confidential")
    make_agreement(parties=[city], stage="idea", archived_at=NOW - timedelta(days=1))
    staff = pipeline_figures(user(make_user, "staff"), EN, now=NOW)
    manager = pipeline_figures(user(make_user, "manager"), EN, now=NOW)

    assert list(staff.by_stage)[:3] == ["idea", "exploring", "drafting"]  # pipeline order
    assert list(staff.by_stage)[-3:] == ["expired", "rejected", "terminated"]
    assert staff.by_stage["active"] == 1 and staff.by_stage["drafting"] == 1
    assert staff.by_stage["idea"] == 0 and staff.agreement_total == 2
    assert manager.by_stage["active"] == 2 and manager.agreement_total == 3
    # the agreement with a city and a company counts once in each of their domains
    assert staff.by_domain == {
        "organizations": 0,
        "private_sector": 1,
        "cities": 2,
        "citizens": 0,
    }
    assert manager.by_domain["private_sector"] == 2 and manager.by_domain["cities"] == 2


def test_days_in_each_stage_come_from_the_stage_history(ctx, make_user, make_agreement):
    start = NOW - timedelta(days=100)
    first = make_agreement(stage="negotiation")
    history(
        first,
        ("idea", start),
        ("exploring", start + timedelta(days=10)),
        ("drafting", start + timedelta(days=40)),
        ("negotiation", start + timedelta(days=55)),  # 45 days to now
    )
    second = make_agreement(stage="drafting")
    history(
        second,
        ("idea", start + timedelta(days=20)),
        ("exploring", start + timedelta(days=50)),
        ("drafting", start + timedelta(days=60, hours=12)),  # 39.5 days to now
    )
    third = make_agreement(stage="rejected")
    history(third, ("idea", start), ("rejected", start + timedelta(days=2)))
    figures = pipeline_figures(user(make_user, "staff"), EN, now=NOW)

    times = {row.stage: row for row in figures.stage_times}
    assert list(times) == ["idea", "exploring", "drafting", "negotiation"]  # no final stage
    assert times["idea"].spells == 3
    assert times["idea"].median_days == 10 and times["idea"].mean_days == 14  # 10, 30, 2
    assert times["exploring"].median_days == times["exploring"].mean_days == 20.25  # 30, 10.5
    assert times["exploring"].spells == 2
    assert times["drafting"].median_days == 27.25  # 15 and 39.5 (up to now)
    assert times["negotiation"].mean_days == 45 and times["negotiation"].spells == 1


def test_each_stage_change_ends_at_the_next_whatever_order_they_were_added_in(
    ctx, make_user, make_agreement
):
    start = NOW - timedelta(days=30)
    agreement = make_agreement(stage="negotiation")
    moves = [("idea", start), ("exploring", start + timedelta(days=5))]
    moves.append(("negotiation", start + timedelta(days=12)))
    for stage, at in reversed(moves):  # the latest first, each in a flush of its own
        history(agreement, (stage, at))
    changes = db.session.scalars(
        select(StageChange)
        .where(StageChange.agreement_id == agreement.id)
        .order_by(StageChange.changed_at)
    ).all()
    assert [change.left_at for change in changes] == [
        start + timedelta(days=5),
        start + timedelta(days=12),
        None,
    ]
    times = {
        row.stage: row for row in pipeline_figures(user(make_user, "staff"), EN, NOW).stage_times
    }
    assert times["idea"].median_days == 5 and times["exploring"].median_days == 7
    assert times["negotiation"].median_days == 18  # up to now


def test_a_stage_entered_again_counts_each_spell(ctx, make_user, make_agreement):
    start = NOW - timedelta(days=30)
    agreement = make_agreement(stage="drafting")
    history(
        agreement,
        ("drafting", start),
        ("negotiation", start + timedelta(days=4)),
        ("drafting", start + timedelta(days=10)),  # back one step, 20 days to now
    )
    times = {
        row.stage: row for row in pipeline_figures(user(make_user, "staff"), EN, NOW).stage_times
    }
    assert times["drafting"].spells == 2 and times["drafting"].median_days == 12  # 4 and 20
    assert times["negotiation"].median_days == 6


@pytest.mark.parametrize(
    ("days", "listed"), [(-1, False), (0, True), (1, True), (90, True), (91, False)]
)
def test_the_expiry_window_holds_today_to_the_ninetieth_day(
    ctx, make_user, make_agreement, days, listed
):
    make_agreement(stage="active", expires_on=TODAY + timedelta(days=days), title_en="Window")
    figures = pipeline_figures(user(make_user, "staff"), EN, now=NOW)
    assert [row.days_left for row in figures.expiring] == ([days] if listed else [])
    assert figures.expiring_total == int(listed)


def test_expiring_agreements_name_their_parties_and_owner_for_the_reader(
    ctx, make_user, make_partner, make_agreement
):
    owner = make_user("staff", display_name="Leila Ahmadi")
    ankara = make_partner(name_en="Ankara", name_fa="آنکارا")
    seoul = make_partner(name_en="Seoul", name_fa="سئول")
    make_agreement(
        parties=[seoul, ankara],
        stage="renewal",
        title_en="Twinning",
        title_fa="خواهرخواندگی",
        expires_on=TODAY + timedelta(days=30),
        owner_id=owner.id,
    )
    make_agreement(stage="signed", expires_on=TODAY + timedelta(days=3))
    make_agreement(stage="drafting", expires_on=TODAY + timedelta(days=5))  # not in force
    make_agreement(stage="expired", expires_on=TODAY + timedelta(days=5))
    reader = user(make_user, "viewer")

    english = pipeline_figures(reader, EN, now=NOW)
    assert [row.days_left for row in english.expiring] == [3, 30]  # the soonest first
    twinning = english.expiring[1]
    assert twinning.title == "Twinning" and twinning.partners == ("Ankara", "Seoul")
    assert twinning.owner == "Leila Ahmadi" and twinning.expires_on == date(2026, 12, 31)
    persian = pipeline_figures(reader, FA, now=NOW).expiring[1]
    assert persian.title == "خواهرخواندگی" and persian.partners == ("آنکارا", "سئول")
    limited = pipeline_figures(reader, EN, now=NOW, limit=1)
    assert len(limited.expiring) == 1 and limited.expiring_total == 2


def test_overdue_follow_ups_per_owner_with_the_oldest_day(
    ctx, make_user, make_activity, make_agreement
):
    leila, omid = make_user("staff", display_name="Leila"), make_user("staff", display_name="Omid")
    for days in (3, 10, 1):
        make_activity(owner_id=leila.id, due_on=TODAY - timedelta(days=days))
    make_activity(owner_id=leila.id, due_on=TODAY + timedelta(days=2))  # still ahead
    make_activity(owner_id=leila.id, due_on=TODAY - timedelta(days=40), status="done")
    make_activity(owner_id=leila.id, due_on=TODAY - timedelta(days=50), archived_at=NOW)
    make_activity(
        owner_id=omid.id, due_on=None, starts_at=datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
    )  # 00:30 on 21 November in Tehran
    make_activity(owner_id=None, due_on=TODAY - timedelta(days=5))
    figures = pipeline_figures(user(make_user, "viewer"), EN, now=NOW)

    rows = [(row.owner, row.count, row.oldest) for row in figures.overdue]
    assert rows == [
        ("Leila", 3, date(2026, 11, 21)),
        ("Omid", 1, date(2026, 11, 21)),
        ("No one", 1, date(2026, 11, 26)),
    ]
    assert figures.overdue_total == 5
    assert pipeline_figures(user(make_user, "viewer"), FA, now=NOW).overdue[2].owner == "هیچ‌کس"


def test_a_staff_reader_counts_nothing_of_a_confidential_agreement(
    ctx, make_user, make_partner, make_agreement, make_activity
):
    """Staff and a manager see the same pipeline but for the confidential agreement: its
    stage, domain, days in its stages, expiry and overdue follow-up."""
    owner = make_user("staff", display_name="Owner")
    city = make_partner()
    company = make_partner(kind="company", domain="private_sector")
    open_one = make_agreement(parties=[city], stage="active", expires_on=TODAY + timedelta(days=20))
    secret = make_agreement(
        parties=[company],
        stage="renewal",
        confidentiality="confidential",
        title_en="Secret deal",
        expires_on=TODAY + timedelta(days=10),
    )
    history(open_one, ("idea", NOW - timedelta(days=60)), ("active", NOW - timedelta(days=20)))
    history(secret, ("idea", NOW - timedelta(days=90)), ("renewal", NOW - timedelta(days=9)))
    make_activity(city, owner_id=owner.id, due_on=TODAY - timedelta(days=2))
    make_activity(
        company, owner_id=owner.id, agreement_id=secret.id, due_on=TODAY - timedelta(days=30)
    )
    staff = pipeline_figures(user(make_user, "staff"), EN, now=NOW)
    manager = pipeline_figures(user(make_user, "manager"), EN, now=NOW)

    assert manager.agreement_total - staff.agreement_total == 1
    assert (manager.confidential_total, staff.confidential_total) == (1, 0)
    assert {
        s: n - staff.by_stage[s] for s, n in manager.by_stage.items() if n != staff.by_stage[s]
    } == {"renewal": 1}
    assert manager.by_domain["private_sector"] == 1 and staff.by_domain["private_sector"] == 0
    assert manager.by_domain["cities"] == staff.by_domain["cities"] == 1
    assert [(row.title, row.confidential) for row in manager.expiring][0] == ("Secret deal", True)
    assert [row.title for row in staff.expiring] == [open_one.title_en]
    assert [row.stage for row in staff.stage_times] == ["idea", "active"]
    assert [(row.stage, row.spells) for row in manager.stage_times] == [
        ("idea", 2),
        ("active", 1),
        ("renewal", 1),
    ]
    assert [(r.count, r.oldest) for r in staff.overdue] == [(1, TODAY - timedelta(days=2))]
    assert [(r.count, r.oldest) for r in manager.overdue] == [(2, TODAY - timedelta(days=30))]


def test_an_empty_database_gives_zeros_and_empty_lists(ctx, make_user):
    figures = pipeline_figures(user(make_user, "manager"), FA, now=NOW)
    assert figures.agreement_total == 0 and set(figures.by_domain.values()) == {0}
    assert figures.stage_times == figures.expiring == figures.overdue == ()
    assert figures.expiring_total == 0 and figures.today == TODAY


def test_the_figures_take_the_same_queries_whatever_the_data(
    app, ctx, make_user, make_partner, make_agreement, make_activity
):
    reader = user(make_user, "staff")

    def fill(count):
        for n in range(count):
            partner = make_partner(name_en=f"Town {n}")
            agreement = make_agreement(
                parties=[partner], stage="active", expires_on=TODAY + timedelta(days=n + 1)
            )
            history(agreement, ("idea", NOW - timedelta(days=50)), ("active", NOW))
            make_activity(partner, owner_id=make_user("staff").id, due_on=TODAY - timedelta(days=1))

    fill(1)
    with count_queries(app) as few:
        pipeline_figures(reader, EN, now=NOW)
    fill(6)
    with count_queries(app) as many:
        figures = pipeline_figures(reader, EN, now=NOW)
    assert figures.expiring_total == 7 and len(figures.overdue) == 7
    assert len(many) == len(few) <= 6
