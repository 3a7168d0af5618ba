"""Merging two partners: the review page, the confirmation, everything of the other moving to
the survivor as one audited act, the other archived and marked, the undo by an administrator,
who may do what, and what the page shows of confidential agreements."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from crm.activities.models import Activity
from crm.agreements.models import Agreement, Document, Milestone
from crm.audit import AuditAct, AuditEntry
from crm.duplicates.merging import stamp
from crm.duplicates.models import Merge
from crm.extensions import db
from crm.health.models import PartnerHealth
from crm.models import utcnow
from crm.notifications.models import Notification
from crm.partners.models import Contact, Partner


@pytest.fixture
def pair(app, make_partner, make_contact, make_agreement, make_activity, make_user):
    """Tehran (to keep) and Teheran (to merge), Teheran with a bit of everything."""
    keep = make_partner(name_en="Tehran", name_fa="تهران", country="IR", region="")
    other = make_partner(
        name_en="Teheran",
        name_fa="",
        country="IR",
        region="Tehran province",
        population=9000000,
        areas=["tourism", "culture"],
    )
    keep_primary = make_contact(keep, name_latin="Ali", email="ali@x.ir", is_primary=True)
    moved_primary = make_contact(other, name_latin="Sara", email="sara@x.ir", is_primary=True)
    second = make_contact(other, name_latin="Reza", email="reza@x.ir")
    only_other = make_agreement(parties=[other], title_en="Metro memorandum")
    both = make_agreement(parties=[keep, other], title_en="Twinning charter")
    secret = make_agreement(
        parties=[other], title_en="Secret water deal", confidentiality="confidential"
    )
    first = make_activity(other, subject="First visit")
    follow_up = make_activity(other, subject="Follow-up", previous_id=first.id)
    about_secret = make_activity(other, subject="Secret talks", agreement_id=secret.id)
    someone = make_user("staff")
    with app.app_context():
        milestone = Milestone(agreement_id=only_other.id, title="Sign", due_on=date(2026, 12, 1))
        document = Document(
            agreement_id=secret.id,
            filename="deal.pdf",
            stored_name="abc123",
            content_type="application/pdf",
            size=10,
            sha256="0" * 64,
        )
        note = Notification(
            user_id=someone.id,
            kind="anniversary",
            subject="Anniversary",
            record_kind="partner",
            record_id=other.id,
        )
        db.session.add_all([milestone, document, note])
        db.session.commit()
        ids = {"milestone": milestone.id, "document": document.id, "notification": note.id}
    return {
        "keep": keep,
        "other": other,
        "contacts": [moved_primary.id, second.id],
        "keep_primary": keep_primary.id,
        "agreements": [only_other.id, secret.id],
        "both": both.id,
        "activities": [first.id, follow_up.id, about_secret.id],
        **ids,
    }


def _stamp(app, pair) -> str:
    with app.app_context():
        return stamp(
            db.session.get(Partner, pair["keep"].id), db.session.get(Partner, pair["other"].id)
        )


def _merge(client, app, pair, **form):
    keep, other = pair["keep"], pair["other"]
    data = {"survivor": keep.id, "stamp": _stamp(app, pair), "confirmed": "1", **form}
    return client.post(f"/duplicates/partners/{keep.id}/{other.id}", data=data)


def test_the_review_shows_every_field_and_counts_side_by_side(app, auth, client, pair):
    auth.login("manager", locale="en")
    keep, other = pair["keep"], pair["other"]
    page = client.get(f"/duplicates/partners/{keep.id}/{other.id}").get_data(as_text=True)
    table = page.split('id="side-by-side"')[1].split("</table>")[0]
    for label in ("Name in English", "Region or province", "Population", "Owner", "Summary"):
        assert label in table
    assert "Tehran province" in table and "9,000,000" in table
    assert "Tourism, Culture and heritage" in table
    assert f'name="keep_region" value="{other.id}"' in table
    assert 'name="keep_country"' not in table  # the same in both: nothing to choose
    # no field's value is chosen before the partner to keep is: unchosen, it keeps the kept one's
    assert not re.search(r'name="keep_\w+" value="\d+" id="[^"]+" checked', table)
    assert "each field keeps the value of the partner you keep" in page
    counts = [cell.split("<")[0] for cell in table.split('data-count="agreements">')[1:]]
    assert counts == ["1", "3"]  # a manager sees the confidential one
    assert "Secret water deal" in table


def test_staff_see_the_review_without_confidential_agreements_and_cannot_merge(
    app, auth, client, pair
):
    auth.login("staff", locale="en")
    keep, other = pair["keep"], pair["other"]
    page = client.get(f"/duplicates/partners/{keep.id}/{other.id}").get_data(as_text=True)
    assert "Secret water deal" not in page and "Secret talks" not in page
    table = page.split('id="side-by-side"')[1]
    counts = [cell.split("<")[0] for cell in table.split('data-count="agreements">')[1:]]
    assert counts == ["1", "2"]
    documents = [cell.split("<")[0] for cell in table.split('data-count="documents">')[1:]]
    assert documents == ["0", "0"]  # the document is the confidential agreement's
    assert 'name="survivor"' not in page
    response = _merge(client, app, pair)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(Partner, other.id).merged_into_id is None


def test_a_merge_asks_for_confirmation_first(app, auth, client, pair):
    auth.login("manager", locale="en")
    response = _merge(client, app, pair, confirmed="")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="merge-confirm"' in page
    assert "Teheran will be merged into Tehran and archived." in page
    assert 'name="confirmed" value="1"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Merge.id))) == 0


def test_a_merge_moves_everything_to_the_survivor_as_one_act(app, auth, client, pair):
    manager = auth.login("manager", locale="en")
    keep, other = pair["keep"], pair["other"]
    with app.app_context():
        acts_before = db.session.scalar(sa.select(sa.func.max(AuditAct.id)))
        assert db.session.get(PartnerHealth, other.id) is not None  # scored when made
    response = _merge(
        client, app, pair, keep_region=other.id, keep_population=other.id, keep_areas=other.id
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/partners/{keep.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Teheran was merged into Tehran." in page
    with app.app_context():
        survivor, merged = db.session.get(Partner, keep.id), db.session.get(Partner, other.id)
        assert survivor.region == "Tehran province" and survivor.population == 9000000
        assert [a.code for a in survivor.areas] == ["tourism", "culture"]
        assert survivor.name_en == "Tehran" and not survivor.archived  # kept its own name
        assert merged.archived and merged.merged_into_id == keep.id
        contacts = db.session.scalars(sa.select(Contact).where(Contact.id.in_(pair["contacts"])))
        assert {c.partner_id for c in contacts} == {keep.id}
        primaries = db.session.scalars(
            sa.select(Contact.id).where(Contact.partner_id == keep.id, Contact.is_primary)
        )
        assert list(primaries) == [pair["keep_primary"]]  # one primary contact
        activities = db.session.scalars(
            sa.select(Activity).where(Activity.id.in_(pair["activities"]))
        )
        assert {a.partner_id for a in activities} == {keep.id}
        for agreement_id in [*pair["agreements"], pair["both"]]:
            agreement = db.session.get(Agreement, agreement_id)
            assert [p.id for p in agreement.parties] == [keep.id]
        # milestones and documents stay with their agreements, which moved
        assert db.session.get(Milestone, pair["milestone"]).agreement_id == pair["agreements"][0]
        assert db.session.get(Document, pair["document"]).agreement_id == pair["agreements"][1]
        assert db.session.get(Notification, pair["notification"]).record_id == keep.id
        assert db.session.get(PartnerHealth, other.id) is None
        assert db.session.get(PartnerHealth, keep.id) is not None
        # one act, of kind "merge", by the manager, holding every change
        acts = list(db.session.scalars(sa.select(AuditAct).where(AuditAct.id > acts_before)))
        assert [(a.kind, a.user_id) for a in acts] == [("merge", manager.id)]
        entries = list(
            db.session.scalars(sa.select(AuditEntry).where(AuditEntry.act_id == acts[0].id))
        )
        touched = {(e.object_type, e.object_id) for e in entries}
        assert ("partners", keep.id) in touched and ("partners", other.id) in touched
        assert {("contacts", i) for i in pair["contacts"]} <= touched
        assert {("activities", i) for i in pair["activities"]} <= touched
        assert {("agreements", i) for i in [*pair["agreements"], pair["both"]]} <= touched
        merge = db.session.scalar(sa.select(Merge))
        assert merge.act_id == acts[0].id and merge.survivor_id == keep.id


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("itself", "A partner cannot be merged into itself."),
        ("archived", "An archived partner cannot take a merge; restore it first."),
        ("merged", "was already merged into another partner."),
        ("stale", "One of the two partners changed after the page was opened."),
    ],
)
def test_merges_that_may_not_happen_are_refused_with_a_reason(
    app, auth, client, pair, make_partner, change, message
):
    auth.login("manager", locale="en")
    keep, other = pair["keep"], pair["other"]
    seen = _stamp(app, pair)
    first, second = keep.id, other.id
    with app.app_context():
        if change == "itself":
            second = keep.id
        elif change == "archived":
            db.session.get(Partner, keep.id).archived_at = utcnow()
        elif change == "merged":
            elsewhere = make_partner(name_en="Elsewhere")
            db.session.get(Partner, other.id).merged_into_id = elsewhere.id
        else:
            db.session.get(Partner, keep.id).region = "Changed meanwhile"
        db.session.commit()
        if change != "stale":
            seen = stamp(db.session.get(Partner, first), db.session.get(Partner, second))
    data = {"survivor": keep.id, "stamp": seen, "confirmed": "1"}
    response = client.post(f"/duplicates/partners/{first}/{second}", data=data)
    assert response.status_code == 409
    assert message in response.get_data(as_text=True).replace("&#39;", "'")
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Merge.id))) == 0
        assert not db.session.get(Partner, other.id).archived or change == "merged"


def test_choosing_neither_partner_is_an_error(app, auth, client, pair):
    auth.login("manager", locale="en")
    response = _merge(client, app, pair, survivor="12345")
    assert response.status_code == 400
    assert "Choose the partner to keep." in response.get_data(as_text=True)


def test_an_admin_undoes_a_merge_leaving_what_changed_since(app, auth, client, pair):
    auth.login("manager", locale="en")
    keep, other = pair["keep"], pair["other"]
    assert _merge(client, app, pair, keep_region=other.id).status_code == 302
    edited_contact = pair["contacts"][1]
    with app.app_context():
        db.session.get(Contact, edited_contact).title = "Changed after the merge"
        db.session.commit()
        merge_id = db.session.scalar(sa.select(Merge.id))
    assert client.post(f"/duplicates/merges/{merge_id}/undo").status_code == 403  # a manager
    auth.logout()
    admin = auth.login("admin", locale="en")
    response = client.post(f"/duplicates/merges/{merge_id}/undo")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The merge was undone." in page
    assert (
        f"1 record was changed after the merge and was left as it is: Contact {edited_contact}"
        in page
    )
    with app.app_context():
        survivor, merged = db.session.get(Partner, keep.id), db.session.get(Partner, other.id)
        assert survivor.region == "" and not merged.archived and merged.merged_into_id is None
        moved_primary = db.session.get(Contact, pair["contacts"][0])
        assert moved_primary.partner_id == other.id and moved_primary.is_primary
        assert db.session.get(Contact, edited_contact).partner_id == keep.id  # left as it is
        activities = db.session.scalars(
            sa.select(Activity).where(Activity.id.in_(pair["activities"]))
        )
        assert {a.partner_id for a in activities} == {other.id}
        for agreement_id in pair["agreements"]:
            assert [p.id for p in db.session.get(Agreement, agreement_id).parties] == [other.id]
        both = db.session.get(Agreement, pair["both"])
        assert sorted(p.id for p in both.parties) == sorted([keep.id, other.id])
        assert db.session.get(Notification, pair["notification"]).record_id == other.id
        merge = db.session.get(Merge, merge_id)
        assert merge.undone and merge.undone_by_id == admin.id
        undo_act = db.session.get(AuditAct, merge.undo_act_id)
        assert undo_act.kind == "unmerge" and undo_act.user_id == admin.id
    again = client.post(f"/duplicates/merges/{merge_id}/undo")
    assert "This merge was already undone." in client.get(again.headers["Location"]).get_data(
        as_text=True
    )


def test_the_merges_page_is_for_managers_and_offers_undo_to_admins(app, auth, client, pair):
    auth.login("manager", locale="en")
    _merge(client, app, pair)
    page = client.get("/duplicates/merges").get_data(as_text=True)
    table = page.split('id="merges"')[1]
    assert "Teheran" in table and "Tehran" in table and "/undo" not in table
    auth.logout()
    auth.login("admin", locale="en")
    assert "/undo" in client.get("/duplicates/merges").get_data(as_text=True)
    auth.logout()
    auth.login("staff", locale="en")
    assert client.get("/duplicates/merges").status_code == 403


def test_the_survivor_shows_the_merged_partners_history_and_the_other_points_to_it(
    app, auth, client, pair
):
    auth.login("manager", locale="en")
    keep, other = pair["keep"], pair["other"]
    with app.app_context():
        db.session.get(Partner, other.id).website = "https://teheran.example"
        db.session.commit()
    _merge(client, app, pair)
    page = client.get(f"/partners/{keep.id}").get_data(as_text=True)
    assert "https://teheran.example" in page  # the other's change, in the survivor's history
    entry = page.split("https://teheran.example")[0].rsplit("<li", 1)[1]
    assert f"Of number {other.id}, merged into this one" in entry  # marked as the other's
    page = client.get(f"/partners/{other.id}").get_data(as_text=True)
    notice = page.split('id="merged-into"')[1].split("</div>")[0]
    assert "This partner was merged into Tehran." in notice
    assert f'href="/partners/{keep.id}"' in notice


def test_a_merged_partner_is_no_longer_a_match_its_survivor_is(app, auth, client, pair):
    from crm.matching import partner_matches

    auth.login("manager", locale="en")
    _merge(client, app, pair)
    with app.app_context():
        found = partner_matches(["Teheran"], "IR")
        assert [(m.partner.id, m.reason) for m in found] == [(pair["keep"].id, "similar_name")]
