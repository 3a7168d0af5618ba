"""Every page meets WCAG 2.1 A and AA as axe-core (the real engine, from npm) checks it, in both
languages, at desktop and phone width, over the demo data; on a phone no page scrolls sideways,
and an empty value's dash sits on the reading side.

A new page joins by a row in PAGES: ``test_every_page_is_in_the_table`` fails until it does.
axe-core is a development dependency injected by the test (the app never serves it); the
browser context bypasses the content security policy for that one script.
"""

from contextlib import suppress
from dataclasses import dataclass

import pytest
from werkzeug.exceptions import NotFound

from crm import create_app
from crm.config import TestConfig
from crm.demo.data import DEMO_PASSWORD
from tests.conftest import ROOT, sign_in
from tests.demo_records import ADMIN, demo_records

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    # Two search forms on one page must say which is which (a best practice, checked too).
    "rules": {"landmark-unique": {"enabled": True}},
}

# (what the page is, its path). {partner}, {contact}, {agreement}, {milestone}, {activity} and
# {user} name demo records that show the most, {file} a briefing pack being prepared, {import}
# an import waiting in its preview (see
# `records`). The demo administrator sees them.
PAGES = [
    ("start page", "/"),
    ("dashboard", "/dashboard"),
    ("partner list", "/partners/"),
    ("partner page", "/partners/{partner}"),
    ("partner list, by health", "/partners/?sort=health"),
    ("falling health", "/partners/health/falling"),
    ("new partner form", "/partners/new"),
    ("partner form", "/partners/{partner}/edit"),
    ("contact list", "/contacts/"),
    ("contact page", "/contacts/{contact}"),
    ("new contact form", "/partners/{partner}/contacts/new"),
    ("contact form", "/contacts/{contact}/edit"),
    ("erasing a contact's personal data", "/contacts/{contact}/erase"),
    ("agreement list", "/agreements/"),
    ("agreement list, no matches", "/agreements/?q=zzzz"),
    ("agreement page", "/agreements/{agreement}"),
    ("new agreement form", "/agreements/new"),
    ("agreement form", "/agreements/{agreement}/edit"),
    ("milestone form", "/agreements/{agreement}/milestones/{milestone}/edit"),
    ("pipeline board", "/agreements/board"),
    ("stage requests", "/agreements/requests"),
    ("activity list", "/activities/"),
    ("activity page", "/activities/{activity}"),
    ("new activity form", "/activities/new"),
    ("activity form", "/activities/{activity}/edit"),
    ("my follow-ups", "/activities/mine"),
    ("calendar, month", "/calendar"),
    ("calendar, week", "/calendar?view=week"),
    ("notifications, unread", "/notifications"),
    ("notifications, all", "/notifications?show=all"),
    ("search", "/search?q=tehran"),
    ("settings", "/settings"),
    ("user list", "/users"),
    ("new user form", "/users/new"),
    ("user form", "/users/{user}/edit"),
    ("handing a colleague's work over", "/users/{user}/handover"),
    ("reminders (admin)", "/admin/reminders"),
    ("audit trail", "/admin/audit"),
    ("audit trail, one kind", "/admin/audit?kind=agreements"),
    ("my files", "/files"),
    ("briefing pack form", "/files/pack?partner_id={partner}"),
    ("prepared file, in progress", "/files/{file}"),
    ("likely duplicates", "/duplicates"),
    ("likely duplicates, contacts", "/duplicates?kind=contacts"),
    ("two partners side by side", "/duplicates/partners/{partner}/{partner2}"),
    ("two contacts side by side", "/duplicates/contacts/{contact}/{contact2}"),
    ("merges", "/duplicates/merges"),
    ("imports", "/imports"),
    ("import, mapping", "/imports/{import}/map"),
    ("import, preview", "/imports/{import}/preview"),
    ("import page", "/imports/{import}"),
    ("error page", "/no-such-page"),
]
SIGNED_OUT_PAGES = [
    ("sign-in page", "/login"),
    ("forgotten password", "/password/forgot"),
    ("reset link, no longer working", "/password/reset/expired-or-made-up"),
]
# GET endpoints that are not pages: files, JSON, health checks.
NOT_PAGES = {
    "activities.export",
    "agreements.dossier",
    "agreements.download_document",
    "agreements.export",
    "audit.export",
    "calendar.feed_ics",
    "calendar.new_feed_page",  # a redirect to the settings
    "files.download",
    "files.status",
    "health.export",
    "ops.health",
    "ops.live",
    "ops.ready",
    "imports.status",
    "imports.template",
    "main.pipeline_report",
    "partners.briefing",
    "partners.export",
    "partners.export_contacts",
    "partners.lookup",
    "static",
    "vendor.static",
}
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}


