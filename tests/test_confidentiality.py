"""A staff member or a viewer learns nothing about a confidential agreement: not its title, its
reference, its activities' subjects, that a partner is its party, or that it exists. Checked in
every place a record or its name can appear, for both roles, with the manager as the control
(who sees everything, so the test can fail)."""

import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from crm.activities.models import Activity
from crm.activities.services import ActivityData, save_activity
from crm.agreements.models import Agreement, Document, Milestone
from crm.auth.models import User
from crm.extensions import db
from crm.permissions import acting_as, sees, visible

SECRETS = ("Secret metro deal", "قرارداد محرمانه مترو", "SECRET-7", "Secret depot visit")


@pytest.fixture
def world(app, make_user, make_partner, make_contact, make_agreement, make_activity):
    """Kazan is a public partner; its confidential agreement and an activity about it are owned
    by a staff member; a public activity follows that one and once pointed at it."""
    staff = make_user("staff", display_name="Sara Staff")
    manager = make_user("manager")
    kazan = make_partner(name_en="Kazan", name_fa="کازان", country="RU")
    ayse = make_contact(kazan, name_latin="Ayşe Yılmaz")
    secret = make_agreement(
        parties=[kazan],
        title_en=SECRETS[0],
        title_fa=SECRETS[1],
        reference=SECRETS[2],
        stage="negotiation",
        confidentiality="confidential",
    )
    public = make_agreement(parties=[kazan], title_en="Open tourism memorandum", stage="idea")
    with app.app_context(), acting_as(db.session.get(User, manager.id)):
        hidden = save_activity(
            None,
            ActivityData(
                subject=SECRETS[3],
                partner_id=kazan.id,
                agreement_id=secret.id,
                participants=[ayse.id],
                owner_id=staff.id,
                due_on=date.today(),
            ),
        )
        db.session.commit()
        follow = save_activity(
            None,
            ActivityData(
                subject="Public follow-up",
                partner_id=kazan.id,
                agreement_id=secret.id,
                owner_id=staff.id,
                due_on=date.today(),
            ),
        )
        db.session.commit()
        follow.previous_id = hidden.id
        follow.agreement_id = public.id  # the history now names the secret as the old value
        db.session.commit()
        ids = {"hidden": hidden.id, "follow": follow.id}
    return {
        "kazan": kazan,
        "ayse": ayse,
        "secret": secret,
        "public": public,
        **ids,
        "staff": staff,
        "manager": manager,
    }


def _pages(w) -> list[str]:
    kazan, ayse = w["kazan"].id, w["ayse"].id
    return [
        "/",
        f"/partners/{kazan}",
        f"/contacts/{ayse}",
        "/agreements/",
        f"/agreements/?partner_id={kazan}",
        "/agreements/?q=secret",
        "/agreements/?show=all&confidentiality=confidential",
        "/agreements/board",
        "/agreements/board?country=RU&order=title",
        "/activities/",
        f"/activities/?partner={kazan}",
        f"/activities/{w['follow']}",
        "/activities/mine",
        "/search?q=secret",
        "/search?q=kazan",
        "/agreements/export.csv",
        "/activities/export.csv",
        "/contacts/export.csv",
        "/partners/export.csv",
        "/agreements/export.xlsx",
        "/activities/export.xlsx",
        "/contacts/export.xlsx",
        "/partners/export.xlsx",
        "/partners/lookup?q=kazan",
    ]


def _text(response) -> str:
    """A page's text, or every cell of a downloaded workbook."""
    if not response.mimetype.endswith(".sheet"):
        return response.get_data(as_text=True)
    workbook = load_workbook(io.BytesIO(response.get_data()), read_only=True)
    cells = (cell for sheet in workbook for row in sheet.values for cell in row)
    return "\n".join(str(cell) for cell in cells if cell is not None)


def _leaks(client, w) -> dict[str, list[str]]:
    found = {}
    for url in _pages(w):
        response = client.get(url)
        assert response.status_code == 200, url
        body = _text(response)
        hits = [s for s in SECRETS if s.lower() in body.lower()]
        if hits:
            found[url] = hits
    return found


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_no_page_list_count_search_or_export_names_a_confidential_agreement(
    auth, client, world, role
):
    auth.login(role)
    assert _leaks(client, world) == {}
    for url in (
        f"/agreements/{world['secret'].id}",
        f"/agreements/{world['secret'].id}/edit",
        f"/agreements/{world['secret'].id}/documents/1",
        f"/activities/{world['hidden']}",
    ):
        assert client.get(url).status_code in (403, 404), url  # viewers may not edit at all
    by_reference = client.get("/search?q=SECRET-7").get_data(as_text=True)
    assert "Nothing found" in by_reference and SECRETS[0] not in by_reference
    counts = client.get("/agreements/").get_data(as_text=True)
    assert "All stages" in counts and '<span class="ms-1">1</span>' in counts  # one visible


