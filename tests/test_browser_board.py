"""The pipeline board in a real browser (Chromium): a card moved with the keyboard alone, a
staff member's move out of internal approval that a manager then grants, and the board's
right-to-left columns in Persian."""

import pytest
import sqlalchemy as sa

from crm.agreements.models import Agreement, StageChange, StageRequest
from crm.extensions import db
from tests.conftest import sign_in

pytestmark = pytest.mark.browser


def _stage(app, agreement):
    with app.app_context():
        return db.session.get(Agreement, agreement.id).stage


def test_a_card_moves_with_the_keyboard_alone(app, live_server, page, make_user, make_agreement):
    user = make_user("staff")
    agreement = make_agreement(stage="drafting", title_en="Keyboard memo")
    sign_in(page, live_server, user.email)
    page.goto(f"{live_server}/agreements/board")
    page.locator(f"#card-{agreement.id}-title").focus()
    page.keyboard.press("Tab")  # the card's "Move…"
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")  # opens the form
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == f"move-{agreement.id}"
    page.keyboard.press("ArrowDown")  # negotiation is first: exploring, after it
    page.keyboard.press("ArrowUp")
    assert page.locator(f"#move-{agreement.id}").input_value() == "negotiation"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == f"note-{agreement.id}"
    page.keyboard.type("Draft sent to the partner")
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "The agreement moved to Negotiation." in page.locator(".alert-success").inner_text()
    assert page.locator(f"#column-negotiation #card-{agreement.id}").count() == 1
    assert _stage(app, agreement) == "negotiation"


def test_staff_asks_on_the_board_and_a_manager_grants(
    app, live_server, page, make_user, make_agreement
):
    staff, manager = make_user("staff"), make_user("manager")
    agreement = make_agreement(stage="internal_approval", title_en="Approval memo")
    sign_in(page, live_server, staff.email)
    page.goto(f"{live_server}/agreements/board")
    card = page.locator(f"#card-{agreement.id}")
    card.locator("summary").click()
    card.locator("select").select_option("ready_to_sign")
    card.locator("textarea").fill("The council's memo is attached")
    card.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert "sent to a manager for approval" in page.locator(".alert-success").inner_text()
    assert _stage(app, agreement) == "internal_approval"
    page.context.clear_cookies()
    sign_in(page, live_server, manager.email)
    page.locator("nav a[href='/agreements/requests']").click()
    page.wait_for_load_state()
    assert "The council's memo is attached" in page.locator("main").inner_text()
    page.locator("button[value=grant]").click()
    page.wait_for_load_state()
    assert _stage(app, agreement) == "ready_to_sign"
    with app.app_context():
        assert db.session.scalar(sa.select(StageRequest.status)) == "granted"


def test_the_board_reads_right_to_left_in_persian(
    app, live_server, page, make_user, make_agreement
):
    user = make_user("staff", locale="fa")
    make_agreement(stage="idea")
    sign_in(page, live_server, user.email)
    page.goto(f"{live_server}/agreements/board")
    assert page.locator("html").get_attribute("dir") == "rtl"
    first = page.locator("#column-idea").bounding_box()
    second = page.locator("#column-exploring").bounding_box()
    assert second["x"] < first["x"]  # the pipeline runs from the right
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def _last_note(agreement) -> str:
    return db.session.scalars(
        sa.select(StageChange.note)
        .where(StageChange.agreement_id == agreement.id)
        .order_by(StageChange.id.desc())
    ).first()


def _drag(page, card_id: int, stage: str) -> None:
    """Drag a card by its body onto another column with the mouse (Playwright's HTML5 drag and
    drop in Chromium: the page's dragstart, dragover and drop handlers run). The board scrolls
    sideways; the two columns are brought into view first, as a user would."""
    source = page.locator(f"#card-{card_id} .board-days")
    target = page.locator(f"#column-{stage}")
    target.scroll_into_view_if_needed()
    source.scroll_into_view_if_needed()
    source.drag_to(target, target_position={"x": 40, "y": 20})


