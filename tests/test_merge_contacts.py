"""Merging two contacts: the survivor takes the chosen values and the other's place in every
activity, as one audited act; the other is archived and marked; an administrator undoes it."""

import re

import sqlalchemy as sa

from crm.activities.models import Activity
from crm.audit import AuditAct, AuditEntry
from crm.duplicates.merging import stamp
from crm.duplicates.models import Merge
from crm.extensions import db
from crm.partners.models import Contact


def _setup(app, make_partner, make_contact, make_activity):
    partner = make_partner(name_en="Baku", name_fa="")
    keep = make_contact(partner, name_latin="Ali Rezaei", email="ali@baku.az", phone="")
    other = make_contact(
        partner,
        name_latin="Ali Rezai",
        email="a.rezaei@baku.az",
        phone="+994125555555",
        is_primary=True,
    )
    alone = make_activity(partner, subject="Alone")
    together = make_activity(partner, subject="Together")
    with app.app_context():
        db.session.get(Activity, alone.id).participants = [db.session.get(Contact, other.id)]
        db.session.get(Activity, together.id).participants = [
            db.session.get(Contact, keep.id),
            db.session.get(Contact, other.id),
        ]
        db.session.commit()
        seen = stamp(db.session.get(Contact, keep.id), db.session.get(Contact, other.id))
    return keep, other, alone, together, seen


def _people(activity_id):
    return sorted(c.id for c in db.session.get(Activity, activity_id).participants)


def test_merging_contacts_moves_participation_as_one_act_and_an_admin_undoes_it(
    app, auth, client, make_partner, make_contact, make_activity
):
    keep, other, alone, together, seen = _setup(app, make_partner, make_contact, make_activity)
    manager = auth.login("manager", locale="en")
    url = f"/duplicates/contacts/{keep.id}/{other.id}"
    page = client.get(url).get_data(as_text=True)
    assert f'name="keep_phone" value="{other.id}"' in page and 'name="confirmed"' in page
    # no field's value is chosen before the contact to keep is: unchosen, it keeps the kept one's
    assert not re.search(r'name="keep_\w+" value="\d+" id="[^"]+" checked', page)
    hint = page.split('id="keep-hint">')[1].split("</p>")[0]
    assert hint.startswith("First choose the contact to keep.")
    assert page.index('id="keep-hint"') < page.index('name="survivor"')  # read before choosing
    form = {"survivor": keep.id, "stamp": seen, "keep_phone": other.id}
    response = client.post(url, data=form)  # the box not ticked
    assert response.status_code == 400
    assert "Tick the box to confirm the merge." in response.get_data(as_text=True)
    with app.app_context():
        before = db.session.scalar(sa.select(sa.func.max(AuditAct.id)))
    response = client.post(url, data=form | {"confirmed": "1"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/contacts/{keep.id}")
    with app.app_context():
        survivor, merged = db.session.get(Contact, keep.id), db.session.get(Contact, other.id)
        assert survivor.phone == "+994125555555" and survivor.email == "ali@baku.az"
        assert survivor.is_primary  # took the other's place as the partner's primary contact
        assert merged.archived and merged.merged_into_id == keep.id and not merged.is_primary
        assert _people(alone.id) == [keep.id] and _people(together.id) == [keep.id]
        acts = list(db.session.scalars(sa.select(AuditAct).where(AuditAct.id > before)))
        assert [(a.kind, a.user_id) for a in acts] == [("merge", manager.id)]
        touched = set(
            db.session.execute(
                sa.select(AuditEntry.object_type, AuditEntry.object_id).where(
                    AuditEntry.act_id == acts[0].id
                )
            )
        )
        assert {("contacts", keep.id), ("contacts", other.id)} <= touched
        assert {("activities", alone.id), ("activities", together.id)} <= touched
        merge_id = db.session.scalar(sa.select(Merge.id))
    auth.logout()
    auth.login("admin", locale="en")
    assert client.post(f"/duplicates/merges/{merge_id}/undo").status_code == 302
    with app.app_context():
        survivor, merged = db.session.get(Contact, keep.id), db.session.get(Contact, other.id)
        assert survivor.phone == "" and not survivor.is_primary
        assert not merged.archived and merged.merged_into_id is None and merged.is_primary
        assert _people(alone.id) == [other.id]
        assert _people(together.id) == sorted([keep.id, other.id])


def test_contacts_are_not_merged_into_themselves_and_staff_may_not_merge(
    app, auth, client, make_partner, make_contact, make_activity
):
    keep, other, _alone, _together, seen = _setup(app, make_partner, make_contact, make_activity)
    auth.login("manager", locale="en")
    response = client.post(
        f"/duplicates/contacts/{keep.id}/{keep.id}",
        data={"survivor": keep.id, "stamp": seen, "confirmed": "1"},
    )
    assert response.status_code == 409
    assert "A contact cannot be merged into itself." in response.get_data(as_text=True)
    auth.logout()
    auth.login("staff", locale="en")
    url = f"/duplicates/contacts/{keep.id}/{other.id}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="survivor"' not in page and 'id="keep-hint"' not in page
    response = client.post(url, data={"survivor": keep.id, "stamp": seen, "confirmed": "1"})
    assert response.status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Merge.id))) == 0
