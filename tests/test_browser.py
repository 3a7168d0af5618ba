"""Key journeys in a real browser: headless Chromium (Debian's) driven by Playwright.

A live server runs the app on a free local port with CSRF protection on, against the test
database. Without Chromium these tests are skipped on a laptop and fail under CI.
"""

import re

import pytest

from tests.conftest import sign_in

pytestmark = pytest.mark.browser


def _sign_in(page, base, user):
    sign_in(page, base, user.email)


def _save_form(page):
    page.locator("main form[method=post] button[type=submit]").last.click()


def test_persian_user_creates_partner_with_jalali_date_and_finds_it(live_server, page, make_user):
    user = make_user("staff", locale="fa")
    _sign_in(page, live_server, user)
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"

    page.goto(f"{live_server}/partners/new")
    page.fill("#name_fa", "منطقهٔ آزاد کیش")
    page.fill("#name_en", "Kish Free Zone")
    page.select_option("#kind", "organization")
    page.select_option("#domain", "private_sector")
    page.select_option("#country", "IR")
    page.fill("#relationship_since", "۱۴۰۲/۰۱/۱۵")
    page.keyboard.press("Escape")
    _save_form(page)
    page.wait_for_url(f"{live_server}/partners/*")
    body = page.locator("main").inner_text()
    assert "منطقهٔ آزاد کیش" in body
    assert "۱۴۰۲/۰۱/۱۵" in body  # shown back in Jalali with Persian digits
    assert "ایران" in body  # the country named in Persian

    # The global search finds it when typed on an Arabic keyboard (ي and ك).
    page.fill("#global-q", "كيش")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/search*")
    page.get_by_role("link", name="منطقهٔ آزاد کیش").first.click()
    page.wait_for_url(f"{live_server}/partners/*")
    assert page.locator("html").get_attribute("dir") == "rtl"


def test_english_user_creates_partner_and_finds_it(live_server, page, make_user):
    user = make_user("staff", locale="en")
    _sign_in(page, live_server, user)
    assert page.locator("html").get_attribute("dir") == "ltr"

    page.goto(f"{live_server}/partners/new")
    page.get_by_label("Name in English").fill("Kuala Lumpur City Hall")
    page.get_by_label("Name in Persian").fill("شهرداری کوالالامپور")
    page.get_by_label("Country").select_option("MY")
    page.get_by_label("Relationship since").fill("2023-04-04")
    _save_form(page)
    page.wait_for_url(f"{live_server}/partners/*")
    body = page.locator("main").inner_text()
    assert "Kuala Lumpur City Hall" in body and "Apr 4, 2023" in body and "Malaysia" in body

    page.goto(f"{live_server}/partners/?q=kuala+lumpur")
    page.get_by_role("link", name="Kuala Lumpur City Hall").first.click()
    page.wait_for_url(f"{live_server}/partners/*")


def test_persian_date_picker_opens_on_date_fields(live_server, page, make_user):
    user = make_user("staff", locale="fa")
    _sign_in(page, live_server, user)
    page.goto(f"{live_server}/partners/new")
    page.click("#relationship_since")
    assert page.locator("jdp-container").is_visible()


def test_agreement_party_is_chosen_by_typing_part_of_its_name(
    live_server, page, make_user, make_partner
):
    make_partner(name_en="Kazan City Hall", name_fa="شهرداری کازان", country="RU")
    make_partner(name_en="Moscow", name_fa="مسکو", country="RU")
    user = make_user("staff", locale="fa")
    _sign_in(page, live_server, user)
    page.goto(f"{live_server}/agreements/new")
    page.fill("#title_fa", "تفاهم‌نامهٔ گردشگری با کازان")
    page.select_option("#type", "memorandum")
    page.locator("#party_ids-ts-control").fill("كازان")  # typed on an Arabic keyboard
    option = page.locator(".ts-dropdown .option", has_text="شهرداری کازان")
    option.click()
    assert page.locator(".ts-dropdown .option", has_text="مسکو").count() == 0
    _save_form(page)
    page.wait_for_url(re.compile(r".*/agreements/\d+$"))
    body = page.locator("main").inner_text()
    assert "تفاهم‌نامهٔ گردشگری با کازان" in body and "شهرداری کازان" in body


def test_persian_follow_up_is_planned_done_and_its_next_step_created(
    live_server, page, make_user, make_partner
):
    partner = make_partner(name_en="Moscow", name_fa="مسکو", country="RU")
    user = make_user("staff", locale="fa")
    _sign_in(page, live_server, user)
    page.goto(f"{live_server}/activities/new?partner_id={partner.id}")
    page.fill("#subject", "جلسه دربارهٔ مترو")
    page.fill("#on_date", "۱۴۰۵/۰۹/۱۰")
    page.keyboard.press("Escape")
    page.fill("#at_time", "10:30")
    _save_form(page)
    page.wait_for_url(re.compile(r".*/activities/\d+$"))
    body = page.locator("main").inner_text()
    assert "۱۰ آذر ۱۴۰۵، ۱۰:۳۰" in body and "مسکو" in body  # Jalali, Tehran time

    page.fill("#outcome", "توافق شد پیش‌نویس تفاهم‌نامه فرستاده شود.")
    page.fill("#next_subject", "ارسال پیش‌نویس تفاهم‌نامه")
    page.fill("#next_due_on", "۱۴۰۵/۰۹/۲۰")
    page.keyboard.press("Escape")
    page.locator("form[action$='/complete'] button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{live_server}/activities/mine")
    mine = page.locator("main").inner_text()
    assert "ارسال پیش‌نویس تفاهم‌نامه" in mine and "جلسه دربارهٔ مترو" not in mine


def test_choosing_the_partner_of_an_activity_offers_its_contacts(
    live_server, page, make_user, make_partner, make_contact
):
    partner = make_partner(name_en="Seoul Metropolitan Government", name_fa="شهرداری سئول")
    make_contact(partner=partner, name_latin="Kim Min-jun", name_fa="کیم مین‌جون")
    user = make_user("staff", locale="en")
    _sign_in(page, live_server, user)
    page.goto(f"{live_server}/activities/new")
    page.fill("#subject", "Call about the smart-city forum")
    page.locator("#partner_id-ts-control").fill("seoul")
    page.locator(".ts-dropdown .option", has_text="Seoul Metropolitan Government").click()
    page.wait_for_selector("label:has-text('Kim Min-jun')")
    assert page.input_value("#subject") == "Call about the smart-city forum"  # kept


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_a_printed_partner_page_holds_the_record_not_the_application(
    live_server, page, make_user, make_partner, locale
):
    user = make_user("staff", locale=locale)
    partner = make_partner(name_en="Lyon", name_fa="لیون", summary="Twin city since 1990.")
    _sign_in(page, live_server, user)
    page.goto(f"{live_server}/partners/{partner.id}")
    assert page.locator(".app-navbar").is_visible()  # on the screen: the test can fail
    page.emulate_media(media="print")
    assert not page.locator(".app-navbar").is_visible()
    assert not page.locator("main form").first.is_visible()
    assert not page.locator("section[aria-labelledby=history-h]").is_visible()
    assert page.get_by_text("Twin city since 1990.").is_visible()
    # nothing runs off the page at an A4 width
    page.set_viewport_size({"width": 718, "height": 1000})
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
