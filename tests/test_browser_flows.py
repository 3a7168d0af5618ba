"""Journeys of the hardening issue in a real browser (Debian's Chromium through Playwright):
ending an agreement asks first, and "Done" on my follow-ups asks for the outcome."""

import re

import pytest

from crm.agreements.models import Agreement
from crm.extensions import db
from tests.test_browser import _sign_in, browser, live_server, page  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def test_rejecting_an_agreement_asks_to_confirm_and_needs_a_reason(
    app,
    live_server,  # noqa: F811
    page,  # noqa: F811
    make_user,
    make_agreement,
):
    agreement = make_agreement(stage="drafting", title_en="Memorandum on parks")
    _sign_in(page, live_server, make_user("staff", locale="en"))
    page.goto(f"{live_server}/agreements/{agreement.id}")
    page.get_by_text("Reject this agreement").click()  # opens the disclosure
    page.get_by_label("Reason").fill("The partner withdrew")

    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.get_by_role("button", name="Reject").click()
    assert questions == ["Reject this agreement? Only a manager can reopen it."]
    with app.app_context():
        assert db.session.get(Agreement, agreement.id).stage == "drafting"

    page.once("dialog", lambda dialog: answer(dialog, True))
    page.get_by_role("button", name="Reject").click()
    page.wait_for_url(re.compile(rf".*/agreements/{agreement.id}$"))
    assert "The agreement moved to Rejected." in page.locator("main").inner_text()
    with app.app_context():
        assert db.session.get(Agreement, agreement.id).stage == "rejected"
