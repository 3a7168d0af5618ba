"""The core works where jobs, commands and PDF builders run: in a plain application context,
with no request, for readers and actors passed in explicitly."""

from datetime import UTC, date, datetime, time

import pytest
from flask import has_request_context
from sqlalchemy import select

from crm.activities.services import ActivityData, save_activity
from crm.agreements.models import STAGES, Agreement
from crm.audit import AuditAct, AuditEntry, audit_act
from crm.auth.models import User
from crm.extensions import db
from crm.formatting import Formatter
from crm.partners.models import Partner
from crm.partners.services import PartnerData, save_partner
from crm.permissions import acting_as

PERSIAN_IN_TEHRAN = ("fa", "Asia/Tehran")
ENGLISH_IN_BERLIN = ("en", "Europe/Berlin")


@pytest.fixture
def plain(app):
    """An application context and nothing else, as an RQ worker or a CLI command has."""
    with app.app_context():
        assert not has_request_context()
        yield app


def _user(make_user, locale, zone, role="staff"):
    return db.session.get(User, make_user(role, locale=locale, timezone=zone).id)


def test_records_name_themselves_without_a_request(plain, make_partner, make_agreement):
    partner = db.session.get(Partner, make_partner(name_en="Kazan", name_fa="کازان").id)
    agreement = db.session.get(Agreement, make_agreement(parties=[partner]).id)
    assert partner.name == "Kazan"  # the default language of the test configuration (en)
    assert partner.name_in("fa") == "کازان"
    assert Formatter(*ENGLISH_IN_BERLIN).name(agreement) == "Memorandum on urban transport"
    assert Formatter(*PERSIAN_IN_TEHRAN).name(agreement) == "تفاهم‌نامه حمل‌ونقل شهری"


def test_two_readers_in_two_zones_see_their_own_calendar_digits_and_clock(
    plain, make_partner, make_agreement, make_activity
):
    partner = db.session.get(Partner, make_partner(population=8_693_706).id)
    agreement = make_agreement(
        parties=[partner], stage="active", signed_on=date(2025, 3, 21), expires_on=date(2030, 3, 20)
    )
    # 20:45 UTC on 25 November is 00:15 on the 26th in Tehran and 21:45 on the 25th in Berlin.
    activity = make_activity(
        partner, due_on=None, starts_at=datetime(2026, 11, 25, 20, 45, tzinfo=UTC)
    )
    fa, en = Formatter(*PERSIAN_IN_TEHRAN), Formatter(*ENGLISH_IN_BERLIN)

    assert fa.name(partner) == "استانبول" and en.name(partner) == "Istanbul"
    assert fa.number(partner.population) == "۸٬۶۹۳٬۷۰۶"
    assert en.number(partner.population) == "8,693,706"
    assert fa.date(agreement.signed_on) == "۱۴۰۴/۰۱/۰۱"
    assert en.date(agreement.signed_on) == "Mar 21, 2025"
    assert fa.label(STAGES, agreement.stage) == "فعال" and en.label(STAGES, "active") == "Active"
    assert fa.datetime(activity.starts_at) == "۱۴۰۵/۰۹/۰۵، ۰۰:۱۵"
    assert en.datetime(activity.starts_at) == "Nov 25, 2026, 9:45\u202fPM"


def test_an_activity_typed_in_tehran_is_stored_in_utc_without_a_request(
    plain, make_user, make_partner
):
    tehran = _user(make_user, *PERSIAN_IN_TEHRAN)
    berlin = _user(make_user, *ENGLISH_IN_BERLIN)
    partner = make_partner()
    data = ActivityData(
        kind="meeting",
        subject="Metro twinning talks",
        partner_id=partner.id,
        owner_id=tehran.id,
        on_date=date(2026, 12, 1),
        at_time=time(10, 30),
    )
    with acting_as(tehran, via="job"):
        in_tehran = save_activity(None, data)
    with acting_as(berlin, via="job"):
        in_berlin = save_activity(None, data)
        explicit = save_activity(None, ActivityData(**{**vars(data), "zone": "Asia/Tokyo"}))
    db.session.commit()
    assert in_tehran.starts_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # UTC+3:30
    assert in_berlin.starts_at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # UTC+1
    assert explicit.starts_at == datetime(2026, 12, 1, 1, 30, tzinfo=UTC)  # UTC+9


def test_audit_entries_name_who_acted_in_a_job_or_a_command(plain, make_user):
    worker = _user(make_user, *PERSIAN_IN_TEHRAN)
    with acting_as(worker, via="job"):
        partner = save_partner(None, PartnerData(name_en="Dushanbe", country="TJ"))
        db.session.commit()
    with acting_as(worker, via="cli"), audit_act("import", "two partners from a sheet") as act:
        save_partner(partner, PartnerData(name_en="Dushanbe", country="TJ", region="Sughd"))
        save_partner(None, PartnerData(name_en="Khujand", country="TJ"))
        db.session.commit()

    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "partners").order_by(AuditEntry.id)
    ).all()
    assert [(e.action, e.user_id, e.via) for e in entries] == [
        ("create", worker.id, "job"),
        ("update", worker.id, "cli"),
        ("create", worker.id, "cli"),
    ]
    assert entries[1].act_id == entries[2].act_id == act.id != entries[0].act_id
    saved_act = db.session.get(AuditAct, act.id)
    assert (saved_act.kind, saved_act.user_id, saved_act.via) == ("import", worker.id, "cli")
    job_act = db.session.get(AuditAct, entries[0].act_id)  # the job's transaction: an act too
    assert (job_act.kind, job_act.user_id, job_act.via) == ("", worker.id, "job")
    assert entries[1].changes == {"region": ["", "Sughd"]}


def test_a_write_service_refuses_to_run_without_an_acting_user(plain):
    with pytest.raises(RuntimeError, match="acting_as"):
        save_partner(None, PartnerData(name_en="Nobody's partner"))


def test_the_formatter_needs_no_application_at_all():
    """Dates, times and numbers for 100,000 rows never look the locale or zone up again: the
    formatter holds them, even with no application context."""
    fa = Formatter(*PERSIAN_IN_TEHRAN)
    assert fa.date(date(2026, 11, 26)) == "۱۴۰۵/۰۹/۰۵"
    assert fa.time(time(9, 5)) == "۰۹:۰۵"
    assert fa.number(1405) == "۱٬۴۰۵"
    assert Formatter("en", "No/Such_Zone").zone.key == "UTC"
