"""Pages follow the reader's language and direction in their details: history arrows and the
dash of an empty value (the browser side is in test_browser_keyboard.py)."""

import re
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
