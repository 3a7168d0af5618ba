"""Journeys of the hardening issue in a real browser (Debian's Chromium through Playwright):
ending an agreement asks first, and "Done" on my follow-ups asks for the outcome."""

import re

import pytest

from crm.activities.models import Activity
from crm.agreements.models import Agreement
from crm.extensions import db
from tests.test_browser import _sign_in

pytestmark = pytest.mark.browser


def test_rejecting_an_agreement_asks_to_confirm_and_needs_a_reason(
    app,
    live_server,
    page,
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


def _complete_from_my_followups(tab, base, activity_id, outcome, next_step, due):
    tab.goto(f"{base}/activities/mine")
    field = tab.locator(f"#outcome-{activity_id}")
    assert not field.is_visible()  # one click does not finish it: "Done" asks first
    tab.locator(f"details:has(#outcome-{activity_id}) > summary").click()
    field.fill(outcome)
    tab.fill(f"#next_subject-{activity_id}", next_step)
    tab.fill(f"#next_due_on-{activity_id}", due)
    tab.keyboard.press("Escape")  # the Persian date picker
    tab.locator(f"form[action$='/activities/{activity_id}/complete'] button[type=submit]").click()
    tab.wait_for_url(f"{base}/activities/mine")
    return tab.locator("main").inner_text()


def test_done_on_my_followups_asks_for_the_outcome_in_persian(
    app,
    live_server,
    page,
    make_user,
    make_activity,
):
    user = make_user("staff", locale="fa")
    call = make_activity(subject="تماس با دفتر کازان", owner_id=user.id)
    make_activity(subject="نامه به استانبول", owner_id=user.id)
    _sign_in(page, live_server, user)
    body = _complete_from_my_followups(
        page, live_server, call.id, "قرار دیدار گذاشته شد.", "آماده کردن برنامهٔ دیدار", "۱۴۰۵/۰۹/۲۰"
    )
    assert "انجام شد. گام بعدی برنامه‌ریزی شد." in body
    assert "آماده کردن برنامهٔ دیدار" in body and "نامه به استانبول" in body
    assert "تماس با دفتر کازان" not in body
    with app.app_context():
        done = db.session.get(Activity, call.id)
        assert (done.status, done.outcome) == ("done", "قرار دیدار گذاشته شد.")


def test_done_on_my_followups_works_without_javascript(
    app,
    live_server,
    browser,  # noqa: F811
    make_user,
    make_activity,
):
    user = make_user("staff", locale="en")
    call = make_activity(subject="Call the Kazan office", owner_id=user.id)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        tab = context.new_page()
        _sign_in(tab, live_server, user)
        body = _complete_from_my_followups(
            tab, live_server, call.id, "They will visit in May.", "Book the hall", "2026-12-15"
        )
    finally:
        context.close()
    assert "Done. The next step was planned." in body and "Book the hall" in body
    with app.app_context():
        assert db.session.get(Activity, call.id).outcome == "They will visit in May."