def test_the_manager_sees_what_the_others_do_not(auth, client, world):
    auth.login("manager")
    leaks = _leaks(client, world)
    assert SECRETS[0] in leaks[f"/partners/{world['kazan'].id}"]
    assert SECRETS[3] in leaks["/activities/export.csv"]
    assert SECRETS[3] in leaks["/activities/export.xlsx"]
    assert SECRETS[0] in leaks["/agreements/export.xlsx"]
    assert SECRETS[0] in leaks[f"/activities/{world['follow']}"]  # in the history


def test_the_follow_up_chain_and_history_hide_the_confidential_step(auth, client, world):
    auth.login("staff")
    page = client.get(f"/activities/{world['follow']}").get_data(as_text=True)
    assert "Public follow-up" in page and "Open tourism memorandum" in page
    assert "Previous" not in page  # the step before is about the secret agreement
    assert f"/activities/{world['hidden']}" not in page


def _without_token(page: str) -> str:
    return re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "<csrf_token>", page)


def test_a_prefilled_form_reveals_nothing_about_a_hidden_agreement(auth, client, world):
    auth.login("staff")
    secret = client.get(f"/activities/new?agreement_id={world['secret'].id}")
    unknown = client.get("/activities/new?agreement_id=999999")
    assert secret.status_code == unknown.status_code == 200
    # Not even the party is filled in: the pages differ only in the id asked for (and in the
    # CSRF token, signed with the second it was made in).
    asked = _without_token(secret.get_data(as_text=True))
    asked = asked.replace(f"agreement_id={world['secret'].id}", "")
    assert asked == _without_token(unknown.get_data(as_text=True)).replace(
        "agreement_id=999999", ""
    )
    picker = client.get(f"/activities/new?partner_id={world['kazan'].id}").get_data(as_text=True)
    assert "Open tourism memorandum" in picker and SECRETS[0] not in picker


def test_a_taken_reference_is_refused_in_the_same_words_whoever_holds_it(
    auth, client, world, make_agreement
):
    make_agreement(parties=[world["kazan"]], title_en="Visible one", reference="OPEN-1")
    auth.login("staff")

    def refusal(reference):
        form = {
            "title_en": "New memorandum",
            "type": "memorandum",
            "party_ids": [str(world["kazan"].id)],
            "stage": "idea",
            "renewal_notice_days": "90",
            "confidentiality": "internal",
            "reference": reference,
        }
        response = client.post("/agreements/new", data=form)
        assert response.status_code == 400
        body = response.get_data(as_text=True)
        start = body.index('id="reference-error"')
        return body[start : body.index("</div>", start)], body

    hidden_message, body = refusal(SECRETS[2].lower())
    visible_message, _ = refusal("open-1")
    assert hidden_message == visible_message
    assert "Another agreement already uses this reference number." in hidden_message
    assert SECRETS[0] not in body and "Visible one" not in body


def test_python_and_sql_visibility_agree_for_every_role_and_kind(app, world, make_user):
    with app.app_context():
        secret = db.session.get(Agreement, world["secret"].id)
        db.session.add(Milestone(agreement=secret, title="Sign-off"))
        db.session.add(
            Document(
                agreement=secret,
                filename="deal.pdf",
                stored_name="x" * 32,
                content_type="application/pdf",
                size=1,
                sha256="0" * 64,
            )
        )
        db.session.commit()
        for role in ("viewer", "staff", "manager", "admin"):
            user = db.session.get(User, make_user(role).id)
            for model in (Agreement, Activity, Milestone, Document):
                rows = db.session.scalars(select(model)).all()
                shown = set(db.session.scalars(select(model.id).where(visible(model, user))))
                assert {r.id for r in rows if sees(user, r)} == shown, (role, model.__name__)
                if role in ("viewer", "staff"):
                    assert len(shown) < len(rows), (role, model.__name__)
