"""The main statements of the busiest lists are served by their indexes, on SQLite and
PostgreSQL: the activity list (by default and filtered), the groups of my follow-ups, the
agreement list, the partner list sorted by country, the start page's counts and a record's
latest activities. Each plan is built from the same
functions the views use, so a change that loses the index (a sort the index cannot give, a
condition it cannot use) fails here."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from crm.activities.followups import GROUPS, _conditions, group_query
from crm.activities.lists import ActivityFilters, activities_query
from crm.activities.lists import list_query as activity_list
from crm.agreements.lists import AgreementFilters, stage_count_query
from crm.agreements.lists import list_query as agreement_list
from crm.extensions import db
from crm.formatting import Formatter
from crm.main.figures import agreements_per_stage
from crm.main.services import partners_per_domain
from crm.notifications.models import Notification
from crm.notifications.services import notifications_query, unread_count_query
from crm.partners.services import PartnerFilters, partner_query

PAGE = 25
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Explain(Executable, ClauseElement):
    """``EXPLAIN`` (PostgreSQL) or ``EXPLAIN QUERY PLAN`` (SQLite) of a statement, with its
    parameters bound as the statement's own (so a partial index's condition can match)."""

    inherit_cache = False

    def __init__(self, statement):
        self.statement = statement


@compiles(Explain)
def _explain(element, compiler, **kw):
    prefix = "EXPLAIN QUERY PLAN" if compiler.dialect.name == "sqlite" else "EXPLAIN"
    return f"{prefix} {compiler.process(element.statement, **kw)}"


def plan(statement) -> str:
    """The plan of ``statement``, one line per step; PostgreSQL is told to avoid sequential
    scans, bitmap scans and sorts, so the plan shows the index that gives the order (on a small
    table the planner would otherwise take any index and sort, whatever the statistics)."""
    with db.session.begin_nested():
        if db.engine.dialect.name == "postgresql":
            for knob in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                db.session.execute(db.text(f"SET LOCAL {knob} = off"))
        rows = db.session.execute(Explain(statement)).all()
    return "\n".join(str(row[-1]) for row in rows)


def assert_uses(statement, table: str, index: str, ordered: bool = True) -> None:
    text = plan(statement)
    if db.engine.dialect.name == "sqlite":
        assert any(
            f"{table} USING INDEX {index}" in line
            or f"{table} USING COVERING INDEX {index}" in line
            for line in text.splitlines()
        ), text
        if ordered:
            assert "TEMP B-TREE FOR ORDER BY" not in text, text
    else:
        scans = ("Index Scan", "Index Scan Backward", "Index Only Scan", "Index Only Scan Backward")
        assert any(f"{scan} using {index} " in text for scan in scans) or (
            f"Bitmap Index Scan on {index} " in text
        ), text
        if ordered:
            assert "Sort" not in text, text


@pytest.fixture
def setting(ctx, make_user, make_activity, make_agreement):
    manager, staff = make_user("manager"), make_user("staff")
    for days in range(-3, 4):
        make_activity(owner_id=staff.id, due_on=date(2026, 12, 1) + timedelta(days=days))
        make_activity(owner_id=manager.id, due_on=None, starts_at=NOW + timedelta(days=days))
    make_agreement(title_en="Transport memorandum")
    return manager, staff


def test_activity_list_sorts_from_the_index_of_current_activities(setting):
    manager, staff = setting
    for user in (manager, staff):
        stmt = activity_list(user, ActivityFilters(), Formatter("fa", "Asia/Tehran"))
        assert_uses(stmt.limit(PAGE), "activities", "ix_activities_current_when")


def test_planned_activities_of_an_owner_come_from_the_planned_owner_index(setting):
    manager, staff = setting
    filters = ActivityFilters(status="planned", owner=str(staff.id))
    stmt = activity_list(manager, filters, Formatter("en", "UTC"))
    assert_uses(stmt.limit(PAGE), "activities", "ix_activities_planned_owner_when")


def test_each_group_of_my_followups_comes_from_the_planned_owner_index(setting):
    _manager, staff = setting
    reader = Formatter("fa", "Asia/Tehran")
    today = NOW.astimezone(reader.zone).date()
    conditions = _conditions(today, reader.week_end(today), reader.zone, NOW)
    for group in GROUPS:
        stmt = group_query(staff, conditions[group], group, PAGE)
        assert_uses(stmt, "activities", "ix_activities_planned_owner_when")


def test_agreement_list_sorts_from_the_index_of_current_agreements(setting):
    manager, staff = setting
    for user in (manager, staff):
        stmt = agreement_list(user, AgreementFilters(), Formatter("en", "UTC"))
        assert_uses(stmt.limit(PAGE), "agreements", "ix_agreements_current_updated")


@pytest.mark.parametrize("locale", ["fa", "en"])
@pytest.mark.parametrize("sort", ["country", "-country"])
def test_partner_list_by_country_sorts_from_the_index_of_current_partners(
    ctx, make_partner, locale, sort
):
    for country in ("DE", "IR", None):
        make_partner(country=country)
    stmt = partner_query(PartnerFilters(sort=sort), Formatter(locale, "UTC"))
    for page in (stmt.limit(PAGE), stmt.limit(PAGE).offset(2 * PAGE)):
        assert_uses(page, "partners", f"ix_partners_sort_country_{locale}_current")


@pytest.mark.parametrize("role", ["manager", "staff"])
def test_start_page_counts_come_from_indexes_alone_on_sqlite(setting, make_user, role):
    """Current partners per domain, and the agreements its reader may see per stage, without
    reading the tables' rows. (PostgreSQL picks an index-only scan or a scan of the table by
    its statistics and the visibility map; no setting makes a small test table's plan tell.)"""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's planner; PostgreSQL's depends on statistics a test table lacks")
    user = make_user(role)
    assert "COVERING INDEX ix_partners_domain_archived" in plan(partners_per_domain())
    assert "COVERING INDEX ix_agreements_stage_archived" in plan(agreements_per_stage(user))
    # and the agreement list's count per stage, without filters
    stages = stage_count_query(user, AgreementFilters(), Formatter("en", "UTC"))
    assert "COVERING INDEX ix_agreements_stage_archived" in plan(stages)


