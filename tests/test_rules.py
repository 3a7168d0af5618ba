"""Every rule lives in the service that writes: each is shown here by calling the service
directly, as a job, a command, the import or the API would, with no view in between."""

from datetime import date, timedelta

import pytest

from crm import records
from crm.activities.models import Activity
from crm.activities.services import ActivityData, NextStep, cancel, complete, save_activity
from crm.agreements import documents
from crm.agreements.milestones import MilestoneData, save_milestone
from crm.agreements.models import Agreement
from crm.agreements.pipeline import StageError, move_stage
from crm.agreements.services import AgreementData, save_agreement
from crm.auth.models import User
from crm.auth.services import UserData, update_user
from crm.exceptions import Forbidden, NotFound, RuleBroken
from crm.extensions import db
from crm.models import utcnow
from crm.partners.contacts import ContactData, make_primary, save_contact
from crm.partners.models import Contact, Partner
from crm.partners.services import PartnerData, save_partner
from crm.permissions import acting_as


@pytest.fixture
def people(app, make_user):
    with app.app_context():
        yield {role: db.session.get(User, make_user(role).id) for role in ROLES}


ROLES = ("viewer", "staff", "manager", "admin")


def load(model, record):
    return db.session.get(model, record.id)


def broken(call) -> dict:
    """The fields and messages of the RuleBroken that ``call`` raises."""
    with pytest.raises(RuleBroken) as caught:
        call()
    return {field: str(message) for field, message in caught.value.errors.items()}


def agreement_data(partner, **changes) -> AgreementData:
    values = {"type": "memorandum", "title_en": "Memorandum", "party_ids": [partner.id]}
    return AgreementData(**{**values, **changes})


# --- partners and contacts -----------------------------------------------------------------------
def test_partner_rules_hold_without_a_view(people, make_partner, make_user):
    gone = db.session.get(User, make_user("staff", active=False).id)
    with acting_as(people["staff"]):
        assert broken(lambda: save_partner(None, PartnerData())) == {
            "name_en": "Enter the name in English or in Persian (or both)."
        }
        future = date.today() + timedelta(days=400)
        errors = broken(
            lambda: save_partner(
                None,
                PartnerData(
                    name_en="Kish",
                    kind="planet",
                    country="XX",
                    relationship_since=future,
                    owner_id=gone.id,
                    areas=[99999],
                ),
            )
        )
        assert set(errors) == {"kind", "country", "relationship_since", "owner_id", "areas"}
        archived = load(Partner, make_partner(archived_at=utcnow()))
        assert (
            "Restore it" in broken(lambda: save_partner(archived, PartnerData(name_en="X")))[None]
        )
    with acting_as(people["viewer"]), pytest.raises(Forbidden):
        save_partner(None, PartnerData(name_en="Kish"))


def test_an_inactive_owner_may_stay_but_not_be_chosen_anew(people, make_user, make_partner):
    gone = make_user("staff", active=False)
    partner = load(Partner, make_partner(owner_id=gone.id))
    other = load(Partner, make_partner(name_en="Kazan"))
    with acting_as(people["staff"]):
        save_partner(partner, PartnerData(name_en="Istanbul", owner_id=gone.id))  # kept
        assert "owner_id" in broken(
            lambda: save_partner(other, PartnerData(name_en="Kazan", owner_id=gone.id))
        )


def test_contact_rules_hold_without_a_view(people, make_partner, make_contact):
    archived_partner = load(Partner, make_partner(archived_at=utcnow()))
    with acting_as(people["staff"]):
        assert "Restore it" in str(
            broken(lambda: save_contact(None, ContactData(name_latin="A"), archived_partner))[None]
        )
        partner = load(Partner, make_partner(name_en="Kazan"))
        assert "name_latin" in broken(lambda: save_contact(None, ContactData(), partner))
        archived = load(Contact, make_contact(partner, archived_at=utcnow()))
        broken(lambda: save_contact(archived, ContactData(name_latin="New name")))
        broken(lambda: make_primary(archived))
    with acting_as(people["viewer"]), pytest.raises(Forbidden):
        save_contact(None, ContactData(name_latin="Ayşe"), partner)


