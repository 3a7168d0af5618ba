"""The pipeline board in a real browser (Chromium): a card moved with the keyboard alone, a
staff member's move out of internal approval that a manager then grants, and the board's
right-to-left columns in Persian."""

import pytest
import sqlalchemy as sa

from crm.agreements.models import Agreement, StageRequest
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
