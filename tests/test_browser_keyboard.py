"""The keyboard, screen readers and small screens, in a real browser over the demo data: the
agreement page fits a phone, filters wait for the user, the navbar's focus ring shows, and the
pickers and the file chooser speak the page's language."""

import re

import pytest

from crm.demo.data import DEMO_PASSWORD
from tests.conftest import sign_in
from tests.demo_records import ADMIN, demo_records

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def records(demo_site):
    return demo_records(demo_site.app)


def _sign_in(page, site, locale: str = "fa") -> None:
    """Sign in as the demo administrator (Persian) and switch to ``locale``."""
    sign_in(page, site.url, ADMIN, DEMO_PASSWORD)
    if page.locator("html").get_attribute("lang") != locale:
        page.locator("form[action$='/locale'] button").click()
        page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == locale


def _luminance(colour: str) -> float:
    red, green, blue = (int(part) / 255 for part in re.findall(r"[\d.]+", colour)[:3])
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    """The WCAG contrast ratio of two CSS rgb() colours."""
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_ratio_is_computed_as_wcag_says():
    assert round(contrast("rgb(255, 255, 255)", "rgb(0, 0, 0)"), 1) == 21.0
    assert round(contrast("rgb(145, 176, 189)", "rgb(11, 79, 108)"), 2) == 3.89


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_agreement_page_with_milestones_fits_a_phone(demo_site, records, page, locale):
    _sign_in(page, demo_site, locale)
    page.set_viewport_size(PHONE)
    page.goto(f"{demo_site.url}/agreements/{records['agreement']}")
    assert page.locator("#milestones tbody tr").count() >= 2
    assert page.locator("#documents tbody tr").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for table in ("#milestones table", "#documents table"):
        width = page.locator(table).evaluate("table => table.getBoundingClientRect().width")
        room = page.locator(table).evaluate("table => table.parentElement.clientWidth")
        assert width <= room, f"{table} scrolls sideways on a phone"
    # What the hidden columns held is still there, under the title.
    assert (
        page.locator("#milestones tbody tr")
        .first.locator("td")
        .first.locator(".badge")
        .is_visible()
    )


@pytest.mark.parametrize("size", [{"width": 1280, "height": 900}, PHONE])
def test_keyboard_focus_is_clearly_visible_on_the_dark_navbar(demo_site, page, size):
    _sign_in(page, demo_site)
    page.set_viewport_size(size)
    page.goto(f"{demo_site.url}/partners/")
    bar = page.locator("nav.navbar").evaluate("nav => getComputedStyle(nav).backgroundColor")
    seen = []
    for _ in range(14):
        page.keyboard.press("Tab")
        focus = page.evaluate(
            """() => { const e = document.activeElement, s = getComputedStyle(e);
                 return e.closest("nav.navbar") && !e.closest(".dropdown-menu") && {
                   name: (e.innerText || e.getAttribute("aria-label") || e.id).trim(),
                   style: s.outlineStyle, width: parseFloat(s.outlineWidth),
                   colour: s.outlineColor, visible: e.matches(":focus-visible")}; }"""
        )
        if focus:
            seen.append(focus)
    assert len(seen) >= (9 if size["width"] > 992 else 2), seen  # links, search, buttons
    for focus in seen:
        assert focus["visible"] and focus["style"] != "none" and focus["width"] >= 2, focus
        assert contrast(focus["colour"], bar) >= 3, focus


def test_changing_a_filter_select_waits_for_the_apply_button(demo_site, page):
    _sign_in(page, demo_site, "en")
    for path, select in [
        ("/partners/", "#domain"),
        ("/contacts/", "#domain"),
        ("/agreements/", "#stage"),
        ("/activities/", "#status"),
    ]:
        page.goto(demo_site.url + path, wait_until="load")
        value = page.locator(f"{select} option").nth(1).get_attribute("value")
        page.select_option(select, value)
        page.wait_for_timeout(300)
        assert page.url == demo_site.url + path, f"{path}: a changed select submitted the form"
        page.locator(select).press("Tab")  # the user goes on, and applies with Enter
        with page.expect_navigation(url=re.compile(re.escape(demo_site.url + path) + r"\?.*")):
            page.locator("form.filters input[type=search]").first.press("Enter")
        assert f"={value}" in page.url


def test_file_chooser_speaks_the_page_language(demo_site, records, page, tmp_path):
    _sign_in(page, demo_site, "fa")
    page.goto(f"{demo_site.url}/agreements/{records['agreement']}")
    chooser = page.get_by_role("button", name="پرونده انتخاب پرونده", exact=True)  # the input
    assert chooser.get_attribute("type") == "file"
    assert chooser.evaluate("input => input.getBoundingClientRect().width") <= 1  # hidden
    picker = page.locator("label.file-picker")
    assert "انتخاب پرونده" in picker.inner_text()
    assert "پرونده‌ای انتخاب نشده" in picker.inner_text()  # not the browser's English

    chooser.focus()
    button = picker.locator(".btn")
    assert button.evaluate("b => getComputedStyle(b).outlineStyle") != "none"  # the focus shows

    document = tmp_path / "گزارش سفر.pdf"
    document.write_bytes(b"%PDF-1.4 report\n")
    chooser.set_input_files(document)
    assert picker.inner_text().endswith("گزارش سفر.pdf")
    page.locator("#documents form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert "گزارش سفر.pdf" in page.locator("#documents table").inner_text()


def test_picker_buttons_are_named_in_the_page_language(demo_site, records, page):
    _sign_in(page, demo_site, "fa")
    page.goto(f"{demo_site.url}/activities/{records['activity']}/edit")
    combobox = page.locator("#partner_id-ts-control")
    help_id = combobox.get_attribute("aria-describedby")
    assert help_id and "برای کار داخلی" in page.locator(f"#{help_id}").inner_text()
    select = page.locator("select#partner_id")
    assert select.get_attribute("aria-hidden") == "true"
    assert select.get_attribute("aria-describedby") is None

    combobox.focus()
    clear = page.get_by_role("button", name="پاک کردن انتخاب")
    assert clear.is_visible()
    clear.press("Enter")  # a real button: the keyboard works it
    assert page.locator("select#partner_id").input_value() == ""

    page.goto(f"{demo_site.url}/agreements/{records['agreement']}/edit")
    remove = page.locator("#party_ids + .ts-wrapper .remove").first
    assert remove.get_attribute("aria-label") == "حذف"
