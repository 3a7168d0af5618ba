"""The keyboard, screen readers and small screens, in a real browser over the demo data: the
agreement page fits a phone."""

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


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_agreement_page_with_milestones_fits_a_phone(demo_site, records, page, locale):
    _sign_in(page, demo_site, locale)
    page.set_viewport_size(PHONE)
    page.goto(f"{demo_site.url}/agreements/{records['agreement']}")
    assert page.locator("#milestones tbody tr").count() >= 2
    assert page.locator("#documents tbody tr").count() >= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    milestones = page.locator("#milestones table")
    width = milestones.evaluate("table => table.getBoundingClientRect().width")
    room = milestones.evaluate("table => table.parentElement.clientWidth")
    assert width <= room, "the milestones table scrolls sideways on a phone"
    # What the hidden columns held is still there, under the title.
    assert (
        page.locator("#milestones tbody tr")
        .first.locator("td")
        .first.locator(".badge")
        .is_visible()
    )
