"""The large data set for benchmarks: Core bulk inserts, seeded random, on SQLite or PostgreSQL.

Core inserts bypass the ORM flush hooks, so search keys are computed here with the same
``search_key`` and the same fields as each model's ``search_values()``, sort keys with
``sort_key`` of the names (and partners' countries) each model's ``sort_keys()`` takes, and
activities' ``when_at`` and ``day_ends_at`` with the same ``moment`` and ``day_end`` and their
owner's zone; no audit rows are written for these rows on purpose. Ids are assigned here (after
the current maximum) so the link tables can be filled without reading ids back; PostgreSQL
sequences are moved past them.
"""

import random
from datetime import date, timedelta

from sqlalchemy import func, insert, select, text
from werkzeug.security import generate_password_hash

from crm.activities.models import Activity, activity_participants, day_end, moment
from crm.agreements.models import (
    Agreement,
    StageChange,
    agreement_areas,
    agreement_parties,
    close_spells,
)
from crm.auth.models import User
from crm.demo.data import DEMO_DOMAIN, DEMO_PASSWORD
from crm.demo.data_work import STAGE_PATHS
from crm.demo.large_words import (
    ACTIVITY_SUBJECTS,
    AGREEMENT_TITLES,
    FIRST_NAMES,
    KIND_WORDS,
    LAST_NAMES,
    OUTCOMES,
    PLACES,
)
from crm.demo.small import at_tehran, tehran_today
from crm.extensions import db
from crm.formatting import pick, zone_of
from crm.models import CooperationArea, utcnow
from crm.partners.models import Contact, Partner, country_sort_keys, partner_areas
from crm.search import merge_pending_entries
from crm.text import search_key, sort_key

SIZES = {"partners": 10_000, "contacts": 50_000, "agreements": 5_000, "activities": 100_000}
BULK_USERS = 40
BATCH = 5_000
REFERENCE_PREFIX = "LG-"  # marks the bulk agreements, so a second run can tell they exist
KIND_WEIGHTS = {"city": 35, "organization": 15, "company": 35, "group": 15}
KIND_DOMAINS = {
    "city": "cities",
    "organization": "organizations",
    "company": "private_sector",
    "group": "citizens",
}
RELATIONSHIPS = ["prospect", "friendship", "cooperation", "sister_city", "member", "former"]
LANGUAGES = ["fa", "en", "ar", "tr", "ru", "zh", "fr", "de", "es"]
ACTIVITY_KINDS = [
    "meeting",
    "call",
    "email",
    "letter",
    "visit_incoming",
    "visit_outgoing",
    "event",
    "task",
]
STAGES = list(STAGE_PATHS)


def sizes_for(scale: float) -> dict[str, int]:
    return {name: max(1, round(count * scale)) for name, count in SIZES.items()}


def has_large_data() -> bool:
    stmt = select(Agreement.id).where(Agreement.reference.like(REFERENCE_PREFIX + "%")).limit(1)
    return db.session.scalar(stmt) is not None


class _Writer:
    """Collects rows per table and inserts them with executemany in batches."""

    def __init__(self, conn):
        self.conn, self.rows, self.counts = conn, {}, {}

    def add(self, table, row: dict) -> None:
        rows = self.rows.setdefault(table, [])
        rows.append(row)
        if len(rows) >= BATCH:
            self.flush()  # every table, parents first (in the order they were first added)

    def flush(self) -> None:
        for tbl in self.rows:
            if self.rows[tbl]:
                self.conn.execute(insert(tbl), self.rows[tbl])
                self.counts[tbl.name] = self.counts.get(tbl.name, 0) + len(self.rows[tbl])
                self.rows[tbl] = []


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


def _key(*values: str | None) -> str:
    return search_key(values)


def _sorts(en: str, fa: str, *others: str) -> dict[str, str]:
    """The sort keys of a bilingual name, as ``SortedNameMixin.sort_keys`` makes them."""
    return {
        "sort_en": sort_key(pick("en", en, fa, *others)),
        "sort_fa": sort_key(pick("fa", en, fa, *others)),
    }


