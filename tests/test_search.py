"""Global search: Persian normalisation, visibility of agreements, archived records left out."""

from datetime import UTC, datetime

import pytest

from crm.text import search_words


def _search(client, q: str) -> str:
    response = client.get("/search", query_string={"q": q})
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["كيش", "کیش", "كیش", " کیش ", "کِیش"])
def test_search_finds_kish_with_arabic_or_persian_letters(auth, client, make_partner, query):
    auth.login("viewer", locale="fa")
    kish = make_partner(name_en="Kish", name_fa="کیش", country="IR")
    page = _search(client, query)
    assert f"/partners/{kish.id}" in page


def test_search_ignores_diacritics(auth, client, make_partner):
    auth.login("viewer")
    tehran = make_partner(name_en="", name_fa="تهران", country="IR")
    assert f"/partners/{tehran.id}" in _search(client, "تَهران")
    stored = make_partner(name_en="", name_fa="شُمال", country="IR")
    assert f"/partners/{stored.id}" in _search(client, "شمال")


def test_search_treats_zwnj_and_space_alike(auth, client, make_activity):
    auth.login("viewer")
    zwnj = make_activity(subject="بازدید می\u200cدان")
    spaced = make_activity(subject="جلسه می دان")
    for query in ("می\u200cدان", "می دان"):
        page = _search(client, query)
        assert f"/activities/{zwnj.id}" in page and f"/activities/{spaced.id}" in page


def test_search_matches_every_word_in_any_order(auth, client, make_agreement):
    auth.login("viewer")
    agreement = make_agreement(title_en="Memorandum on urban transport")
    assert f"/agreements/{agreement.id}" in _search(client, "transport memorandum")
    assert f"/agreements/{agreement.id}" not in _search(client, "transport banking")
    assert search_words("  Tra\u200cnsport  ") == ["tra", "nsport"]


def test_search_finds_contacts_with_their_partner(auth, client, make_partner, make_contact):
    auth.login("viewer")
    partner = make_partner(name_en="Kazan")
    contact = make_contact(partner, name_latin="Rustam Minnikhanov", title="Mayor")
    page = _search(client, "minnikhanov")
    assert f"/contacts/{contact.id}" in page and "Kazan" in page


def test_search_never_shows_confidential_agreements_to_staff(
    auth, client, make_partner, make_agreement, make_activity
):
    partner = make_partner()
    secret = make_agreement(
        parties=[partner], title_en="Bridge secret accord", confidentiality="confidential"
    )
    public = make_agreement(
        parties=[partner], title_en="Bridge public accord", confidentiality="public"
    )
    talk = make_activity(partner, subject="Bridge secret talks", agreement_id=secret.id)
    auth.login("staff")
    page = _search(client, "bridge")
    assert f"/agreements/{public.id}" in page
    assert f"/agreements/{secret.id}" not in page and "secret accord" not in page
    assert f"/activities/{talk.id}" not in page
    auth.logout()
    auth.login("manager")
    page = _search(client, "bridge")
    assert f"/agreements/{secret.id}" in page and f"/activities/{talk.id}" in page


def test_search_leaves_out_archived_records(
    auth, client, make_partner, make_contact, make_agreement, make_activity
):
    auth.login("viewer")
    gone = datetime(2026, 1, 1, tzinfo=UTC)
    partner = make_partner(name_en="Zanzibar", archived_at=gone)
    contact = make_contact(
        make_partner(name_en="Other"), name_latin="Zanzibar Person", archived_at=gone
    )
    agreement = make_agreement(title_en="Zanzibar accord", archived_at=gone)
    activity = make_activity(subject="Zanzibar visit", archived_at=gone)
    page = _search(client, "zanzibar")
    for path in (
        f"/partners/{partner.id}",
        f"/contacts/{contact.id}",
        f"/agreements/{agreement.id}",
        f"/activities/{activity.id}",
    ):
        assert path not in page
    assert "Nothing found" in page


def test_empty_and_short_queries_get_a_friendly_message(auth, client):
    auth.login("viewer", locale="en")
    assert "Type a name" in _search(client, "")
    assert "at least two letters" in _search(client, "a")
    assert "at least two letters" in _search(client, "\u200c ك \u064e")
    assert _search(client, "%_%")  # no error for LIKE wildcards


def test_search_links_to_the_filtered_lists(auth, client, make_partner):
    auth.login("viewer")
    for n in range(12):
        make_partner(name_en=f"Porto {n:02d}")
    page = _search(client, "porto")
    assert page.count("/partners/") >= 10 and "Porto 00" not in page  # the newest first
    assert "/partners/?q=porto" in page
    assert "/activities/?q=porto" not in page  # no activities matched: no link


SPELLINGS = ["کتابها", "کتاب\u200cها", "کتاب ها"]


@pytest.mark.parametrize("typed", [*SPELLINGS, "كتاب\u200cها"])  # the last with an Arabic kaf
def test_joined_spaced_and_zwnj_spellings_find_each_other_everywhere(
    auth, client, make_partner, make_contact, make_agreement, make_activity, typed
):
    """In the lists, the global search and the partner picker, every spelling finds all three."""
    auth.login("manager", locale="fa")
    partners = [make_partner(name_en="", name_fa=f"خانه {s}", country="IR") for s in SPELLINGS]
    contacts = [make_contact(partners[0], name_latin="", name_fa=f"مسئول {s}") for s in SPELLINGS]
    agreements = [make_agreement(title_en="", title_fa=f"تفاهم {s}") for s in SPELLINGS]
    activities = [make_activity(partners[0], subject=f"اهدای {s}") for s in SPELLINGS]
    lists = {
        "/partners/": (partners, "/partners/{}"),
        "/contacts/": (contacts, "/contacts/{}"),
        "/agreements/": (agreements, "/agreements/{}"),
        "/activities/": (activities, "/activities/{}"),
    }
    found = _search(client, typed)
    for url, (records, link) in lists.items():
        page = client.get(url, query_string={"q": typed}).get_data(as_text=True)
        for record in records:
            assert link.format(record.id) + '"' in page, (url, typed, record.id)
            assert link.format(record.id) + '"' in found, ("search", typed, record.id)
    picked = client.get("/partners/lookup", query_string={"q": typed}).get_json()
    assert {item["value"] for item in picked} == {p.id for p in partners}


def test_heh_with_yeh_above_finds_heh_and_back(auth, client, make_partner):
    auth.login("viewer", locale="fa")
    with_yeh = make_partner(name_en="", name_fa="خانۀ فرهنگ", country="IR")
    plain = make_partner(name_en="", name_fa="خانه هنر", country="IR")
    assert f"/partners/{with_yeh.id}" in _search(client, "خانه فرهنگ")
    assert f"/partners/{plain.id}" in _search(client, "خانۀ هنر")
