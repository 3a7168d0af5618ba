"""What a desktop screen shows, in a real browser over the demo data, in both languages: the
administrator's navbar on one line, the partner filters' whole text, and the import's typed
values in their own order and direction, a phone number on one line."""

import pytest

from crm.demo.data import DEMO_PASSWORD
from tests.conftest import sign_in
from tests.demo_records import ADMIN

pytestmark = pytest.mark.browser
LOCALES = ["fa", "en"]
CONTACTS_CSV = (
    "طرف,نام لاتین,نام فارسی,سمت,ایمیل,تلفن\r\n"
    "Istanbul,Arash Kamali,آرش کمالی,مدیر روابط بین‌الملل,arash@ist.example,+90 212 455 1234\r\n"
    "Istanbul,,مریم احمدی (دفتر ۲),کارشناس,maryam@ist.example,+90 212 455 9876\r\n"
    "Istanbul,Li Wei,لی وی,معاون,li@ist.example,+86 10 6512 3456\r\n"
)
# The room a form control leaves its text, and the width its text needs, by the page's fonts.
CUT_TEXTS = """() => { const c = document.createElement('canvas').getContext('2d'), cut = [];
  const boxes = 'form.filters select, form.filters input[type=search]';
  for (const el of document.querySelectorAll(boxes)) {
    const s = getComputedStyle(el); c.font = s.font;
    const text = el.tagName === 'SELECT' ? el.options[el.selectedIndex].text : el.placeholder;
    const room = el.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    if (c.measureText(text).width > room + 0.5) cut.push(el.id + ': ' + text);
  }
  return cut; }"""


def _open(page, site, path: str, locale: str, width: int = 1280) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    if "/login" in page.url or page.url == "about:blank":
        sign_in(page, site.url, ADMIN, DEMO_PASSWORD)
    page.goto(f"{site.url}{path}{'&' if '?' in path else '?'}lang={locale}")
    assert page.locator("html").get_attribute("lang") == locale


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("width", [992, 1280, 1440, 1920])
def test_the_administrators_navbar_holds_one_line(demo_site, page, locale, width):
    _open(page, demo_site, "/", locale, width)
    links = page.locator("nav.app-navbar .navbar-nav .nav-link")
    assert links.count() == 12  # an administrator's every link is there
    tops = links.evaluate_all("links => links.map(a => Math.round(a.getBoundingClientRect().top))")
    assert len(set(tops)) == 1, tops  # one row of links
    heights = links.evaluate_all("links => links.map(a => a.getBoundingClientRect().height)")
    assert max(heights) < 45, heights  # no label broken over two lines
    assert page.locator("nav.app-navbar").bounding_box()["height"] < 60
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    search = page.locator("#global-q").bounding_box()
    assert search["width"] >= 120 and search["x"] >= 0 and search["x"] + search["width"] <= width
    # a link shown as its icon alone keeps its name: read aloud, and as a tooltip
    names = links.evaluate_all("links => links.map(a => [a.textContent.trim(), a.title])")
    assert all(text and title and title in text for text, title in names), names


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("path", ["/partners/", "/agreements/", "/contacts/"])
def test_the_list_filters_show_their_whole_text(demo_site, page, locale, path):
    for width in (390, 768, 992, 1200, 1280, 1440):
        _open(page, demo_site, path, locale, width)
        assert page.evaluate(CUT_TEXTS) == [], width


def _upload_contacts(page, site) -> str:
    """The address of the mapping page of an upload of ``CONTACTS_CSV``."""
    _open(page, site, "/imports", "en")
    page.locator("select[name=kind]").select_option("contacts")
    page.set_input_files(
        "input[type=file]",
        {"name": "contacts.csv", "mimeType": "text/csv", "buffer": CONTACTS_CSV.encode()},
    )
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/map")
    return page.url.removeprefix(site.url)


def _lefts(cell) -> list[float]:
    return cell.locator("bdi").evaluate_all("els => els.map(e => e.getBoundingClientRect().left)")


def _reads_left_to_right(bdi) -> bool:
    """The first character of ``bdi`` is left of its last one, all on one line."""
    return bdi.evaluate(
        """e => { const r = document.createRange(), t = e.firstChild, n = t.length;
             r.setStart(t, 0); r.setEnd(t, 1); const first = r.getBoundingClientRect();
             r.setStart(t, n - 1); r.setEnd(t, n); const last = r.getBoundingClientRect();
             return first.left < last.left && e.getClientRects().length === 1; }"""
    )


@pytest.mark.parametrize("locale", LOCALES)
def test_the_import_shows_typed_values_in_order_and_phones_on_one_line(demo_site, page, locale):
    mapping = _upload_contacts(page, demo_site)
    _open(page, demo_site, mapping, locale)
    rows = page.locator("main table tbody tr")
    persian = rows.nth(2).locator("td").first
    assert persian.locator("bdi").all_inner_texts() == ["آرش کمالی", "مریم احمدی (دفتر ۲)", "لی وی"]
    lefts = _lefts(persian)  # the file's order, in the page's reading direction
    assert lefts == sorted(lefts, reverse=locale == "fa"), lefts
    assert rows.nth(1).locator("td").first.inner_text().count("—") == 1  # an empty cell
    phones = rows.nth(5).locator("td").first.locator("bdi")
    assert phones.first.get_attribute("dir") == "ltr"
    assert all(_reads_left_to_right(phones.nth(i)) for i in range(3))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/preview")
    _open(page, demo_site, mapping.replace("/map", "/preview"), locale, 1024)
    for number in (2, 3, 4):
        phone = page.locator(f"#row-{number} td").last.locator("bdi")
        assert phone.get_attribute("dir") == "ltr"
        assert _reads_left_to_right(phone), number
    name = page.locator("#row-2 td bdi", has_text="آرش")
    assert name.get_attribute("dir") == "auto"
    assert name.evaluate("e => getComputedStyle(e).direction") == "rtl"