@dataclass
class Problem:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@pytest.fixture(scope="module")
def records(demo_site):
    return demo_records(demo_site.app)


def check_page(page, where: str, locale: str) -> list[Problem]:
    """What axe-core finds on the page as it is, and what a phone or the reading side shows."""
    problems = []
    lang = page.locator("html").get_attribute("lang")
    if lang != locale:
        problems.append(Problem(where, f"the page is in {lang!r}, not {locale!r}"))
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async (options) => (await axe.run(document, options)).violations.map(v =>
             `${v.id} (${v.impact}): ${v.help}\\n` + v.nodes.map(n =>
               `      ${n.target.join(" ")}: ${n.failureSummary.replace(/\\s+/g, " ")}`
             ).join("\\n"))""",
        AXE_OPTIONS,
    )
    problems += [Problem(where, violation) for violation in violations]
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        problems.append(Problem(where, f"scrolls sideways: {scroll_width} px wide on {width} px"))
    for dash in page.evaluate(
        """() => [...document.querySelectorAll("main *")]
             .filter(e => e.getClientRects().length && [...e.childNodes].some(n =>
               n.nodeType === Node.TEXT_NODE && n.textContent.trim() === "\u2014"))
             .filter(e => getComputedStyle(e).direction !== document.documentElement.dir)
             .map(e => e.outerHTML.slice(0, 120))"""
    ):
        problems.append(Problem(where, f"an empty value's dash against the reading side: {dash}"))
    return problems


def viewport(width: str) -> dict[str, int]:
    return dict(zip(("width", "height"), WIDTHS[width], strict=True))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("locale", ["fa", "en"])
def test_every_page_meets_wcag_21_aa(browser, demo_site, records, locale, width):
    context = browser.new_context(viewport=viewport(width), bypass_csp=True)
    page = context.new_page()
    problems: list[Problem] = []
    try:
        for name, path in SIGNED_OUT_PAGES:
            page.goto(f"{demo_site.url}{path}?lang={locale}")
            problems += check_page(page, f"{name} ({path})", locale)
        sign_in(page, demo_site.url, ADMIN, DEMO_PASSWORD)
        if page.locator("html").get_attribute("lang") != locale:
            page.set_viewport_size(viewport("desktop"))  # where the menu is open
            page.locator("form[action$='/locale'] button").click()
            page.wait_for_load_state()
            page.set_viewport_size(viewport(width))
        for name, path in PAGES:
            url = path.format(**records)
            page.goto(demo_site.url + url)
            problems += check_page(page, f"{name} ({url})", locale)
    finally:
        context.close()
    assert not problems, f"{len(problems)} problems in {locale} at {width} width:\n" + "\n".join(
        f"  {problem}" for problem in problems
    )


def test_every_page_is_in_the_table():
    """A page added later must join PAGES (or, if it is no page, NOT_PAGES)."""
    app = create_app(TestConfig)
    adapter = app.url_map.bind("localhost")
    kinds = ["partner", "contact", "agreement", "milestone", "activity", "user", "file"]
    kinds += ["partner2", "contact2"]
    kinds += ["import"]
    ids = dict.fromkeys(kinds, 1)
    covered = set()
    for _, path in PAGES + SIGNED_OUT_PAGES:
        with suppress(NotFound):  # the error page is no route
            covered.add(adapter.match(path.format(**ids).partition("?")[0])[0])
    pages = {rule.endpoint for rule in app.url_map.iter_rules() if "GET" in rule.methods}
    missing = sorted(pages - NOT_PAGES - covered)
    assert not missing, f"add these pages to PAGES in this file: {missing}"
