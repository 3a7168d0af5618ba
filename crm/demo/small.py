"""The demo data set, written through the ORM so audit rows and search keys are made as usual."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from crm.activities.models import Activity
from crm.agreements.models import Agreement, Milestone, StageChange
from crm.auth.models import User
from crm.auth.services import UserData, create_user
from crm.demo import recent
from crm.demo.data import CONTACTS, DEMO_DOMAIN, DEMO_PASSWORD, PARTNERS, USERS
from crm.demo.data_work import ACTIVITIES, AGREEMENTS, MILESTONES, STAGE_PATHS
from crm.extensions import db
from crm.health.lists import COMPARE_DAYS
from crm.partners.models import Contact, Partner
from crm.permissions import acting_as
from crm.reference import all_areas, ensure_cooperation_areas

TEHRAN = ZoneInfo("Asia/Tehran")
WAITING_AGREEMENT = "baghdad_arbaeen"  # in internal approval; its owner (staff) asks to move it
SIGNED_STAGES = {"signed", "active", "renewal", "expired", "terminated"}
# Stages only a manager may move an agreement into (past internal approval).
MANAGER_STAGES = {"ready_to_sign", "signed", "active", "renewal", "expired", "terminated"}
STAGE_NOTES = {
    "rejected": "تأمین مالی طرف مقابل فراهم نشد.",
    "terminated": "به دلیل تغییر مدیریت شهری طرف مقابل متوقف شد.",
    "renewal": "سه ماه به پایان اعتبار؛ بررسی تمدید آغاز شد.",
    "internal_approval": "برای بررسی حقوقی و تأیید معاونت ارسال شد.",
}


def demo_email(role: str) -> str:
    return f"{role}@{DEMO_DOMAIN}"


def tehran_today() -> date:
    return datetime.now(TEHRAN).date()


def at_tehran(day: date, hour_minute: str = "10:00") -> datetime:
    """A Tehran wall-clock time on ``day``, as an aware UTC datetime."""
    clock = time.fromisoformat(hour_minute)
    return datetime.combine(day, clock, TEHRAN).astimezone(UTC)


def has_demo_data() -> bool:
    return db.session.scalar(select(User.id).where(User.email == demo_email("admin"))) is not None


def is_empty() -> bool:
    """No users and no records yet (the cooperation areas do not count)."""
    return all(
        not db.session.scalar(select(func.count()).select_from(model))
        for model in (User, Partner, Agreement, Activity)
    )


def demo_logins() -> list[tuple[str, str, str]]:
    """(email, role, locale) of the demo users that exist."""
    emails = [demo_email(role) for role, _name, _locale in USERS]
    users = db.session.scalars(select(User).where(User.email.in_(emails)))
    found = {u.email: u for u in users}
    return [(e, found[e].role, found[e].locale) for e in emails if e in found]


def seed_small(today: date | None = None) -> dict[str, int]:
    """Write the demo set into an empty database; returns how many rows of each kind."""
    today = today or tehran_today()
    ensure_cooperation_areas()
    db.session.flush()
    areas = {a.code: a for a in all_areas()}
    users = {
        role: create_user(
            UserData(demo_email(role), name, role, locale, "Asia/Tehran", True, DEMO_PASSWORD)
        )
        for role, name, locale in USERS
    }
    db.session.flush()
    with acting_as(users["admin"], via="cli"):  # the audit log names who seeded the demo
        partners = _partners(users, areas)
        contacts = _contacts(partners)
        agreements = _agreements(today, users, partners, areas)
        _milestones(today, users, agreements)
        _activities(today, users, partners, agreements, contacts)
        db.session.flush()
    asked_at = at_tehran(today - timedelta(days=2), "11:15")
    recent.waiting_request(users["staff"], agreements[WAITING_AGREEMENT], asked_at)
    history = range(COMPARE_DAYS, 0, -1)  # the days before today (today's: at the commit)
    recent.health_history(at_tehran(today - timedelta(days=ago), "00:30") for ago in history)
    db.session.flush()
    return {
        "users": len(users),
        "partners": len(partners),
        "contacts": sum(len(c) for c in contacts.values()),
        "agreements": len(agreements),
        "activities": len(ACTIVITIES),
    }


def _partners(users: dict[str, User], areas: dict) -> dict[str, Partner]:
    partners = {}
    for i, row in enumerate(PARTNERS):
        (
            key,
            kind,
            domain,
            name_en,
            name_fa,
            name_local,
            country,
            region,
            population,
            zone,
            website,
            relationship,
            since,
            area_codes,
            summary,
            talking_points,
        ) = row
        partner = Partner(
            kind=kind,
            domain=domain,
            name_en=name_en,
            name_fa=name_fa,
            name_local=name_local,
            country=country,
            region=region,
            population=population,
            timezone=zone,
            website=website,
            relationship_type=relationship,
            relationship_since=date(since, 1 + i % 12, 1 + (i * 7) % 28) if since else None,
            owner=users["manager" if i % 3 == 0 else "staff"],
            summary=summary,
            talking_points=talking_points,
            areas=[areas[c] for c in area_codes],
        )
        db.session.add(partner)
        partners[key] = partner
    return partners


def _contacts(partners: dict[str, Partner]) -> dict[str, list[Contact]]:
    contacts: dict[str, list[Contact]] = {key: [] for key in partners}
    for key, latin, persian, title, department, email, phone, language, primary in CONTACTS:
        contact = Contact(
            partner=partners[key],
            name_latin=latin,
            name_fa=persian,
            title=title,
            department=department,
            email=email,
            phone=phone,
            language=language,
            is_primary=primary,
        )
        db.session.add(contact)
        contacts[key].append(contact)
    return contacts


def _agreement_dates(stage: str, today: date, steps: list[date]) -> dict:
    """Signed, effective and expiry dates that agree with the stage."""
    if stage not in SIGNED_STAGES:
        return {}
    signed = steps[STAGE_PATHS[stage].index("signed")]
    effective = signed + timedelta(days=15)
    expires = {
        "signed": signed + timedelta(days=3 * 365),
        "active": today + timedelta(days=400),
        "renewal": today + timedelta(days=45),
        "expired": today - timedelta(days=60),
        "terminated": today + timedelta(days=200),
    }[stage]
    return {"signed_on": signed, "effective_on": effective, "expires_on": expires}


def _step_days(stage: str, today: date, age: int) -> list[date]:
    """The days on which the agreement reached each stage of its path, oldest first."""
    path = STAGE_PATHS[stage]
    last = today - timedelta(days=59 if stage == "expired" else 1)
    first = today - timedelta(days=age)
    span = max((last - first).days, 0)
    if len(path) == 1:
        return [first]
    return [first + timedelta(days=span * i // (len(path) - 1)) for i in range(len(path))]


def _agreements(
    today: date, users: dict[str, User], partners: dict[str, Partner], areas: dict
) -> dict[str, Agreement]:
    agreements = {}
    for row in AGREEMENTS:
        (
            key,
            type_,
            title_en,
            title_fa,
            reference,
            party_keys,
            area_codes,
            stage,
            secrecy,
            owner,
            age,
            signatories,
            terms,
            auto_renew,
        ) = row
        steps = _step_days(stage, today, age)
        agreement = Agreement(
            type=type_,
            title_en=title_en,
            title_fa=title_fa,
            reference=reference,
            parties=[partners[k] for k in party_keys],
            areas=[areas[c] for c in area_codes],
            stage=stage,
            confidentiality=secrecy,
            owner=users[owner],
            signatories=signatories,
            terms_summary=terms,
            auto_renew=auto_renew,
            renewal_notice_days=90,
            created_at=at_tehran(steps[0], "09:00"),
            **_agreement_dates(stage, today, steps),
        )
        db.session.add(agreement)
        path = STAGE_PATHS[stage]
        for i, (to_stage, day) in enumerate(zip(path, steps, strict=True)):
            db.session.add(
                StageChange(
                    agreement=agreement,
                    from_stage=path[i - 1] if i else None,
                    to_stage=to_stage,
                    changed_at=at_tehran(day, f"{9 + i % 8:02d}:30"),
                    changed_by=users["manager" if to_stage in MANAGER_STAGES else owner],
                    note=STAGE_NOTES.get(to_stage, ""),
                )
            )
        agreements[key] = agreement
    return agreements


def _milestones(today: date, users: dict[str, User], agreements: dict[str, Agreement]) -> None:
    for key, title, due, responsible, status in MILESTONES:
        db.session.add(
            Milestone(
                agreement=agreements[key],
                title=title,
                due_on=today + timedelta(days=due),
                responsible=users[responsible],
                status=status,
            )
        )


def _activities(
    today: date,
    users: dict[str, User],
    partners: dict[str, Partner],
    agreements: dict[str, Agreement],
    contacts: dict[str, list[Contact]],
) -> None:
    for row in ACTIVITIES:
        (
            partner_key,
            agreement_key,
            kind,
            subject,
            owner,
            offset,
            clock,
            status,
            outcome,
            location,
            participants,
        ) = row
        partner = partners[partner_key]
        day = today + timedelta(days=offset)
        db.session.add(
            Activity(
                kind=kind,
                subject=subject,
                domain=partner.domain,
                partner=partner,
                agreement=agreements[agreement_key] if agreement_key else None,
                owner=users[owner],
                starts_at=at_tehran(day, clock) if clock else None,
                due_on=None if clock else day,
                location=location,
                status=status,
                outcome=outcome,
                remind_before_minutes=60 if clock and status == "planned" else None,
                participants=contacts[partner_key][:participants],
            )
        )