def test_a_manager_drags_a_card_to_another_column_and_it_moves(
    app, live_server, page, make_user, make_agreement
):
    manager = make_user("manager")
    agreement = make_agreement(stage="internal_approval", title_en="Dragged memo")
    make_agreement(stage="ready_to_sign", title_en="Already approved")  # a column with cards
    sign_in(page, live_server, manager.email)
    page.goto(f"{live_server}/agreements/board")
    _drag(page, agreement.id, "ready_to_sign")  # a manager's move past approval: no request
    card = page.locator(f"#card-{agreement.id}")
    # the drop opens the card's form with the column's stage chosen and the note to write
    assert card.locator("details").get_attribute("open") is not None
    assert card.locator("select[name=stage]").input_value() == "ready_to_sign"
    assert page.evaluate("document.activeElement.id") == f"note-{agreement.id}"
    page.keyboard.type("Approved by the council")
    with page.expect_navigation():
        card.locator("button[type=submit]").click()
    assert "The agreement moved to Ready to sign." in page.locator(".alert-success").inner_text()
    assert page.locator(f"#column-ready_to_sign #card-{agreement.id}").count() == 1
    assert page.locator(f"#column-internal_approval #card-{agreement.id}").count() == 0
    with app.app_context():
        moved = db.session.get(Agreement, agreement.id)
        assert moved.stage == "ready_to_sign"
        assert _last_note(moved) == "Approved by the council"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StageRequest)) == 0


def test_staff_dragging_a_card_out_of_internal_approval_asks_a_manager(
    app, live_server, page, make_user, make_agreement
):
    staff = make_user("staff")
    agreement = make_agreement(stage="internal_approval", title_en="Dragged approval")
    sign_in(page, live_server, staff.email)
    page.goto(f"{live_server}/agreements/board")
    _drag(page, agreement.id, "ready_to_sign")
    card = page.locator(f"#card-{agreement.id}")
    assert card.locator("select[name=stage]").input_value() == "ready_to_sign"
    card.locator("textarea[name=note]").fill("The council approved it on Monday")
    with page.expect_navigation():
        card.locator("button[type=submit]").click()
    assert "sent to a manager for approval" in page.locator(".alert-success").inner_text()
    assert page.locator(f"#column-internal_approval #card-{agreement.id}").count() == 1
    assert _stage(app, agreement) == "internal_approval"
    with app.app_context():
        request = db.session.scalars(sa.select(StageRequest)).one()
        assert (request.status, request.to_stage, request.requested_by_id) == (
            "pending",
            "ready_to_sign",
            staff.id,
        )
        assert request.note == "The council approved it on Monday"


def test_a_card_dropped_on_a_stage_it_cannot_reach_stays_where_it_was(
    app, live_server, page, make_user, make_agreement
):
    staff = make_user("staff")
    agreement = make_agreement(stage="drafting", title_en="Not yet")
    make_agreement(stage="active", title_en="Live one")
    sign_in(page, live_server, staff.email)
    page.goto(f"{live_server}/agreements/board")
    _drag(page, agreement.id, "active")  # drafting cannot jump to active
    card = page.locator(f"#column-drafting #card-{agreement.id}")
    assert card.count() == 1
    assert card.locator("details").get_attribute("open") is None
    assert _stage(app, agreement) == "drafting"


def test_a_manager_drags_a_card_on_the_persian_board(
    app, live_server, page, make_user, make_agreement
):
    manager = make_user("manager", locale="fa")
    agreement = make_agreement(stage="exploring", title_en="Memo", title_fa="تفاهم‌نامهٔ حمل‌ونقل")
    sign_in(page, live_server, manager.email)
    page.goto(f"{live_server}/agreements/board")
    assert page.locator("html").get_attribute("dir") == "rtl"
    _drag(page, agreement.id, "drafting")  # the next column, to the left in Persian
    card = page.locator(f"#card-{agreement.id}")
    assert card.locator("select[name=stage]").input_value() == "drafting"
    page.keyboard.type("پیش‌نویس به طرف مقابل فرستاده شد")
    with page.expect_navigation():
        card.locator("button[type=submit]").click()
    assert page.locator(f"#column-drafting #card-{agreement.id}").count() == 1
    assert page.locator(".alert-success").count() == 1
    with app.app_context():
        moved = db.session.get(Agreement, agreement.id)
        assert moved.stage == "drafting"
        assert _last_note(moved) == "پیش‌نویس به طرف مقابل فرستاده شد"
