"""The calendar in a real browser (Chromium), in Persian: a Jalali month from Saturday, right to
left, and the next month one click away (a plain link: no script involved)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import jdatetime
import pytest

from crm.formatting import Formatter
from tests.conftest import sign_in

pytestmark = pytest.mark.browser


def test_the_persian_calendar_moves_to_the_next_month(
    app, live_server, page, make_user, make_activity
):
    user = make_user("staff", locale="fa")
    today = datetime.now(ZoneInfo("Asia/Tehran")).date()
    this_month = jdatetime.date.fromgregorian(date=today)
    following = (this_month.replace(day=1) + timedelta(days=32)).replace(day=1)
    visit_day = following.replace(day=10).togregorian()
    make_activity(subject="دیدار هیئت استانبول", owner_id=user.id, due_on=visit_day)
    reader = Formatter("fa", "Asia/Tehran")

    sign_in(page, live_server, user.email)
    page.locator("nav a[href='/calendar']").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("#calendar-title").inner_text() == reader.month(today)
    headings = page.locator("table.calendar-month thead abbr")
    assert headings.first.get_attribute("title") == "شنبه"
    # right to left: Saturday's column is the rightmost
    saturday, sunday = headings.nth(0).bounding_box(), headings.nth(1).bounding_box()
    assert saturday["x"] > sunday["x"]
    assert page.get_by_text("دیدار هیئت استانبول").count() == 0

    page.locator("#calendar-next").click()
    page.wait_for_url(f"**/calendar?date={following.togregorian().isoformat()}&view=month")
    assert page.locator("#calendar-title").inner_text() == reader.month(following.togregorian())
    entry = page.locator(f"td[data-date='{visit_day.isoformat()}'] a.calendar-entry")
    assert "دیدار هیئت استانبول" in entry.inner_text()
    first_cell = page.locator("table.calendar-month tbody td").first
    assert date.fromisoformat(first_cell.get_attribute("data-date")).weekday() == 5  # Saturday
    entry.click()
    page.wait_for_load_state()
    assert "/activities/" in page.url
