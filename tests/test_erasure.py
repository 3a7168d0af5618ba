"""A contact's personal data erased on request: the fields blanked and the contact named
"Erased contact", the audit log's old values redacted (its own entries, a merge's, an act's
summary, an import's cells), the erasure recorded as one act; administrators only."""

import json

import sqlalchemy as sa

from crm.activities.models import Activity
from crm.audit import AuditAct, AuditEntry
from crm.duplicates.merging import stamp
from crm.duplicates.models import Merge
from crm.extensions import db
from crm.imports.models import ImportItem, ImportRun
from crm.partners.models import Contact

PERSON = {
    "name_latin": "Dilara Kaplanoğlu",
    "name_fa": "دیلارا کاپلان‌اوغلو",
    "title": "Head of Twinning Affairs",
    "department": "Bureau of Foreign Relations",
    "email": "dilara.k@izmir.example",
    "phone": "+90 232 555 0147",
    "language": "tr",
    "notes": "Prefers calls after 4 pm; daughter studies in Tabriz.",
}
OLD_VALUES = [v for k, v in PERSON.items() if k not in ("language", "phone")] + [
    "+902325550147",  # the phone as stored
    "dilara.kaplan@izmir.example",  # the e-mail address before it was changed
]


def _everything(app) -> str:
    """Every value of every row of every table, as text."""
    with app.app_context():
        rows = [
            list(row)
            for table in db.metadata.sorted_tables
            for row in db.session.execute(sa.select(table))
        ]
    return json.dumps(rows, ensure_ascii=False, default=str)


def _person_with_a_past(app, client, auth, make_partner, make_contact, make_activity):
    """The contact made and changed through the pages, in an activity, merged with another
    and changed by an import."""
    admin = auth.login("admin")
    partner = make_partner(name_en="Izmir", name_fa="ازمیر")
    form = PERSON | {"email": "dilara.kaplan@izmir.example"}
    assert client.post(f"/partners/{partner.id}/contacts/new", data=form).status_code == 302
    with app.app_context():
        contact_id = db.session.scalar(sa.select(Contact.id))
    edited = client.post(f"/contacts/{contact_id}/edit", data=PERSON)
    assert edited.status_code == 302
    other = make_contact(partner, name_latin="Dilara K.", name_fa="", email="", phone="", title="")
    activity = make_activity(partner, subject="Twinning week planning")
    with app.app_context():
        db.session.get(Activity, activity.id).participants = [db.session.get(Contact, contact_id)]
        db.session.commit()
        seen = stamp(db.session.get(Contact, contact_id), db.session.get(Contact, other.id))
    merged = client.post(
        f"/duplicates/contacts/{contact_id}/{other.id}",
        data={"survivor": contact_id, "stamp": seen, "confirmed": "1"},
    )
    assert merged.status_code == 302
    with app.app_context():
        run = ImportRun(
            kind="contacts",
            owner_id=admin.id,
            filename="izmir.csv",
            headers=["name", "email"],
            rows=[["Mehmet Ak", "mehmet@izmir.example"], [PERSON["name_latin"], PERSON["email"]]],
            status="done",
        )
        db.session.add(run)
        db.session.flush()
        db.session.add(
            ImportItem(
                import_id=run.id,
                row=3,  # the spreadsheet's row of the second data row
                object_type="contacts",
                object_id=contact_id,
                action="update",
                before={"notes": PERSON["notes"], "language": "tr"},
            )
        )
        db.session.commit()
    return admin, contact_id, other, activity, run.id


def test_erasing_leaves_nothing_of_the_persons_data_in_any_table(
    app, auth, client, make_partner, make_contact, make_activity
):
    admin, contact_id, other, activity, run_id = _person_with_a_past(
        app, client, auth, make_partner, make_contact, make_activity
    )
    everything = _everything(app)
    assert [value for value in OLD_VALUES if value not in everything] == []  # it can fail
    page = client.get(f"/contacts/{contact_id}").get_data(as_text=True)
    assert f'href="/contacts/{contact_id}/erase"' in page
    confirm = client.get(f"/contacts/{contact_id}/erase")
    assert confirm.status_code == 200 and "It cannot be undone." in confirm.get_data(as_text=True)
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.max(AuditAct.id)))
    response = client.post(f"/contacts/{contact_id}/erase")
    assert response.status_code == 302
    everything = _everything(app)
    left = [value for value in OLD_VALUES if value in everything]
    assert left == []
    with app.app_context():
        if db.engine.dialect.name == "sqlite":  # the search index (FTS5) forgot the words too
            found = db.session.execute(
                sa.text("SELECT rowid FROM contacts_words WHERE contacts_words MATCH 'dilara'")
            )
            assert [row[0] for row in found] == [other.id]  # only "Dilara K."
    assert "Dilara K." in everything  # the other person's data are theirs
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        assert (contact.name_latin, contact.email, contact.phone, contact.notes) == (
            "Erased contact",
            "",
            "",
            "",
        )
        assert contact.archived and contact.erased_at is not None and contact.language == "tr"
        [act] = db.session.scalars(sa.select(AuditAct).where(AuditAct.id > before))
        assert (act.kind, act.user_id, act.summary) == ("erase", admin.id, "")
        [entry] = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.act_id == act.id))
        assert entry.changes["email"] == ["[erased]", ""]
        assert entry.changes["name_latin"] == ["[erased]", "Erased contact"]
        merge = db.session.scalar(sa.select(Merge))
        summary = db.session.get(AuditAct, merge.act_id).summary
        assert summary == "Dilara K. → Erased contact"
        run = db.session.get(ImportRun, run_id)
        assert run.rows == [["Mehmet Ak", "mehmet@izmir.example"], ["", ""]]
        [item] = db.session.scalars(sa.select(ImportItem))
        assert item.before == {"notes": "[erased]", "language": "tr"}
    shown = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert f'href="/contacts/{contact_id}"' in shown and "Erased contact" in shown
    page = client.get(f"/contacts/{contact_id}").get_data(as_text=True)
    assert f'href="/contacts/{contact_id}/erase"' not in page
    history = page.split("Change history", 1)[1]
    assert history.count("Personal data erased") == 1  # the erasure, by name
    assert "Email</dt>" in history and "(erased)" in history  # the edit: what, not the values


def test_an_erased_contact_is_neither_erased_again_nor_restored(app, auth, client, make_contact):
    auth.login("admin")
    contact = make_contact()
    client.post(f"/contacts/{contact.id}/erase")
    again = client.post(f"/contacts/{contact.id}/erase", follow_redirects=True)
    assert "This contact&#39;s personal data were erased already." in again.get_data(as_text=True)
    restored = client.post(f"/contacts/{contact.id}/restore", follow_redirects=True)
    assert "it stays archived" in restored.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Contact, contact.id).archived
        kinds = db.session.scalars(sa.select(AuditAct.kind).where(AuditAct.kind == "erase"))
        assert list(kinds) == ["erase"]


def test_only_an_administrator_erases_a_contact(app, auth, client, make_contact):
    contact = make_contact()
    for role in ("viewer", "staff", "manager"):
        auth.login(role)
        page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
        assert "/erase" not in page, role
        assert client.get(f"/contacts/{contact.id}/erase").status_code == 403, role
        assert client.post(f"/contacts/{contact.id}/erase").status_code == 403, role
        auth.logout()
    with app.app_context():
        kept = db.session.get(Contact, contact.id)
        assert kept.name_latin == "Ayşe Yılmaz" and kept.erased_at is None
