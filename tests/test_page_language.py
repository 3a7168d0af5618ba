"""Pages follow the reader's language and direction in their details: history arrows, the dash
of an empty value, the time and file fields, the pickers' buttons, and filter forms that wait
for the user (the browser side is in test_browser_keyboard.py)."""

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest

from crm.extensions import db
from crm.partners.models import Partner


class _Elements(HTMLParser):
    """Every element of a page, with its attributes and the text inside it."""

    VOID = {"area", "br", "col", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str], list[str]]] = []
        self.open: list[int] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}, []))
        if tag not in self.VOID:
            self.open.append(len(self.tags) - 1)

    def handle_endtag(self, tag):
        while self.open and self.tags[self.open.pop()][0] != tag:
            pass

    def handle_data(self, data):
        for index in self.open:
            if data.strip():
                self.tags[index][2].append(data.strip())


def elements(page: str, tag: str | None = None, **attrs: str):
    """(attributes, text) of the elements that have these attributes (``class_`` for class)."""
    parser = _Elements()
    parser.feed(page)
    wanted = {key.rstrip("_").replace("_", "-"): value for key, value in attrs.items()}
    return [
        (found, " ".join(text))
        for name, found, text in parser.tags
        if (tag is None or name == tag) and all(found.get(k) == v for k, v in wanted.items())
    ]


def element(page: str, tag: str | None = None, **attrs: str) -> dict[str, str]:
    [(found, _)] = elements(page, tag, **attrs)
    return found


@pytest.mark.parametrize(("locale", "arrow"), [("fa", "bi-arrow-left"), ("en", "bi-arrow-right")])
def test_change_history_arrows_point_from_old_to_new(
    auth, client, app, make_partner, locale, arrow
):
    partner = make_partner(name_en="Kazan")
    with app.app_context():
        db.session.get(Partner, partner.id).name_en = "Kazan City Hall"
        db.session.commit()
    auth.login("staff", locale=locale)
    page = client.get(f"/partners/{partner.id}").get_data(as_text=True)
    arrows = re.findall(r"</del> <i class=\"bi ([\w-]+)\"", page)
    assert arrows and set(arrows) == {arrow}


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_dash_of_an_empty_value_follows_the_page_direction(auth, client, make_agreement, locale):
    """An empty value's dash sits on the reading side: never inside an element whose direction
    comes from its own text (dir="auto") or is forced left to right."""
    agreement = make_agreement(signatories=None, terms_summary=None)
    auth.login("manager", locale=locale)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    dashes = [found for found, text in elements(page) if text == "—"]
    assert len(dashes) >= 2  # the summary of terms and the signatories at least
    assert all("dir" not in found for found in dashes), dashes


def test_free_text_keeps_its_own_direction(auth, client, make_agreement):
    agreement = make_agreement(signatories="Ayşe Yılmaz, Mayor of Istanbul")
    auth.login("manager", locale="fa")
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    [(found, _)] = [e for e in elements(page, "div") if e[1] == "Ayşe Yılmaz, Mayor of Istanbul"]
    assert found["dir"] == "auto"


def test_time_field_in_persian_has_persian_digits_and_no_am_pm(
    auth, client, make_partner, make_activity
):
    auth.login("staff", locale="fa", timezone="Asia/Tehran")
    activity = make_activity(
        make_partner(), starts_at=datetime(2026, 12, 1, 10, 0, tzinfo=UTC), due_on=None
    )
    time = element(
        client.get(f"/activities/{activity.id}/edit").get_data(as_text=True), id="at_time"
    )
    assert time["type"] == "text"  # the native input would follow the browser: AM/PM, 1:30
    assert time["value"] == "۱۳:۳۰"
    assert time["placeholder"] == "۱۴:۳۰" and time["inputmode"] == "numeric"
    assert re.fullmatch(time["pattern"], "۹:۰۵") and re.fullmatch(time["pattern"], "14:30")
    assert not re.fullmatch(time["pattern"], "2:30 PM")


def test_time_field_in_english_is_the_native_time_input(auth, client):
    auth.login("staff", locale="en")
    time = element(client.get("/activities/new").get_data(as_text=True), id="at_time")
    assert time["type"] == "time" and "placeholder" not in time


@pytest.mark.parametrize(("typed", "hour", "minute"), [("۹:۰۵", 5, 35), ("09:05", 5, 35)])
def test_time_typed_with_a_one_digit_hour_is_understood(
    auth, client, app, make_partner, typed, hour, minute
):
    from crm.activities.models import Activity

    user = auth.login("staff", locale="fa", timezone="Asia/Tehran")
    form = {"kind": "meeting", "subject": "دیدار", "status": "planned", "owner_id": user.id}
    form.update(partner_id=make_partner().id, on_date="۱۴۰۵/۰۹/۱۰", at_time=typed)
    assert client.post("/activities/new", data=form).status_code == 302
    with app.app_context():
        [activity] = db.session.scalars(db.select(Activity)).all()
        assert (activity.starts_at.hour, activity.starts_at.minute) == (hour, minute)  # UTC


@pytest.mark.parametrize(
    ("locale", "button", "none"),
    [
        ("fa", "انتخاب پرونده", "پرونده‌ای انتخاب نشده"),
        ("en", "Choose a file", "No file chosen"),
    ],
)
def test_file_chooser_is_in_the_page_language(auth, client, make_agreement, locale, button, none):
    agreement = make_agreement()
    auth.login("staff", locale=locale)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    chooser = element(page, "input", type="file")
    assert "visually-hidden" in chooser["class"].split()  # hidden, still focusable
    assert chooser["aria-labelledby"] == "file-label file-button"
    assert chooser["aria-describedby"].split()[0] == "file-name"
    assert element(page, "label", for_="file")["class"] == "file-picker input-group"
    assert elements(page, "span", id="file-button")[0][1] == button
    assert elements(page, "span", id="file-name")[0][1] == none


def test_pickers_name_their_buttons_in_the_page_language(auth, client):
    auth.login("staff", locale="fa")
    picker = element(client.get("/agreements/new").get_data(as_text=True), id="party_ids")
    assert picker["data-remove-label"] == "حذف"
    assert picker["data-clear-label"] == "پاک کردن انتخاب"


@pytest.mark.parametrize("path", ["/partners/", "/contacts/", "/agreements/", "/activities/"])
def test_filter_forms_wait_for_the_user_and_are_named_search_regions(auth, client, path):
    auth.login("staff", locale="en")
    page = client.get(path).get_data(as_text=True)
    [form] = [f for f, _ in elements(page, "form", role="search") if "filters" in f["class"]]
    assert "data-autosubmit" not in form  # a changed select no longer submits (WCAG 3.2.2)
    inside = page.split(f'aria-label="{form["aria-label"]}"', 1)[1].split("</form>", 1)[0]
    assert 'type="submit"' in inside  # the button that applies them (Enter does too)
    names = [found.get("aria-label") for found, _ in elements(page, role="search")]
    assert len(names) == len(set(names)) == 2 and None not in names  # and the navbar's search
