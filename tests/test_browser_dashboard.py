"""The dashboard in a real browser (Debian's Chromium): its charts are drawn by Chart.js from
the page's data, in Persian (right to left, Persian digits) and in English, with no script
error (the ``page`` fixture fails the test on any console error or failed request)."""

from datetime import date, timedelta

import pytest

from tests.conftest import sign_in

pytestmark = pytest.mark.browser

CHARTS = ("months", "domains", "stages", "areas", "countries")


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_dashboard_draws_its_charts(
    live_server, page, make_user, make_partner, make_agreement, make_activity, locale
):
    partner = make_partner(name_en="Moscow", country="RU")
    make_agreement(parties=[partner], stage="active", confidentiality="public", areas=["tourism"])
    make_activity(partner, due_on=date.today() - timedelta(days=3))
    user = make_user("staff", locale=locale)
    sign_in(page, live_server, user.email)
    page.locator('nav a[href="/dashboard"]').click()  # in the menu
    page.wait_for_url(f"{live_server}/dashboard")
    assert page.locator("html").get_attribute("dir") == ("rtl" if locale == "fa" else "ltr")
    for name in CHARTS:
        canvas = page.locator(f"#chart-{name}")
        assert canvas.get_attribute("role") == "img"
        drawn = canvas.evaluate(
            "c => { const chart = window.Chart.getChart(c);"
            " return chart ? [c.width, c.height, chart.options.locale,"
            " chart.config.type, chart.data.labels.length] : null; }"
        )
        assert drawn is not None, name
        width, height, chart_locale, _kind, labels = drawn
        assert width > 0 and height > 0 and chart_locale == locale and labels > 0, name
    months = page.locator("#chart-months").evaluate("c => window.Chart.getChart(c).data.labels")
    if locale == "fa":
        assert all(any("۰" <= ch <= "۹" for ch in label) for label in months)  # ۱۴۰۵
        assert page.locator("#chart-months").evaluate(
            "c => window.Chart.getChart(c).options.scales.x.reverse"
        )  # time runs from the right
        ticks = page.locator("#chart-stages").evaluate(
            "c => window.Chart.getChart(c).scales.y.ticks.map(t => t.label)"
        )
        assert ticks[0] == "۰" and "۱" in ticks  # the value axis in Persian digits
    # The table alternative opens and leads to the list behind a figure.
    page.locator("#table-stages").locator("xpath=ancestor::details/summary").click()
    page.locator("#table-stages a").nth(7).click()  # the active agreements
    page.wait_for_url(f"{live_server}/agreements/?stage=active")