# --- agreements ----------------------------------------------------------------------------------
def test_agreement_parties_must_be_current_and_confidentiality_is_for_managers(
    people, make_partner
):
    archived = make_partner(archived_at=utcnow())
    current = make_partner(name_en="Kazan")
    with acting_as(people["staff"]):
        assert broken(lambda: save_agreement(None, agreement_data(archived))) == {
            "party_ids": "Choose from the list."
        }
        assert broken(
            lambda: save_agreement(None, agreement_data(current, confidentiality="confidential"))
        ) == {"confidentiality": "Only a manager can mark an agreement as confidential."}
        assert "party_ids" in broken(
            lambda: save_agreement(None, agreement_data(current, party_ids=[]))
        )
    with acting_as(people["manager"]):
        secret = save_agreement(None, agreement_data(current, confidentiality="confidential"))
        assert secret.parties[0].id == current.id


def test_agreement_dates_and_reference_rules(people, make_partner, make_agreement):
    partner = make_partner()
    make_agreement(parties=[partner], reference="TEH-2025-1", confidentiality="confidential")
    with acting_as(people["staff"]):
        errors = broken(
            lambda: save_agreement(
                None,
                agreement_data(
                    partner,
                    reference="teh-2025-1",
                    signed_on=date(2025, 5, 1),
                    effective_on=date(2025, 4, 1),
                    expires_on=date(2025, 3, 1),
                    renewal_notice_days=900,
                ),
            )
        )
    assert errors == {
        "reference": "Another agreement already uses this reference number.",
        "effective_on": "The agreement cannot take effect before it is signed.",
        "expires_on": "The expiry date must be after the date the agreement takes effect.",
        "renewal_notice_days": "Enter a whole number from 0 to 730.",
    }


def test_dates_of_an_agreement_in_force_cannot_be_emptied(people, make_partner, make_agreement):
    partner = make_partner()
    signed = load(
        Agreement,
        make_agreement(
            parties=[partner],
            stage="active",
            signed_on=date(2025, 3, 21),
            effective_on=date(2025, 4, 1),
        ),
    )
    with acting_as(people["staff"]):
        errors = broken(lambda: save_agreement(signed, agreement_data(partner)))
        assert set(errors) == {"signed_on", "effective_on"}
        assert "its dates cannot be removed" in errors["signed_on"]
        kept = agreement_data(partner, signed_on=date(2025, 3, 21), effective_on=date(2025, 4, 1))
        assert save_agreement(signed, kept).signed_on == date(2025, 3, 21)


def test_an_archived_agreement_and_its_parts_cannot_change(people, make_agreement, tmp_path):
    archived = load(Agreement, make_agreement(archived_at=utcnow()))
    partner = archived.parties[0]
    with acting_as(people["manager"]):
        broken(lambda: save_agreement(archived, agreement_data(partner)))
        broken(lambda: save_milestone(archived, None, MilestoneData(title="Report")))
        with pytest.raises(StageError):
            move_stage(archived, "negotiation")
        with (tmp_path / "memo.pdf").open("wb+") as stream:
            stream.write(b"%PDF-1.4")
            stream.seek(0)
            broken(lambda: documents.store_upload(archived, stream, "memo.pdf"))


def test_stage_moves_follow_the_pipeline_and_the_role(people, make_agreement):
    agreement = load(Agreement, make_agreement(stage="drafting"))
    with acting_as(people["staff"]):
        with pytest.raises(StageError, match="cannot move"):
            move_stage(agreement, "signed")
        move_stage(agreement, "negotiation")
        move_stage(agreement, "internal_approval")
        with pytest.raises(StageError, match="Only a manager"):
            move_stage(agreement, "ready_to_sign")
    with acting_as(people["viewer"]), pytest.raises(Forbidden):
        move_stage(agreement, "negotiation")
    with acting_as(people["manager"]):
        move_stage(agreement, "ready_to_sign")
        with pytest.raises(StageError) as caught:
            move_stage(agreement, "signed")
        assert caught.value.field == "signed_on"
    assert [c.to_stage for c in agreement.history][:2] == ["ready_to_sign", "internal_approval"]


def test_a_milestone_needs_a_title_and_an_active_responsible(people, make_agreement, make_user):
    agreement = load(Agreement, make_agreement())
    gone = make_user("staff", active=False)
    with acting_as(people["staff"]):
        assert set(
            broken(lambda: save_milestone(agreement, None, MilestoneData(responsible_id=gone.id)))
        ) == {"title", "responsible_id"}