def test_a_partners_and_an_agreements_latest_activities_come_from_their_indexes(
    setting, make_partner, make_agreement
):
    """Among hundreds of other activities: on a table of one page PostgreSQL's costs of the two
    indexes tie, and it took either."""
    from crm.activities.models import Activity

    manager, _staff = setting
    partner, agreement, other = make_partner(), make_agreement(), make_partner()
    db.session.add_all(
        Activity(
            kind="call",
            subject=f"Call {n}",
            domain=other.domain,
            partner_id=other.id,
            status="done",
            starts_at=NOW - timedelta(hours=n),
        )
        for n in range(600)
    )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(db.text("ANALYZE activities"))
    statements = {
        "partner": activities_query(manager, partner=partner, planned=False),
        "agreement": activities_query(manager, agreement=agreement, planned=False),
    }
    for about, stmt in statements.items():
        assert_uses(stmt.limit(20), "activities", f"ix_activities_{about}_when")
    # The planned ones, soonest first and those without a time last: in the index's own order
    # on PostgreSQL (SQLite holds NULLs first in an index, so it sorts the partner's few).
    postgres = db.engine.dialect.name == "postgresql"
    for about, target in (
        ("partner", {"partner": partner}),
        ("agreement", {"agreement": agreement}),
    ):
        stmt = activities_query(manager, planned=True, **target)
        assert_uses(stmt.limit(20), "activities", f"ix_activities_{about}_when", ordered=postgres)


def test_the_bells_count_and_the_unread_notifications_come_from_their_index(setting):
    manager, staff = setting
    for user in (manager, staff):
        db.session.add_all(
            Notification(user_id=user.id, kind="digest", subject="Digest", read_at=read)
            for read in (None, None, NOW)
        )
    # a colleague's read history, so that PostgreSQL's planner sees a table worth an index
    db.session.add_all(
        Notification(user_id=manager.id, kind="digest", subject="Digest", read_at=NOW)
        for _n in range(600)
    )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(db.text("ANALYZE notifications"))
    index = "ix_notifications_unread"
    # SQLite counts from the covering index of all the user's notifications, by their user
    counted = index if db.engine.dialect.name == "postgresql" else "ix_notifications_user_id_id"
    assert_uses(unread_count_query(staff, 100), "notifications", counted, ordered=False)
    assert_uses(notifications_query(staff, True).limit(PAGE), "notifications", index)
    every = notifications_query(staff, False).limit(PAGE)
    assert_uses(every, "notifications", "ix_notifications_user_id_id")
