"""The pipeline board: columns by stage with counts, filters, orders, the 50-card limit, days
in a stage and stuck cards, moves without dragging, and confidentiality of cards and counts."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.agreements.models import Agreement, StageChange, StageRequest
from crm.extensions import db
from tests.conftest import count_queries


def _entered(app, agreement, days_ago, stage=None):
    """Give the agreement a stage-history row: it entered its stage ``days_ago`` days ago."""
    with app.app_context():
        db.session.add(
            StageChange(
                agreement_id=agreement.id,
                from_stage=None,
                to_stage=stage or agreement.stage,
                changed_at=datetime.now(UTC) - timedelta(days=days_ago),
            )
        )
        db.session.commit()


def _column(body, stage):
    start = body.index(f'id="column-{stage}"')
    end = body.find("</section>", start)
    return body[start:end]


def _count(body, stage):
    return int(re.search(r'class="board-count">(\d+)', _column(body, stage)).group(1))


def _titles(body, stage):
    return re.findall(r'id="card-\d+-title">([^<]+)<', _column(body, stage))


def test_board_shows_a_column_per_stage_with_counts_cards_and_days(
    app, auth, client, make_agreement, make_partner
):
    auth.login("staff")
    rome = make_partner(name_en="Rome", name_fa="رم", country="IT")
    fresh = make_agreement(stage="negotiation", title_en="Fresh talks", parties=[rome])
    old = make_agreement(stage="negotiation", title_en="Old talks")
    _entered(app, fresh, 10)
    _entered(app, old, 90)
    body = client.get("/agreements/board").get_data(as_text=True)
    assert _count(body, "negotiation") == 2 and _count(body, "idea") == 0
    column = _column(body, "negotiation")
    assert _titles(body, "negotiation") == ["Old talks", "Fresh talks"]  # longest first
    assert "Rome" in column
    assert "10 days in this stage" in column and "90 days in this stage" in column
    old_card = column[column.index(f'id="card-{old.id}"') - 40 :]
    assert "is-stuck" in old_card[:80]  # a class and a word, not a colour alone
    assert column.count(">Stuck<") == 0 and column.count(" Stuck</span>") == 1
    assert 'href="/agreements/?stage=negotiation"' in column  # the full list
    assert 'href="/agreements/board"' in body  # the navbar links to the board


def test_stuck_days_come_from_the_configuration(app, auth, client, make_agreement):
    auth.login("staff")
    agreement = make_agreement(stage="drafting")
    _entered(app, agreement, 20)
    assert "Stuck</span>" not in client.get("/agreements/board").get_data(as_text=True)
    app.config["CRM_STUCK_DAYS"] = 15
    assert "Stuck</span>" in client.get("/agreements/board").get_data(as_text=True)


def test_active_and_ended_agreements_are_never_stuck(app, auth, client, make_agreement):
    auth.login("manager")
    for stage in ("active", "rejected"):
        _entered(app, make_agreement(stage=stage), 400)
    assert "Stuck</span>" not in client.get("/agreements/board").get_data(as_text=True)


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_confidential_agreements_are_not_in_cards_nor_counts(auth, client, make_agreement, role):
    make_agreement(stage="drafting", title_en="Open memo")
    make_agreement(stage="drafting", title_en="Secret memo", confidentiality="confidential")
    make_agreement(stage="signed", title_en="Secret deal", confidentiality="confidential")
    auth.login(role)
    body = client.get("/agreements/board").get_data(as_text=True)
    assert "Secret" not in body
    assert _count(body, "drafting") == 1 and _count(body, "signed") == 0
    assert "1 agreement<" in body  # the total
    auth.logout()
    auth.login("manager")
    body = client.get("/agreements/board").get_data(as_text=True)
    assert _count(body, "drafting") == 2 and "Secret deal" in body


def test_archived_agreements_are_not_on_the_board(auth, client, make_agreement):
    from crm.models import utcnow

    make_agreement(stage="idea", title_en="Gone", archived_at=utcnow())
    auth.login("staff")
    body = client.get("/agreements/board").get_data(as_text=True)
    assert "Gone" not in body and _count(body, "idea") == 0


def test_board_filters_by_domain_type_country_owner_and_area(
    app, auth, client, make_agreement, make_partner, make_user
):
    owner = make_user("staff")
    firm = make_partner(kind="company", domain="private_sector", name_en="Firm", country="DE")
    city = make_partner(name_en="Kazan", country="RU")
    make_agreement(stage="idea", title_en="A firm deal", parties=[firm], type="contract")
    make_agreement(
        stage="idea",
        title_en="A city memo",
        parties=[city],
        owner_id=owner.id,
        areas=["tourism"],
    )
    auth.login("staff")

    def titles(query):
        return _titles(client.get(f"/agreements/board?{query}").get_data(as_text=True), "idea")

    assert titles("domain=private_sector") == ["A firm deal"]
    assert titles("type=contract") == ["A firm deal"]
    assert titles("country=RU") == ["A city memo"]
    assert titles(f"owner_id={owner.id}") == ["A city memo"]
    with app.app_context():
        from crm.models import CooperationArea

        area_id = db.session.scalar(
            sa.select(CooperationArea.id).where(CooperationArea.code == "tourism")
        )
    body = client.get(f"/agreements/board?area_id={area_id}").get_data(as_text=True)
    assert _titles(body, "idea") == ["A city memo"] and _count(body, "idea") == 1
    assert f"/agreements/?stage=idea&amp;area_id={area_id}" in body  # the list, same filters
    # a bad filter value is an error on its field, not a failure
    response = client.get("/agreements/board?country=XX&owner_id=abc")
    assert response.status_code == 200 and _count(response.get_data(as_text=True), "idea") == 2


def test_the_list_filters_by_a_partys_country_too(auth, client, make_agreement, make_partner):
    make_agreement(title_en="Italian memo", parties=[make_partner(name_en="Rome", country="IT")])
    make_agreement(title_en="Turkish memo")
    auth.login("staff")
    body = client.get("/agreements/?country=IT").get_data(as_text=True)
    assert "Italian memo" in body and "Turkish memo" not in body


def test_cards_in_order_of_days_expiry_or_title(app, auth, client, make_agreement):
    auth.login("staff")
    b = make_agreement(stage="active", title_en="Bravo", expires_on=date(2031, 1, 1))
    a = make_agreement(stage="active", title_en="Alpha", expires_on=date(2032, 1, 1))
    c = make_agreement(stage="active", title_en="Charlie", expires_on=date(2030, 1, 1))
    for agreement, days in ((a, 5), (b, 50), (c, 20)):
        _entered(app, agreement, days)

    def order(name):
        body = client.get(f"/agreements/board?order={name}").get_data(as_text=True)
        return _titles(body, "active")

    assert order("days") == ["Bravo", "Charlie", "Alpha"]
    assert order("expires_on") == ["Charlie", "Bravo", "Alpha"]
    assert order("title") == ["Alpha", "Bravo", "Charlie"]
    assert order("nonsense") == order("days")


def _bulk(app, count, stage="drafting"):
    with app.app_context():
        db.session.execute(
            sa.insert(Agreement),
            [
                {"type": "memorandum", "title_en": f"Bulk {i:03d}", "stage": stage}
                for i in range(count)
            ],
        )
        db.session.commit()


def test_a_column_shows_its_first_50_cards_with_its_count_and_a_link(app, auth, client):
    _bulk(app, 55)
    auth.login("staff")
    body = client.get("/agreements/board?order=title").get_data(as_text=True)
    assert len(_titles(body, "drafting")) == 50 and _count(body, "drafting") == 55
    assert _titles(body, "drafting")[0] == "Bulk 000"
    column = _column(body, "drafting")
    assert "50 of 55 shown." in column and "All 55 in the list" in column


def test_the_board_costs_the_same_queries_however_many_agreements(
    app, auth, client, make_agreement
):
    auth.login("staff")
    make_agreement(stage="idea")
    client.get("/agreements/board")
    with count_queries(app) as few:
        client.get("/agreements/board")
    _bulk(app, 60, "drafting")
    _bulk(app, 60, "active")
    with count_queries(app) as many:
        assert client.get("/agreements/board").status_code == 200
    assert len(few) == len(many)


def test_staff_moves_a_card_from_the_board_and_returns_to_it(app, auth, client, make_agreement):
    auth.login("staff")
    agreement = make_agreement(stage="drafting")
    body = client.get("/agreements/board?domain=cities").get_data(as_text=True)
    assert f'action="/agreements/{agreement.id}/board-move"' in body
    response = client.post(
        f"/agreements/{agreement.id}/board-move",
        data={
            "stage": "negotiation",
            "note": "Draft sent",
            "next": "/agreements/board?domain=cities",
        },
    )
    assert response.status_code == 302 and response.location == "/agreements/board?domain=cities"
    with app.app_context():
        assert db.session.get(Agreement, agreement.id).stage == "negotiation"
        change = db.session.scalar(sa.select(StageChange))
        assert change.note == "Draft sent"
    assert "The agreement moved to Negotiation." in client.get(response.location).get_data(
        as_text=True
    )


def test_a_board_move_keeps_the_rules_of_the_agreement_page(app, auth, client, make_agreement):
    auth.login("staff")
    agreement = make_agreement(stage="drafting")
    # ending needs a reason; the board says why it did not move, and nothing moved
    response = client.post(
        f"/agreements/{agreement.id}/board-move", data={"stage": "rejected", "note": ""}
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Give the reason for ending the agreement." in page
    assert (
        client.post(f"/agreements/{agreement.id}/board-move", data={"stage": "signed"}).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Agreement, agreement.id).stage == "drafting"
    # the ending choice asks to confirm (app.js), like the agreement page's button
    body = client.get("/agreements/board").get_data(as_text=True)
    assert 'value="rejected" data-confirm="Reject this agreement?' in body
    # an outside address is not followed back
    response = client.post(
        f"/agreements/{agreement.id}/board-move",
        data={"stage": "exploring", "next": "https://evil.example/"},
    )
    assert response.location == "/agreements/board"


def test_a_staff_move_out_of_internal_approval_on_the_board_is_a_request(
    app, auth, client, make_agreement
):
    auth.login("staff")
    agreement = make_agreement(stage="internal_approval")
    body = client.get("/agreements/board").get_data(as_text=True)
    assert "Ask to move…" in _column(body, "internal_approval")
    response = client.post(
        f"/agreements/{agreement.id}/board-move", data={"stage": "ready_to_sign", "note": "Memo"}
    )
    assert "was sent to a manager for approval" in client.get(response.location).get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.get(Agreement, agreement.id).stage == "internal_approval"
        assert db.session.scalar(sa.select(StageRequest.status)) == "pending"


def test_manager_moves_to_signed_from_the_board_with_the_date(app, auth, client, make_agreement):
    auth.login("manager")
    agreement = make_agreement(stage="ready_to_sign")
    body = client.get("/agreements/board").get_data(as_text=True)
    assert f'id="signed-{agreement.id}"' in body
    response = client.post(
        f"/agreements/{agreement.id}/board-move",
        data={"stage": "signed", "signed_on": "2025-05-04", "note": ""},
    )
    assert response.status_code == 302
    with app.app_context():
        saved = db.session.get(Agreement, agreement.id)
        assert saved.stage == "signed" and saved.signed_on == date(2025, 5, 4)


def test_viewers_see_the_board_but_move_nothing(auth, client, make_agreement):
    agreement = make_agreement(stage="drafting")
    auth.login("viewer")
    body = client.get("/agreements/board").get_data(as_text=True)
    assert "Memorandum on urban transport" in body and "board-move" not in body
    response = client.post(f"/agreements/{agreement.id}/board-move", data={"stage": "negotiation"})
    assert response.status_code == 403


def test_staff_cannot_move_a_confidential_card_it_cannot_see(auth, client, make_agreement):
    agreement = make_agreement(stage="drafting", confidentiality="confidential")
    auth.login("staff")
    response = client.post(f"/agreements/{agreement.id}/board-move", data={"stage": "negotiation"})
    assert response.status_code == 404


def test_the_board_in_persian_is_right_to_left_with_persian_digits(
    app, auth, client, make_agreement
):
    auth.login("staff", locale="fa")
    agreement = make_agreement(stage="negotiation")
    _entered(app, agreement, 12)
    body = client.get("/agreements/board").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in body
    assert "تفاهم‌نامه حمل‌ونقل شهری" in body and "۱۲" in _column(body, "negotiation")


def test_stuck_days_default_to_60_and_are_read_from_the_environment():
    from crm.config import ConfigError, from_environment

    assert from_environment({})["CRM_STUCK_DAYS"] == 60
    assert from_environment({"CRM_STUCK_DAYS": "30"})["CRM_STUCK_DAYS"] == 30
    with pytest.raises(ConfigError, match="CRM_STUCK_DAYS"):
        from_environment({"CRM_STUCK_DAYS": "soon"})
