"""The audit trail: administrators read the audit log by act, filter it and export it."""

import csv
import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from crm.activities.models import Activity
from crm.agreements.models import Milestone
from crm.audit import AuditAct, AuditEntry
from crm.audit_trail import services
from crm.auth.models import User
from crm.extensions import db
from crm.partners.models import Contact, Partner
from crm.permissions import acting_as
from tests.conftest import count_queries

PAGE = "/admin/audit"
EXPORT = "/admin/audit/export.csv"


@pytest.fixture
def acting(app):
    """``acting(user, work)``: run ``work()`` as ``user`` (a request or a job would) and commit
    once: one act. Returns what ``work`` returned, detached from the session."""

    def run(user, work, via="web"):
        with app.app_context():
            actor = db.session.get(User, user.id) if user is not None else None
            with acting_as(actor, via=via):
                result = work()
                db.session.commit()
            if isinstance(result, db.Model):
                db.session.refresh(result)
                db.session.expunge(result)
            return result

    return run


def _new_partner(**fields):
    values = {"kind": "city", "domain": "cities", "name_en": "Kazan", "name_fa": "کازان"}
    partner = Partner(**(values | fields))
    db.session.add(partner)
    return partner


def _add(record):
    db.session.add(record)
    return record


def _change(model, record_id, **fields):
    def work():
        record = db.session.get(model, record_id)
        for key, value in fields.items():
            setattr(record, key, value)
        return record

    return work


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


# --- who may read it -----------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["viewer", "staff", "manager"])
def test_only_administrators_may_read_or_export_the_audit_trail(auth, client, role):
    auth.login(role)
    assert client.get(PAGE).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.get(EXPORT.replace(".csv", ".xlsx")).status_code == 403
    assert 'href="/admin/audit"' not in _text(client.get("/"))


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_administrator_finds_the_audit_trail_in_the_navigation(auth, client):
    auth.login("admin")
    assert 'href="/admin/audit"' in _text(client.get("/"))
    assert 'aria-current="page" href="/admin/audit"' in _text(client.get(PAGE))


# --- acts ----------------------------------------------------------------------------------------
def test_the_changes_of_one_transaction_are_one_act_and_the_next_is_another(app, acting, make_user):
    staff = make_user("staff", display_name="Sara Staff")

    def partner_and_contact():
        partner = _new_partner()
        db.session.flush()  # an autoflush halfway through a form: still the same act
        db.session.add(Contact(partner=partner, name_latin="Ali Rezaei"))
        return partner

    partner = acting(staff, partner_and_contact)
    acting(staff, _change(Partner, partner.id, region="Tatarstan"))
    with app.app_context():
        rows = db.session.execute(
            sa.select(AuditEntry.object_type, AuditEntry.act_id)
            .where(AuditEntry.object_type != "users")
            .order_by(AuditEntry.id)
        ).all()
        first, second = rows[0].act_id, rows[2].act_id
        assert [r.act_id for r in rows] == [first, first, second] and first < second
        act = db.session.get(AuditAct, first)
        assert (act.user_id, act.via, act.kind) == (staff.id, "web", "")


def test_the_page_groups_entries_by_act_the_newest_first(acting, auth, client, make_user):
    staff = make_user("staff", display_name="Sara Staff")
    manager = make_user("manager", display_name="Mina Manager")

    def two_partners():
        _new_partner(name_en="Kazan")
        return _new_partner(name_en="Ufa")

    ufa = acting(staff, two_partners)
    acting(manager, _change(Partner, ufa.id, region="Bashkortostan"))
    auth.login("admin")
    page = _text(client.get(PAGE, query_string={"kind": "partners"}))
    sections = page.split('<article class="card mb-3 audit-act"')[1:]
    assert len(sections) == 2
    assert "Mina Manager" in sections[0] and "Bashkortostan" in sections[0]
    assert "1 change" in sections[0]
    assert "Sara Staff" in sections[1] and "2 changes" in sections[1]
    assert "Kazan" in sections[1] and "Ufa" in sections[1]
    assert "In the app" in sections[1]


def test_a_named_operation_is_one_act_with_its_summary_and_how_it_was_done(
    app, auth, client, make_user
):
    from crm.audit import audit_act

    worker = make_user("staff", display_name="Import Bot")
    with app.app_context():
        actor = db.session.get(User, worker.id)
        with acting_as(actor, via="cli"), audit_act("import", "two partners from a sheet"):
            _new_partner(name_en="Khujand")
            _new_partner(name_en="Dushanbe")
            db.session.commit()
        with acting_as(actor, via="job"):
            _new_partner(name_en="Kulob")
            db.session.commit()
    auth.login("admin")
    page = _text(client.get(PAGE, query_string={"user": worker.id}))
    job, command = page.split('<article class="card mb-3 audit-act"')[1:]
    assert "Background job" in job and "Kulob" in job
    assert "Command" in command and "two partners from a sheet" in command
    assert "Khujand" in command and "Dushanbe" in command and "2 changes" in command