def seed_large(scale: float = 1.0, seed: int = 1404, today: date | None = None) -> dict[str, int]:
    """Add the bulk set (sizes × ``scale``); returns the number of rows inserted per table."""
    rng, today, sizes = random.Random(seed), today or tehran_today(), sizes_for(scale)
    writer, now = _Writer(db.session.connection()), utcnow()
    area_ids = list(db.session.scalars(select(CooperationArea.id)))
    owners = list(db.session.scalars(select(User.id)))
    owners += _users(writer, now, max(1, round(BULK_USERS * min(scale * 10, 1))))
    zones = {i: zone_of(z) for i, z in db.session.execute(select(User.id, User.timezone))}
    partners = _partners(writer, rng, now, today, sizes["partners"], owners, area_ids)
    hubs = partners[: max(1, min(20, len(partners) // 5))]

    def pick_partner() -> tuple:
        return rng.choice(hubs) if rng.random() < 0.1 else rng.choice(partners)

    contacts = _contacts(writer, rng, now, sizes["contacts"], pick_partner)
    by_partner = _agreements(
        writer, rng, now, today, sizes["agreements"], owners, area_ids, pick_partner
    )
    _activities(
        writer, rng, now, today, sizes["activities"], zones, pick_partner, contacts, by_partner
    )
    writer.flush()
    close_spells(db.session.connection())  # the stage changes' ends, as a flush would set them
    _move_sequences(User, Partner, Contact, Agreement, StageChange, Activity)
    if db.session.get_bind().dialect.name == "postgresql":
        # What autovacuum would do after a while: merge the search indexes' pending entries
        # (every search reads them until then). The statistics are refreshed after the commit
        # (``crm.maintenance``).
        merge_pending_entries()
    return dict(sorted(writer.counts.items(), key=lambda item: -item[1]))


def _users(writer: _Writer, now, count: int) -> list[int]:
    first, password_hash = _next_id(User), generate_password_hash(DEMO_PASSWORD)
    ids = list(range(first, first + count))
    for n, user_id in enumerate(ids, start=1):
        writer.add(
            User.__table__,
            {
                "id": user_id,
                "email": f"staff{n:02d}@bench.{DEMO_DOMAIN}",
                "display_name": f"Staff {n:02d}",
                "password_hash": password_hash,
                "role": "staff",
                "locale": "fa" if n % 2 else "en",
                "timezone": "Asia/Tehran",
                "active": True,
                "created_at": now,
                "updated_at": now,
            },
        )
    writer.flush()
    return ids


def _partners(writer, rng, now, today, count, owners, area_ids) -> list[tuple]:
    """Returns (id, domain, English name, Persian name) per partner."""
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    first, out = _next_id(Partner), []
    for partner_id in range(first, first + count):
        kind = rng.choices(kinds, weights)[0]
        place_en, place_fa, country, zone = rng.choice(PLACES)
        word_en, word_fa = KIND_WORDS[kind]
        n = partner_id - first + 1
        name_en, name_fa = f"{place_en} {word_en} {n}", f"{word_fa} {place_fa} {n}"
        since = today - timedelta(days=rng.randint(30, 9000)) if rng.random() < 0.7 else None
        writer.add(
            Partner.__table__,
            {
                "id": partner_id,
                "kind": kind,
                "domain": KIND_DOMAINS[kind],
                "name_en": name_en,
                "name_fa": name_fa,
                "name_local": name_en,
                "country": country,
                "region": place_en,
                "population": rng.randint(50_000, 9_000_000) if kind == "city" else None,
                "timezone": zone,
                "website": "",
                "relationship_type": rng.choice(RELATIONSHIPS),
                "relationship_since": since,
                "owner_id": rng.choice(owners),
                "summary": f"همکاری با {name_fa} در حوزه‌های شهری.",
                "talking_points": "",
                "search_key": _key(name_en, name_fa, name_en, place_en),
                **_sorts(name_en, name_fa, name_en),
                **country_sort_keys(country),
                "archived_at": now if rng.random() < 0.02 else None,
                "created_at": now,
                "updated_at": now,
            },
        )
        for area_id in rng.sample(area_ids, rng.randint(1, 3)):
            writer.add(partner_areas, {"partner_id": partner_id, "area_id": area_id})
        out.append((partner_id, KIND_DOMAINS[kind], name_en, name_fa))
    writer.flush()
    return out


def _contacts(writer, rng, now, count, pick_partner) -> dict[int, list[int]]:
    """Returns the contact ids of each partner."""
    first = _next_id(Contact)
    by_partner: dict[int, list[int]] = {}
    for contact_id in range(first, first + count):
        partner_id = pick_partner()[0]
        (first_en, first_fa), (last_en, last_fa) = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        latin, persian = f"{first_en} {last_en}", f"{first_fa} {last_fa}"
        email = f"{first_en}.{last_en}.{contact_id}@partner{partner_id}.example".lower()
        phone = f"+98912{rng.randint(1_000_000, 9_999_999)}"
        title = rng.choice(["Director", "Advisor", "Officer", "Head of Unit", "Coordinator"])
        mine = by_partner.setdefault(partner_id, [])
        writer.add(
            Contact.__table__,
            {
                "id": contact_id,
                "partner_id": partner_id,
                "name_latin": latin,
                "name_fa": persian,
                "title": title,
                "department": "International Relations",
                "email": email,
                "phone": phone,
                "language": rng.choice(LANGUAGES),
                "notes": "",
                "is_primary": not mine,
                "search_key": _key(latin, persian, title, "International Relations", email, phone),
                **_sorts(latin, persian),
                "archived_at": None,
                "created_at": now,
                "updated_at": now,
            },
        )
        mine.append(contact_id)
    writer.flush()
    return by_partner


def _agreements(writer, rng, now, today, count, owners, area_ids, pick_partner):
    """Returns the agreement ids of each partner that is a party."""
    first, change_id = _next_id(Agreement), _next_id(StageChange)
    by_partner: dict[int, list[int]] = {}
    for agreement_id in range(first, first + count):
        parties = {pick_partner() for _ in range(rng.choice([1, 1, 1, 2, 2, 3]))}
        lead = min(parties)
        type_, title_en, title_fa = rng.choice(AGREEMENT_TITLES)
        stage = rng.choice(STAGES)
        path = STAGE_PATHS[stage]
        start = today - timedelta(days=rng.randint(len(path) * 20, 3000))
        steps = [start + timedelta(days=i * 20) for i in range(len(path))]
        signed = steps[path.index("signed")] if "signed" in path else None
        if stage == "expired":
            expires = today - timedelta(days=rng.randint(1, max(1, (today - signed).days // 2)))
        elif signed:
            expires = today + timedelta(days=rng.randint(1, 89 if stage == "renewal" else 1100))
        else:
            expires = None
        reference = f"{REFERENCE_PREFIX}{agreement_id:06d}"
        title_en, title_fa = f"{title_en} with {lead[2]}", f"{title_fa} با {lead[3]}"
        writer.add(
            Agreement.__table__,
            {
                "id": agreement_id,
                "type": type_,
                "title_en": title_en,
                "title_fa": title_fa,
                "reference": reference,
                "terms_summary": "",
                "stage": stage,
                "signed_on": signed,
                "effective_on": signed + timedelta(days=15) if signed else None,
                "expires_on": expires,
                "renewal_notice_days": 90,
                "auto_renew": rng.random() < 0.2,
                "signatories": "",
                "owner_id": rng.choice(owners),
                "confidentiality": rng.choices(["public", "internal", "confidential"], [3, 6, 1])[
                    0
                ],
                "search_key": _key(title_en, title_fa, reference),
                **_sorts(title_en, title_fa),
                "archived_at": None,
                "created_at": now,
                "updated_at": now,
            },
        )
        for partner in parties:
            writer.add(agreement_parties, {"agreement_id": agreement_id, "partner_id": partner[0]})
            by_partner.setdefault(partner[0], []).append(agreement_id)
        for area_id in rng.sample(area_ids, rng.randint(1, 3)):
            writer.add(agreement_areas, {"agreement_id": agreement_id, "area_id": area_id})
        for i, (to_stage, day) in enumerate(zip(path, steps, strict=True)):
            writer.add(
                StageChange.__table__,
                {
                    "id": change_id,
                    "agreement_id": agreement_id,
                    "from_stage": path[i - 1] if i else None,
                    "to_stage": to_stage,
                    "changed_at": at_tehran(min(day, today)),
                    "changed_by_id": rng.choice(owners),
                    "note": "",
                },
            )
            change_id += 1
    writer.flush()
    return by_partner


def _activities(writer, rng, now, today, count, zones, pick_partner, contacts, agreements):
    """``zones``: each owner's time zone, for the moment (``when_at``) of a due date."""
    first, owners = _next_id(Activity), list(zones)
    for activity_id in range(first, first + count):
        partner_id, domain, name_en, name_fa = pick_partner()
        offset = rng.randint(-730, 365)
        day = today + timedelta(days=offset)
        if offset < 0:
            status = rng.choices(["done", "cancelled", "planned"], [85, 10, 5])[0]
        else:
            status = rng.choices(["planned", "cancelled"], [95, 5])[0]
        kind = rng.choice(ACTIVITY_KINDS)
        template_en, template_fa = ACTIVITY_SUBJECTS[kind]
        subject = (
            template_fa.format(name=name_fa)
            if rng.random() < 0.6
            else template_en.format(name=name_en)
        )
        outcome = rng.choice(OUTCOMES) if status == "done" else ""
        timed = rng.random() < 0.7
        mine = agreements.get(partner_id)
        owner_id = rng.choice(owners)
        starts_at = (
            at_tehran(day, f"{rng.randint(8, 17):02d}:{rng.choice([0, 30]):02d}") if timed else None
        )
        writer.add(
            Activity.__table__,
            {
                "id": activity_id,
                "kind": kind,
                "subject": subject,
                "notes": "",
                "domain": domain,
                "partner_id": partner_id,
                "agreement_id": rng.choice(mine) if mine and rng.random() < 0.25 else None,
                "owner_id": owner_id,
                "starts_at": starts_at,
                "due_on": None if timed else day,
                "when_at": moment(starts_at, None if timed else day, zones[owner_id]),
                "day_ends_at": day_end(starts_at, None if timed else day, zones[owner_id]),
                "location": "",
                "status": status,
                "outcome": outcome,
                "remind_before_minutes": 60 if timed else None,
                "previous_id": None,
                "search_key": _key(subject, outcome),
                "sort_subject": sort_key(subject),
                "archived_at": None,
                "created_at": now,
                "updated_at": now,
            },
        )
        people = contacts.get(partner_id, [])
        for contact_id in rng.sample(people, min(len(people), rng.randint(0, 2))):
            writer.add(
                activity_participants, {"activity_id": activity_id, "contact_id": contact_id}
            )


def _move_sequences(*models) -> None:
    """After explicit ids, PostgreSQL's sequences must continue after the largest id."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )
        )