# --- activities ----------------------------------------------------------------------------------
def _activity(partner, **changes) -> ActivityData:
    values = {"subject": "Talks", "partner_id": partner.id, "due_on": date(2026, 12, 1)}
    return ActivityData(**{**values, **changes})


def test_linked_records_of_an_activity_must_be_visible_and_current(
    people, make_partner, make_agreement, make_contact
):
    partner = make_partner()
    secret = make_agreement(parties=[partner], confidentiality="confidential")
    old = make_agreement(parties=[partner], archived_at=utcnow())
    elsewhere = make_contact(make_partner(name_en="Kazan"))
    gone = make_partner(name_en="Old friend", archived_at=utcnow())
    with acting_as(people["staff"]):
        assert broken(lambda: save_activity(None, _activity(partner, agreement_id=secret.id))) == {
            "agreement_id": "Choose an agreement from the list."
        }
        assert "agreement_id" in broken(
            lambda: save_activity(None, _activity(partner, agreement_id=old.id))
        )
        assert "participants" in broken(
            lambda: save_activity(None, _activity(partner, participants=[elsewhere.id]))
        )
        assert "partner_id" in broken(lambda: save_activity(None, _activity(gone)))
        assert broken(
            lambda: save_activity(None, ActivityData(subject="Internal", due_on=date.today()))
        ) == {"domain": "An activity without a partner needs a domain."}
        assert broken(lambda: save_activity(None, _activity(partner, due_on=None))) == {
            "on_date": "Enter a date and time, or a due date."
        }
    with acting_as(people["manager"]):
        assert save_activity(None, _activity(partner, agreement_id=secret.id)).id


def test_only_planned_current_activities_are_completed_or_cancelled(people, make_activity):
    done = load(Activity, make_activity(status="done"))
    archived = load(Activity, make_activity(archived_at=utcnow()))
    planned = load(Activity, make_activity())
    with acting_as(people["staff"]):
        broken(lambda: complete(done, "again"))
        broken(lambda: cancel(archived))
        broken(lambda: save_activity(archived, _activity(archived.partner)))
        assert broken(lambda: complete(planned, "", NextStep("Send the minutes"))) == {
            "next_due_on": "Give the next step a due date."
        }
        follow = complete(planned, "Agreed", NextStep("Send the minutes", due_on=date.today()))
        assert (planned.status, follow.previous_id) == ("done", planned.id)
    with acting_as(people["viewer"]), pytest.raises(Forbidden):
        cancel(load(Activity, follow))


# --- archive, restore, users ---------------------------------------------------------------------
def test_archive_and_restore_go_through_the_permission_layer(people, make_agreement, make_partner):
    secret = load(Agreement, make_agreement(confidentiality="confidential"))
    partner = load(Partner, make_partner())
    with acting_as(people["staff"]), pytest.raises(NotFound):
        records.archive(secret)  # to staff it does not exist
    with acting_as(people["viewer"]), pytest.raises(Forbidden):
        records.archive(partner)
    with acting_as(people["staff"]):
        assert records.archive(partner) and not records.archive(partner)
        assert records.restore(partner)


def test_an_administrator_cannot_lock_themselves_out(people):
    admin = people["admin"]
    data = UserData(admin.email, admin.display_name, "staff", "en", "Asia/Tehran", True)
    with acting_as(admin):
        assert "role" in broken(lambda: update_user(admin, data))
    with acting_as(people["manager"]), pytest.raises(Forbidden):
        update_user(people["staff"], data)


def test_every_service_refuses_text_longer_than_its_column(people, make_agreement, make_activity):
    long = "x" * 20_001
    agreement = load(Agreement, make_agreement(stage="drafting"))
    planned = load(Activity, make_activity())
    with acting_as(people["staff"]):
        assert "note" in broken(lambda: move_stage(agreement, "negotiation", long))
        assert "outcome" in broken(lambda: complete(planned, long))
        step = NextStep("y" * 301, due_on=date.today())
        assert "next_subject" in broken(lambda: complete(planned, "", step))
    admin = people["admin"]
    data = UserData(admin.email, "n" * 121, "admin", "en", "Asia/Tehran", True)
    with acting_as(admin):
        assert "display_name" in broken(lambda: update_user(admin, data))