def test_a_page_shows_how_much_of_a_long_act_it_holds_and_links_to_all_of_it(
    app, acting, auth, client, make_user
):
    staff = make_user("staff")
    acting(staff, lambda: [_new_partner(name_en=f"City {n}") for n in range(30)])
    auth.login("admin")
    page = _text(client.get(PAGE, query_string={"kind": "partners"}))
    with app.app_context():
        act_id = db.session.scalar(sa.select(AuditAct.id).where(AuditAct.user_id == staff.id))
    assert f'href="/admin/audit?act={act_id}"' in page
    size = app.config["CRM_PAGE_SIZE"]
    assert f"{size} of its 30 changes shown" in page
    last = _text(client.get(PAGE, query_string={"act": act_id, "page": 30 // size}))
    assert f"{30 - size * (30 // size - 1)} of its 30 changes shown" in last
    assert "City 0<" in last and "City 29<" not in last


# --- values --------------------------------------------------------------------------------------
def test_old_and_new_values_are_shown_in_words(acting, auth, client, make_user, make_partner):
    staff = make_user("staff", display_name="Sara Staff")
    owner = make_user("manager", display_name="Omid Owner")
    partner = make_partner(relationship_type="friendship")
    acting(
        staff,
        _change(
            Partner, partner.id, relationship_type="sister_city", owner_id=owner.id, population=1200
        ),
    )
    auth.login("admin")
    page = _text(client.get(PAGE, query_string={"user": staff.id}))
    assert "Changed" in page
    row = page[page.index('<th scope="row"') :]
    assert "Relationship" in row and "Friendship" in row and "Sister city" in row
    assert "Owner" in row and "Omid Owner" in row
    assert "1,200" in row
    assert f'href="/partners/{partner.id}"' in page


def test_long_values_are_cut_with_the_whole_text_a_click_away(
    acting, auth, client, make_user, make_partner
):
    partner = make_partner()
    long_text = "Twin-city plan. " * 30
    acting(make_user("staff"), _change(Partner, partner.id, summary=long_text))
    auth.login("admin")
    page = _text(client.get(PAGE, query_string={"kind": "partners", "record": partner.id}))
    assert long_text[:157] + "…" in page
    assert "<details" in page and long_text.strip() in page


def test_a_deleted_record_still_shows_in_the_trail_and_its_export(
    app, acting, auth, client, make_user, make_agreement
):
    agreement = make_agreement()
    staff = make_user("staff")
    milestone = acting(
        staff, lambda: _add(Milestone(agreement_id=agreement.id, title="Joint forum"))
    )
    with app.app_context():
        db.session.execute(sa.delete(Milestone).where(Milestone.id == milestone.id))
        db.session.commit()
    auth.login("admin")
    page = _text(
        client.get(PAGE, query_string={"kind": "agreement_milestones", "record": milestone.id})
    )
    assert "Milestone" in page and "Deleted" in page and "Joint forum" in page
    assert f"No. {milestone.id}" in page
    rows = _csv(client.get(EXPORT, query_string={"kind": "agreement_milestones"}))
    [title] = [row for row in rows if row[8] == "Milestone or obligation"]
    assert title[5:8] == ["Milestone", str(milestone.id), "(deleted)"]
    assert title[9:] == ["", "Joint forum"]


# --- filters -------------------------------------------------------------------------------------
def test_the_trail_filters_by_user_kind_and_record(acting, auth, client, make_user, make_partner):
    staff, manager = make_user("staff"), make_user("manager")
    kazan, ufa = make_partner(name_en="Kazan"), make_partner(name_en="Ufa")
    acting(staff, _change(Partner, kazan.id, region="Tatarstan"))
    acting(manager, _change(Partner, ufa.id, region="Bashkortostan"))
    acting(manager, lambda: db.session.add(Contact(partner_id=ufa.id, name_latin="Rustam")))
    auth.login("admin")

    def shown(**query) -> set[str]:
        page = _text(client.get(PAGE, query_string=query))
        return {word for word in ("Tatarstan", "Bashkortostan", "Rustam") if word in page}

    assert shown() == {"Tatarstan", "Bashkortostan", "Rustam"}
    assert shown(user=staff.id) == {"Tatarstan"}
    assert shown(user=manager.id) == {"Bashkortostan", "Rustam"}
    assert shown(kind="contacts") == {"Rustam"}
    assert shown(kind="partners", record=ufa.id) == {"Bashkortostan"}
    assert shown(user="none") == set()  # the fixtures' records were made by no one
    assert "Kazan" in _text(client.get(PAGE, query_string={"user": "none"}))


def _dated(app, when: datetime) -> None:
    """Move every entry so far to ``when`` (the log of another day)."""
    with app.app_context():
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.at > when).values(at=when))
        db.session.commit()


@pytest.mark.parametrize(
    "locale, first, last, before",
    [
        ("en", "2026-03-21", "2026-03-21", "2026-03-20"),
        ("fa", "۱۴۰۵/۰۱/۰۱", "1405/01/01", "۱۴۰۴/۱۲/۲۹"),
    ],
)
def test_the_trail_filters_by_days_in_the_readers_calendar(
    app, acting, auth, client, make_user, make_partner, locale, first, last, before
):
    staff = make_user("staff")
    partner = make_partner()
    acting(staff, _change(Partner, partner.id, region="Nowruz"))
    # 1 Farvardin 1405 = 21 March 2026; 00:30 in Tehran is still 20 March in UTC
    _dated(app, datetime(2026, 3, 20, 21, 0, tzinfo=UTC))
    acting(staff, _change(Partner, partner.id, region="Later"))
    auth.login("admin", locale=locale)
    page = _text(client.get(PAGE, query_string={"date_from": first, "date_to": last}))
    assert "Nowruz" in page and "Later" not in page
    page = _text(client.get(PAGE, query_string={"date_to": before}))
    assert "Nowruz" not in page and "Istanbul" not in page


@pytest.mark.parametrize(
    "query",
    [
        {"record": "abc"},
        {"record": "2147483648"},
        {"record": "-4"},
        {"act": "②"},
        {"user": "99999999999999"},
        {"user": "nobody"},
        {"kind": "passwords"},
        {"date_from": "2026-02-30"},
        {"date_from": "2026-05-01", "date_to": "2026-04-01"},
        {"page": "-1"},
    ],
)
def test_bad_filter_input_gets_a_message_never_a_server_error(auth, client, make_partner, query):
    make_partner()
    auth.login("admin")
    response = client.get(PAGE, query_string=query)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    if "page" not in query:
        assert "invalid-feedback" in page or 'role="alert"' in page
    assert client.get(EXPORT, query_string=query).status_code == 200


def test_bad_filter_input_is_told_in_persian(auth, client):
    auth.login("admin", locale="fa")
    page = _text(client.get(PAGE, query_string={"date_from": "1405/13/40", "record": "x"}))
    assert 'dir="rtl"' in page
    date_error = page.split('id="date_from-error"')[1].split("</div>")[0]
    assert "تاریخ" in date_error
    assert "Enter" not in page.split('id="record-error"')[1].split("</div>")[0]


# --- the export ----------------------------------------------------------------------------------
def test_the_export_has_a_row_per_changed_field_with_old_and_new_values(
    acting, auth, client, make_user, make_partner
):
    staff = make_user("staff", display_name="Sara Staff")
    partner = make_partner(relationship_type="friendship")
    acting(staff, _change(Partner, partner.id, relationship_type="sister_city", region="Marmara"))
    auth.login("admin")
    response = client.get(EXPORT, query_string={"user": staff.id})
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-log-')
    header, *rows = _csv(response)
    assert header == [
        "Act",
        "When",
        "User",
        "How",
        "Action",
        "Record kind",
        "Record number",
        "Record",
        "Field",
        "Old value",
        "New value",
    ]
    assert sorted(row[8:] for row in rows) == [
        ["Region or province", "", "Marmara"],
        ["Relationship", "Friendship", "Sister city"],
    ]
    assert {tuple(row[2:8]) for row in rows} == {
        ("Sara Staff", "In the app", "Changed", "Partner", str(partner.id), "Istanbul")
    }
    assert rows[0][1].startswith(datetime.now(UTC).strftime("%Y-"))


def test_the_export_writes_formulas_as_text(acting, auth, client, make_user):
    formulas = {
        "name_en": '=HYPERLINK("http://evil.example")',
        "name_fa": "@SUM(A1:A2)",
        "region": "+98 21 5555",
        "website": "-2+3",
    }
    acting(make_user("staff", display_name="=cmd|' /C calc'!A0"), lambda: _new_partner(**formulas))
    auth.login("admin")
    rows = _csv(client.get(EXPORT, query_string={"kind": "partners"}))
    cells = [cell for row in rows[1:] for cell in row]
    for value in formulas.values():
        assert "'" + value in cells
        assert value not in cells
    assert "'=cmd|' /C calc'!A0" in cells


def test_the_export_speaks_persian_with_jalali_dates(acting, auth, client, make_user, make_partner):
    partner = make_partner()
    acting(make_user("staff"), _change(Partner, partner.id, relationship_type="friendship"))
    auth.login("admin", locale="fa")
    response = client.get(EXPORT, query_string={"kind": "partners"})
    assert 'filename="audit-log-14' in response.headers["Content-Disposition"]
    header, *rows = _csv(response)
    assert header[1] == "زمان"
    [change] = [row for row in rows if row[4] == "ویرایش شد"]
    assert change[1].startswith("14") and change[1][4] == "/"  # 1405/09/08 14:30
    assert change[5] == "طرف همکاری" and change[7] == "استانبول"
    assert change[8:] == ["نوع رابطه", "شهر خواهرخوانده", "دوستی"]


def test_the_export_streams_a_long_log_in_batches(app, acting, auth, client, make_user):
    acting(make_user("staff"), lambda: [_new_partner(name_en=f"City {n}") for n in range(1200)])
    auth.login("admin")
    response = client.get(EXPORT, query_string={"kind": "partners"})
    assert response.is_streamed
    names = {row[7] for row in _csv(response)[1:]}
    assert {"City 0", "City 1199"} <= names


def _acts(acting, staff, make_partner, make_agreement, make_contact, make_activity, n):
    for i in range(n):
        partner = make_partner(name_en=f"City {i}")
        agreement = make_agreement(parties=[partner])
        contact = make_contact(partner)
        acting(staff, _change(Partner, partner.id, region=f"R{i}"))
        acting(staff, _change(Contact, contact.id, title=f"Mayor {i}"))
        acting(staff, lambda a=agreement: db.session.add(Milestone(agreement_id=a.id, title="M")))
        first = make_activity(partner, agreement_id=agreement.id, subject=f"Visit {i}")
        acting(
            staff,
            lambda p=partner, a=agreement, f=first, c=contact: _add(
                Activity(
                    kind="call",
                    subject="Next step",
                    domain=p.domain,
                    partner_id=p.id,
                    agreement_id=a.id,
                    previous_id=f.id,
                    status="planned",
                    participants=[db.session.get(Contact, c.id)],
                )
            ),
        )


def test_the_export_costs_the_same_queries_for_n_and_3n_rows(
    app, acting, auth, client, make_user, make_partner, make_agreement, make_contact, make_activity
):
    staff = make_user("staff")
    auth.login("admin")
    _acts(acting, staff, make_partner, make_agreement, make_contact, make_activity, 4)
    with count_queries(app) as few:
        rows_few = _csv(client.get(EXPORT))
    _acts(acting, staff, make_partner, make_agreement, make_contact, make_activity, 8)
    with count_queries(app) as many:
        rows_many = _csv(client.get(EXPORT))
    assert len(rows_many) - 1 > 2 * (len(rows_few) - 1)  # about three times the rows
    assert len(many) == len(few)


def test_each_batch_of_the_export_costs_one_query_per_model_it_shows(
    app,
    acting,
    auth,
    client,
    make_user,
    make_partner,
    make_agreement,
    make_contact,
    make_activity,
    monkeypatch,
):
    """A long log is read in batches: each looks its records and names up with one query per
    model (partners, contacts, agreements, milestones, activities, users: six at most), so the
    whole export costs a bounded number of queries per batch, never one per row."""
    staff = make_user("staff")
    auth.login("admin")
    _acts(acting, staff, make_partner, make_agreement, make_contact, make_activity, 6)
    with app.app_context():
        entries = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    monkeypatch.setattr(services, "EXPORT_BATCH", 5)
    with count_queries(app) as statements:
        rows = _csv(client.get(EXPORT))
    batches = -(-entries // 5)
    lookups = [s for s in statements if not s.lstrip().upper().startswith("SELECT AUDIT_LOG")]
    assert len(rows) > entries  # some entries hold several changed fields
    assert len(lookups) <= 3 + 6 * batches  # the session, the user filter's choices, and so on


# --- both languages and the cost of a page -----------------------------------------------------
def test_the_trail_in_persian_is_right_to_left_with_jalali_dates_and_persian_labels(
    acting, auth, client, make_user, make_partner
):
    partner = make_partner()
    acting(make_user("staff"), _change(Partner, partner.id, relationship_type="friendship"))
    auth.login("admin", locale="fa")
    page = _text(client.get(PAGE))
    assert '<html lang="fa" dir="rtl">' in page
    assert "ویرایش شد" in page and "نوع رابطه" in page and "شهر خواهرخوانده" in page
    assert "۱۴۰" in page  # a Jalali year in Persian digits
    assert "استانبول" in page


def test_the_page_costs_the_same_queries_however_many_acts_it_shows(
    app, acting, auth, client, make_user, make_partner, make_agreement
):
    staff = make_user("staff")
    auth.login("admin")

    def some_acts(n):
        for i in range(n):
            partner = make_partner()
            agreement = make_agreement(parties=[partner])
            acting(staff, _change(Partner, partner.id, region=f"R{i}"))
            acting(
                staff,
                lambda a=agreement: db.session.add(Milestone(agreement_id=a.id, title="M")),
            )

    # as many as fill more than a page: each page holds every kind the acts write
    some_acts(app.config["CRM_PAGE_SIZE"] // 4 + 1)
    with count_queries(app) as few:
        _text(client.get(PAGE))
    some_acts(10)
    with count_queries(app) as many:
        _text(client.get(PAGE))
    assert len(many) == len(few)


# --- the entries written before every entry had an act --------------------------------------------
def _gives_old_entries_acts(url: str) -> None:
    """Migration 0013 groups the entries that have no act: one user's, made the same way, one
    after another, each within a second of the one before."""
    from datetime import timedelta

    from flask_migrate import downgrade, upgrade

    from crm import create_app
    from crm.config import TestConfig

    app = create_app(type("MigrationConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        upgrade(revision="0012")
        extra = {"password_hash": "x", "role": "staff", "locale": "en", "timezone": "UTC"}
        t0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
        seconds = [0, 0.2, 0.3, 0.4, 5.0, 6.0, 6.1]
        actors = [(1, "web"), (1, "web"), (2, "web"), (1, "web"), (1, "web"), (None, None)]
        actors.append((None, None))
        with db.engine.begin() as conn:
            for n in (1, 2):
                conn.execute(
                    sa.insert(User.__table__).values(
                        id=n, email=f"u{n}@example.org", display_name=f"U{n}", active=True, **extra
                    )
                )
            for n, (second, (user_id, via)) in enumerate(zip(seconds, actors, strict=True), 1):
                conn.execute(
                    sa.insert(AuditEntry.__table__).values(
                        id=n,
                        at=t0 + timedelta(seconds=second),
                        user_id=user_id,
                        via=via,
                        act_id=None,
                        action="update",
                        object_type="partners",
                        object_id=1,
                        changes={},
                    )
                )
        upgrade()
        acts = list(db.session.scalars(sa.select(AuditEntry.act_id).order_by(AuditEntry.id)))
        assert acts == [acts[0], acts[0], acts[2], acts[3], acts[4], acts[5], acts[5]]
        assert acts == sorted(acts) and len(set(acts)) == 5
        first = db.session.get(AuditAct, acts[0])
        assert (first.user_id, first.via, first.kind, first.at) == (1, "web", "", t0)
        assert db.session.get(AuditAct, acts[5]).user_id is None
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


def test_migration_0013_gives_old_entries_acts_on_sqlite(tmp_path):
    _gives_old_entries_acts(f"sqlite:///{tmp_path / 'acts.db'}")


@pytest.mark.postgres
def test_migration_0013_gives_old_entries_acts_on_postgresql(postgres_database):
    _gives_old_entries_acts(postgres_database)


@pytest.mark.parametrize("locale", ["en", "fa"])
def test_the_workbook_export_has_real_times_and_keeps_formulas_as_text(
    acting, auth, client, make_user, locale
):
    from openpyxl import load_workbook

    acting(make_user("staff", display_name="=cmd|' /C calc'!A0"), lambda: _new_partner())
    auth.login("admin", locale=locale)
    query = {"kind": "partners"}
    rows = _csv(client.get(EXPORT, query_string=query))
    response = client.get(EXPORT.replace(".csv", ".xlsx"), query_string=query)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    header = [cell.value for cell in sheet[1]]
    # the CSV's columns, and in Persian the Jalali text of the time beside it
    assert header == (rows[0][:2] + [header[2]] + rows[0][2:] if locale == "fa" else rows[0])
    assert sheet.sheet_view.rightToLeft is (locale == "fa")
    assert sheet.max_row == len(rows)
    first = list(sheet[2])
    assert first[1].is_date and first[1].value.year == datetime.now(UTC).year
    if locale == "fa":
        assert first[2].value == rows[1][1]  # the same Jalali text as the CSV's
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell for cell in cells if cell.data_type == "f"]
    assert "=cmd|' /C calc'!A0" in [cell.value for cell in cells]  # as typed, text
