"""The audit log records who changed what, with old and new values."""

from sqlalchemy import select

from crm.audit import AuditEntry, history_for
from crm.auth.models import User
from crm.extensions import db
from crm.models import CooperationArea, utcnow
from crm.partners.models import Partner
from crm.permissions import acting_as


def _entries(partner_id):
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "partners", AuditEntry.object_id == partner_id)
            .order_by(AuditEntry.id)
        )
    )


def test_create_change_archive_restore_are_audited_with_the_actor(ctx, make_user):
    actor = db.session.get(User, make_user("staff").id)
    with acting_as(actor):
        partner = Partner(
            kind="city", domain="cities", name_en="Seoul", name_fa="سئول", country="KR"
        )
        db.session.add(partner)
        db.session.commit()
        partner.name_en = "Seoul Metropolitan Government"
        db.session.commit()
        partner.archived_at = utcnow()
        db.session.commit()
        partner.archived_at = None
        db.session.commit()

    entries = _entries(partner.id)
    assert [e.action for e in entries] == ["create", "update", "archive", "restore"]
    assert all(e.user_id == actor.id and e.via == "web" for e in entries)
    assert entries[0].changes["name_fa"] == [None, "سئول"]
    assert entries[1].changes == {"name_en": ["Seoul", "Seoul Metropolitan Government"]}
    assert entries[2].changes["archived_at"][0] is None
    assert entries[3].changes["archived_at"][1] is None


def test_a_new_country_is_audited_without_its_sort_keys(ctx):
    partner = Partner(kind="city", domain="cities", name_en="Kazan", country="RU")
    db.session.add(partner)
    db.session.commit()
    partner.country = "TR"
    db.session.commit()
    created, moved = _entries(partner.id)
    assert not any(column.startswith("sort_") for column in created.changes)
    assert moved.changes == {"country": ["RU", "TR"]}


def test_collection_changes_are_audited(ctx):
    tourism = db.session.scalar(select(CooperationArea).filter_by(code="tourism"))
    partner = Partner(kind="city", domain="cities", name_en="Kazan")
    db.session.add(partner)
    db.session.commit()
    partner.areas.append(tourism)
    db.session.commit()
    change = _entries(partner.id)[-1]
    assert change.changes == {"areas": [[], [tourism.id]]}
    assert change.user_id is None  # no one signed in: a system change


def test_unchanged_save_writes_no_entry(ctx):
    partner = Partner(kind="city", domain="cities", name_en="Kazan")
    db.session.add(partner)
    db.session.commit()
    partner.name_en = "Kazan"
    db.session.commit()
    assert len(_entries(partner.id)) == 1


def test_password_hashes_never_reach_the_audit_log(ctx, make_user):
    user = db.session.get(User, make_user("staff").id)
    user.set_password("another-secret-pass")
    db.session.commit()
    for entry in db.session.scalars(select(AuditEntry).filter_by(object_type="users")):
        assert "password_hash" not in entry.changes


def test_search_key_is_normalised_on_save(ctx):
    partner = Partner(kind="city", domain="cities", name_fa="كيش", name_en="Kish Island")
    db.session.add(partner)
    db.session.commit()
    assert "کیش" in partner.search_key and "kish island" in partner.search_key
    assert history_for(partner)[0].action == "create"


def test_change_history_speaks_the_readers_language(app, make_user):
    """Ids become names, codes their labels, dates Jalali for a Persian reader."""
    from datetime import date

    from crm.formatting import Formatter
    from crm.history import change_history, form_labels
    from crm.partners.forms import PartnerForm
    from crm.partners.models import RELATIONSHIPS

    owner = make_user("staff", display_name="Neda Rezaei")
    with app.app_context():  # no request: the reader's formatter is passed in
        tourism = db.session.scalar(select(CooperationArea).filter_by(code="tourism"))
        partner = Partner(kind="city", domain="cities", name_en="Kazan")
        db.session.add(partner)
        db.session.commit()
        partner.owner_id = owner.id
        partner.areas = [tourism]
        partner.relationship_type = "sister_city"
        partner.relationship_since = date(2023, 4, 4)
        db.session.commit()
        reader = db.session.get(User, owner.id)
        rows = change_history(
            partner,
            reader,
            Formatter("fa", "Asia/Tehran"),
            form_labels(PartnerForm),
            {"relationship_type": RELATIONSHIPS},
        )
        changes = {c.label: (c.old, c.new) for c in rows[0].changes}
    assert [row.action for row in rows] == ["ویرایش شد", "ایجاد شد"]
    assert changes["مسئول"] == ("—", "Neda Rezaei")
    assert changes["حوزه‌های همکاری"] == ("—", "گردشگری")
    assert changes["نوع رابطه"][1] == "شهر خواهرخوانده"
    assert changes["تاریخ آغاز رابطه"] == ("—", "۱۴۰۲/۰۱/۱۵")


def test_one_edit_with_an_autoflush_is_one_audit_entry(ctx):
    """Assigning a collection autoflushes halfway; the edit still reads as one change."""
    tourism = db.session.scalar(select(CooperationArea).filter_by(code="tourism"))
    partner = Partner(kind="city", domain="cities", name_en="Kazan")
    db.session.add(partner)
    db.session.commit()
    partner.name_en = "Kazan City Hall"
    partner.areas = [tourism]  # loads the old collection: an autoflush
    partner.name_en = "Kazan"  # back to where it started: not a change
    db.session.commit()
    entries = _entries(partner.id)
    assert [e.action for e in entries] == ["create", "update"]
    assert entries[1].changes == {"areas": [[], [tourism.id]]}
