"""Creating, editing, completing, cancelling, archiving and restoring activities."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from crm.activities.models import Activity
from crm.audit import AuditEntry
from crm.extensions import db


def _activities(app):
    with app.app_context():
        rows = list(db.session.scalars(select(Activity).order_by(Activity.id)))
        for row in rows:
            _ = row.participants
        db.session.expunge_all()
        return rows


def _form(**values):
    data = {"kind": "meeting", "subject": "Talks on the metro twinning", "status": "planned"}
    data.update(values)
    return data


def test_staff_creates_activity_with_jalali_date_and_time_in_persian(
    auth, client, app, make_partner
):
    user = auth.login("staff", locale="fa", timezone="Asia/Tehran")
    partner = make_partner()
    response = client.post(
        "/activities/new",
        data=_form(
            subject="دیدار با شهردار",
            partner_id=partner.id,
            owner_id=user.id,
            on_date="۱۴۰۵/۰۹/۱۰",
            at_time="۱۰:۳۰",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    [activity] = _activities(app)
    assert activity.starts_at == datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert activity.due_on is None
    assert activity.domain == "cities"  # the partner's domain
    assert activity.owner_id == user.id
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "۱۴۰۵" in page and "۱۰:۳۰" in page and "دیدار با شهردار" in page


def test_staff_creates_activity_in_english_in_their_time_zone(auth, client, app, make_partner):
    auth.login("staff", locale="en", timezone="Europe/Berlin")
    partner = make_partner()
    response = client.post(
        "/activities/new",
        data=_form(
            partner_id=partner.id, on_date="2026-12-01", at_time="10:30", location="City Hall"
        ),
    )
    assert response.status_code == 302
    [activity] = _activities(app)
    assert activity.starts_at == datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "December 1, 2026" in page and "10:30" in page and "City Hall" in page


def test_task_with_due_date_only_is_stored_as_a_date(auth, client, app, make_partner):
    auth.login("staff", locale="fa")
    partner = make_partner()
    response = client.post(
        "/activities/new", data=_form(kind="task", partner_id=partner.id, due_on="1405/09/15")
    )
    assert response.status_code == 302
    [activity] = _activities(app)
    assert activity.due_on == date(2026, 12, 6) and activity.starts_at is None


@pytest.mark.parametrize(
    "locale, message",
    [
        ("en", "Enter a date and time, or a due date."),
        ("fa", None),
    ],
)
def test_activity_needs_a_time_or_a_due_date(auth, client, app, make_partner, locale, message):
    auth.login("staff", locale=locale)
    partner = make_partner()
    response = client.post("/activities/new", data=_form(partner_id=partner.id))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page
    if message:
        assert message in page
    assert "Talks on the metro twinning" in page  # the entered data is kept
    assert _activities(app) == []


def test_date_without_time_and_impossible_jalali_date_are_refused(auth, client, app, make_partner):
    auth.login("staff", locale="en")
    partner = make_partner()
    response = client.post(
        "/activities/new", data=_form(partner_id=partner.id, on_date="2026-12-01")
    )
    assert "Enter the time as well" in response.get_data(as_text=True)
    auth.logout()
    auth.login("staff", locale="fa")
    response = client.post(
        "/activities/new", data=_form(partner_id=partner.id, due_on="1405/13/40")
    )
    assert response.status_code == 400
    assert _activities(app) == []


def test_subject_is_required(auth, client, app, make_partner):
    auth.login("staff")
    response = client.post(
        "/activities/new", data=_form(subject="", due_on="2026-12-01", partner_id=make_partner().id)
    )
    assert response.status_code == 400
    assert "Enter a subject." in response.get_data(as_text=True)


def test_participant_of_another_partner_is_refused(auth, client, app, make_partner, make_contact):
    auth.login("staff")
    ours, theirs = make_partner(), make_partner(name_en="Kazan", name_fa="قازان")
    ours_contact = make_contact(ours)
    stranger = make_contact(theirs, name_latin="Ivan Petrov")
    response = client.post(
        "/activities/new",
        data=_form(
            partner_id=ours.id, due_on="2026-12-01", participants=[ours_contact.id, stranger.id]
        ),
    )
    assert response.status_code == 400
    assert "Only contacts of the chosen partner can take part." in response.get_data(as_text=True)
    assert _activities(app) == []
    response = client.post(
        "/activities/new",
        data=_form(partner_id=ours.id, due_on="2026-12-01", participants=[ours_contact.id]),
    )
    assert response.status_code == 302
    assert [c.id for c in _activities(app)[0].participants] == [ours_contact.id]


def test_agreement_must_be_with_the_chosen_partner(auth, client, app, make_partner, make_agreement):
    auth.login("staff")
    ours, theirs = make_partner(), make_partner(name_en="Kazan")
    other_agreement = make_agreement(parties=[theirs])
    response = client.post(
        "/activities/new",
        data=_form(partner_id=ours.id, agreement_id=other_agreement.id, due_on="2026-12-01"),
    )
    assert response.status_code == 400
    assert "This agreement is not with the chosen partner." in response.get_data(as_text=True)
    own_agreement = make_agreement(parties=[ours])
    response = client.post(
        "/activities/new",
        data=_form(partner_id=ours.id, agreement_id=own_agreement.id, due_on="2026-12-01"),
    )
    assert response.status_code == 302
    assert _activities(app)[0].agreement_id == own_agreement.id


def test_staff_cannot_link_a_confidential_agreement(
    auth, client, app, make_partner, make_agreement
):
    auth.login("staff")
    partner = make_partner()
    secret = make_agreement(
        parties=[partner], confidentiality="confidential", title_en="Secret deal"
    )
    page = client.get(f"/activities/new?partner_id={partner.id}").get_data(as_text=True)
    assert "Secret deal" not in page
    response = client.post(
        "/activities/new",
        data=_form(partner_id=partner.id, agreement_id=secret.id, due_on="2026-12-01"),
    )
    assert response.status_code == 400
    assert "Choose an agreement from the list." in response.get_data(as_text=True)


def test_internal_task_without_partner_needs_a_domain(auth, client, app):
    auth.login("staff")
    response = client.post("/activities/new", data=_form(kind="task", due_on="2026-12-01"))
    assert response.status_code == 400
    assert "An activity without a partner needs a domain." in response.get_data(as_text=True)
    response = client.post(
        "/activities/new", data=_form(kind="task", due_on="2026-12-01", domain="citizens")
    )
    assert response.status_code == 302
    assert _activities(app)[0].domain == "citizens"


def test_new_activity_form_is_prefilled_from_partner_and_agreement(
    auth, client, make_partner, make_agreement, make_contact
):
    user = auth.login("staff")
    partner = make_partner(domain="organizations", name_en="Metropolis")
    agreement = make_agreement(parties=[partner])
    make_contact(partner, name_latin="Octavi de la Varga")
    page = client.get(f"/activities/new?agreement_id={agreement.id}").get_data(as_text=True)
    assert f'<option selected value="{partner.id}">' in page
    assert f'<option selected value="{agreement.id}">' in page
    assert f'<option selected value="{user.id}">' in page
    assert '<option selected value="organizations">' in page
    assert "Octavi de la Varga" in page
    assert client.get("/activities/new?partner_id=abc&agreement_id=999").status_code == 200


def test_edit_shows_local_time_and_saves_changes(auth, client, app, make_partner, make_activity):
    auth.login("staff", locale="en", timezone="Asia/Tehran")
    partner = make_partner()
    activity = make_activity(
        partner, starts_at=datetime(2026, 12, 1, 7, 0, tzinfo=UTC), due_on=None
    )
    page = client.get(f"/activities/{activity.id}/edit").get_data(as_text=True)
    assert 'value="2026-12-01"' in page and 'value="10:30"' in page
    response = client.post(
        f"/activities/{activity.id}/edit",
        data=_form(
            subject="Moved meeting", partner_id=partner.id, on_date="2026-12-02", at_time="09:00"
        ),
    )
    assert response.status_code == 302
    [saved] = _activities(app)
    assert saved.subject == "Moved meeting"
    assert saved.starts_at == datetime(2026, 12, 2, 5, 30, tzinfo=UTC)


def test_detail_shows_partner_local_time_when_zones_differ(
    auth, client, make_partner, make_activity
):
    auth.login("staff", locale="en", timezone="Asia/Tehran")
    partner = make_partner(timezone="Asia/Tokyo")
    activity = make_activity(partner, starts_at=datetime(2026, 12, 1, 7, 0, tzinfo=UTC))
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "Local time at the partner" in page and "4:00" in page and "Tokyo (UTC+09:00)" in page
    same = make_activity(
        make_partner(timezone="Asia/Tehran"), starts_at=datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    )
    assert "Local time at the partner" not in client.get(f"/activities/{same.id}").get_data(
        as_text=True
    )


def test_unknown_activity_is_404(auth, client):
    auth.login("viewer")
    assert client.get("/activities/424242").status_code == 404
    assert client.get("/activities/424242/edit").status_code in (403, 404)


def test_viewer_cannot_create_edit_or_complete(auth, client, make_activity):
    activity = make_activity()
    auth.login("viewer")
    assert client.get("/activities/new").status_code == 403
    assert client.post("/activities/new", data=_form(due_on="2026-12-01")).status_code == 403
    assert client.get(f"/activities/{activity.id}/edit").status_code == 403
    assert client.post(f"/activities/{activity.id}/complete").status_code == 403
    assert client.post(f"/activities/{activity.id}/archive").status_code == 403
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "Mark as done" not in page


def test_complete_with_next_step_creates_the_following_activity(
    auth, client, app, make_partner, make_agreement, make_activity
):
    user = auth.login("staff")
    partner = make_partner(domain="cities")
    agreement = make_agreement(parties=[partner])
    first = make_activity(partner, agreement_id=agreement.id, owner_id=user.id)
    response = client.post(
        f"/activities/{first.id}/complete",
        data={
            "outcome": "They agreed to a draft.",
            "next_subject": "Send the draft",
            "next_kind": "email",
            "next_due_on": "2026-12-10",
        },
    )
    assert response.status_code == 302
    done, following = _activities(app)
    assert done.status == "done" and done.outcome == "They agreed to a draft."
    assert following.previous_id == done.id and following.status == "planned"
    assert (following.kind, following.subject, following.due_on) == (
        "email",
        "Send the draft",
        date(2026, 12, 10),
    )
    assert (following.partner_id, following.agreement_id, following.domain, following.owner_id) == (
        partner.id,
        agreement.id,
        "cities",
        user.id,
    )
    assert response.headers["Location"].endswith(f"/activities/{following.id}")
    page = client.get(f"/activities/{done.id}").get_data(as_text=True)
    assert "Send the draft" in page and "Chain of follow-ups" in page
    assert client.post(f"/activities/{done.id}/complete").status_code == 302  # not twice
    assert len(_activities(app)) == 2


def test_next_step_needs_a_due_date(auth, client, app, make_activity):
    auth.login("staff")
    activity = make_activity()
    response = client.post(
        f"/activities/{activity.id}/complete", data={"next_subject": "Call back"}
    )
    assert response.status_code == 400
    assert "Give the next step a due date." in response.get_data(as_text=True)
    assert _activities(app)[0].status == "planned"


def test_quick_done_returns_to_my_followups(auth, client, app, make_activity):
    user = auth.login("staff")
    activity = make_activity(owner_id=user.id)
    response = client.post(f"/activities/{activity.id}/complete", data={"next": "/activities/mine"})
    assert response.headers["Location"].endswith("/activities/mine")
    assert _activities(app)[0].status == "done"
    evil = make_activity(owner_id=user.id)
    response = client.post(f"/activities/{evil.id}/complete", data={"next": "//evil.example"})
    assert "evil" not in response.headers["Location"]


def test_cancel_archive_and_restore_are_audited(auth, client, app, make_activity):
    user = auth.login("staff")
    activity = make_activity()
    assert client.post(f"/activities/{activity.id}/cancel").status_code == 302
    assert client.post(f"/activities/{activity.id}/archive").status_code == 302
    response = client.get(f"/activities/{activity.id}/edit")
    assert response.status_code == 302  # archived: no editing
    page = client.get(f"/activities/{activity.id}").get_data(as_text=True)
    assert "Archived" in page and "Restore" in page
    # the history names fields as the form does, and values by their labels
    assert ">Status</dt>" in page
    assert "<del><bdi>Planned</bdi></del>" in page and "<ins><bdi>Cancelled</bdi></ins>" in page
    assert client.post(f"/activities/{activity.id}/restore").status_code == 302
    with app.app_context():
        entries = list(
            db.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.object_type == "activities", AuditEntry.object_id == activity.id)
                .order_by(AuditEntry.id)
            )
        )
        assert [e.action for e in entries] == ["create", "update", "archive", "restore"]
        assert entries[1].changes["status"] == ["planned", "cancelled"]
        assert all(e.user_id == user.id for e in entries[1:])
    assert _activities(app)[0].archived_at is None


def test_activity_about_a_confidential_agreement_is_hidden_from_staff(
    auth, client, make_partner, make_agreement, make_activity
):
    partner = make_partner()
    secret = make_agreement(parties=[partner], confidentiality="confidential")
    activity = make_activity(partner, agreement_id=secret.id, subject="Secret talks")
    auth.login("staff")
    assert client.get(f"/activities/{activity.id}").status_code == 404
    assert "Secret talks" not in client.get("/activities/").get_data(as_text=True)
    auth.logout()
    auth.login("manager")
    assert client.get(f"/activities/{activity.id}").status_code == 200
    assert "Secret talks" in client.get("/activities/").get_data(as_text=True)


def test_showing_a_partners_contacts_does_not_save(auth, client, app, make_partner, make_contact):
    auth.login("staff")
    partner = make_partner(name_en="Yerevan")
    make_contact(partner, name_latin="Anna Hakobyan")
    response = client.post("/activities/new", data=_form(partner_id=partner.id, reload="1"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Anna Hakobyan" in page and "Talks on the metro twinning" in page
    assert 'aria-invalid="true"' not in page
    assert _activities(app) == []
