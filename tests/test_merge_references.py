"""A merge moves what names the merged-away partner outside its own tables: reminders still to
go out (unless about a date the survivor does not share, or already there), briefing packs
queued to be prepared; an administrator's undo puts back what has not moved on since."""

from datetime import date, timedelta

import pytest

from crm.duplicates.merging import stamp
from crm.duplicates.models import Merge
from crm.extensions import db
from crm.files.models import PreparedFile
from crm.models import utcnow
from crm.notifications.models import Notification
from crm.partners.models import Partner
from crm.reminders.delivery import deliver
from crm.reminders.models import Reminder


@pytest.fixture
def setup(app, auth, make_partner):
    """A manager, signed in, owning Tehran (to keep, no date) and Teheran (to merge, a
    relationship since 1 March 2016), with Teheran's reminders and packs."""
    manager = auth.login("manager", locale="en")
    keep = make_partner(name_en="Tehran", name_fa="", country="IR", owner_id=manager.id)
    other = make_partner(
        name_en="Teheran",
        name_fa="",
        country="IR",
        owner_id=manager.id,
        relationship_since=date(2016, 3, 1),
    )
    third = make_partner(name_en="Shiraz", name_fa="", country="IR")
    with app.app_context():
        due = utcnow() - timedelta(minutes=5)

        def reminder(record_id, channel="in_app", status="pending", occurrence="2027"):
            return Reminder(
                rule="anniversary",
                record_kind="partner",
                record_id=record_id,
                occurrence=occurrence,
                recipient_id=manager.id,
                channel=channel,
                due_at=due,
                status=status,
            )

        def pack(ids, status="queued"):
            return PreparedFile(
                kind="pack",
                owner_id=manager.id,
                parameters={"partner_ids": ids, "language": "en"},
                status=status,
            )

        rows = {
            "pending": reminder(other.id),
            "twin": reminder(other.id, channel="email"),  # the survivor has the same one
            "kept_twin": reminder(keep.id, channel="email"),
            "sent": reminder(other.id, status="sent", occurrence="2026"),
            "pack": pack([third.id, other.id, keep.id]),
            "pack_alone": pack([other.id]),
            "ready": pack([other.id], status="ready"),
        }
        db.session.add_all(rows.values())
        db.session.commit()
        ids = {name: row.id for name, row in rows.items()}
        seen = stamp(db.session.get(Partner, keep.id), db.session.get(Partner, other.id))
    return {"manager": manager, "keep": keep, "other": other, "third": third, "seen": seen, **ids}


def _merge(client, s, **form):
    keep, other = s["keep"], s["other"]
    data = {"survivor": keep.id, "stamp": s["seen"], "confirmed": "1", **form}
    response = client.post(f"/duplicates/partners/{keep.id}/{other.id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]


def _about(reminder_id):
    return db.session.get(Reminder, reminder_id).record_id


def _pack(file_id):
    return db.session.get(PreparedFile, file_id).parameters["partner_ids"]


def test_pending_reminders_and_queued_packs_follow_the_merge(app, client, setup):
    s = setup
    keep, other, third = s["keep"].id, s["other"].id, s["third"].id
    _merge(client, s, keep_relationship_since=other)  # the survivor takes the other's date
    with app.app_context():
        assert _about(s["pending"]) == keep
        assert _about(s["twin"]) == other  # the survivor has its own: not twice
        assert _about(s["sent"]) == other  # gone out already: history
        assert _pack(s["pack"]) == [third, keep]  # the survivor named once, in its place
        assert _pack(s["pack_alone"]) == [keep]
        assert _pack(s["ready"]) == [other]  # made before the merge: as made
        merge = db.session.scalar(db.select(Merge))
        assert merge.moved["reminders"] == [s["pending"]]
        assert merge.moved["files"] == {
            str(s["pack"]): [third, other, keep],
            str(s["pack_alone"]): [other],
        }
        # the moved reminder goes out about the survivor, to its owner
        assert deliver(s["pending"]) == "sent"
        note = db.session.scalar(db.select(Notification).filter_by(reminder_id=s["pending"]))
        assert (note.record_kind, note.record_id) == ("partner", keep)
        assert note.subject == "11 years of the relationship with Tehran on Mar 1, 2027"
        assert deliver(s["twin"]) == "cancelled"  # the merged-away partner is archived
    client.get("/")  # the merge's message shown
    page = client.get(f"/files/{s['pack']}").get_data(as_text=True)
    named = page.split("Partners</dt>")[1].split("</dd>")[0]
    assert named.endswith(">Shiraz, Tehran") and "Teheran" not in page


def test_a_reminder_about_a_date_the_survivor_does_not_share_stays(app, client, setup):
    s = setup
    _merge(client, s)  # the survivor keeps its own (empty) date
    with app.app_context():
        assert _about(s["pending"]) == s["other"].id
        assert db.session.scalar(db.select(Merge)).moved["reminders"] == []
        assert deliver(s["pending"]) == "cancelled"


def test_an_undo_puts_back_what_has_not_moved_on_since(app, auth, client, setup):
    s = setup
    keep, other, third = s["keep"].id, s["other"].id, s["third"].id
    _merge(client, s, keep_relationship_since=other)
    with app.app_context():
        db.session.get(PreparedFile, s["pack_alone"]).status = "running"  # being prepared
        merge_id = db.session.scalar(db.select(Merge.id))
        db.session.commit()
    auth.logout()
    auth.login("admin", locale="en")
    response = client.post(f"/duplicates/merges/{merge_id}/undo")
    assert response.status_code == 302
    assert "The merge was undone." in client.get(response.headers["Location"]).get_data(
        as_text=True
    )
    with app.app_context():
        assert _about(s["pending"]) == other
        assert _about(s["twin"]) == other and _about(s["kept_twin"]) == keep
        assert _pack(s["pack"]) == [third, other, keep]
        assert _pack(s["pack_alone"]) == [keep]  # its preparation had begun: left as it is
        assert _pack(s["ready"]) == [other]


def test_an_undo_leaves_a_reminder_sent_since_the_merge(app, auth, client, setup):
    s = setup
    _merge(client, s, keep_relationship_since=s["other"].id)
    with app.app_context():
        assert deliver(s["pending"]) == "sent"
        merge_id = db.session.scalar(db.select(Merge.id))
    auth.logout()
    auth.login("admin", locale="en")
    assert client.post(f"/duplicates/merges/{merge_id}/undo").status_code == 302
    with app.app_context():
        assert _about(s["pending"]) == s["keep"].id  # it went out about the survivor
        assert db.session.get(Reminder, s["pending"]).status == "sent"


def test_a_merge_recorded_before_these_moves_is_still_undone(app, auth, client, setup):
    s = setup
    _merge(client, s)
    with app.app_context():
        merge = db.session.scalar(db.select(Merge))
        merge.moved = {
            k: v for k, v in merge.moved.items() if k not in ("notifications", "reminders", "files")
        }
        db.session.commit()
        merge_id = merge.id
    auth.logout()
    auth.login("admin", locale="en")
    response = client.post(f"/duplicates/merges/{merge_id}/undo")
    assert response.status_code == 302
    with app.app_context():
        assert not db.session.get(Partner, s["other"].id).archived
        assert db.session.get(Merge, merge_id).undone
