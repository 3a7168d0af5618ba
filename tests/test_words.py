"""Numbers, plurals, time zones, phone numbers and file sizes read naturally in both languages."""

from crm.formatting import Formatter


def test_numbers_inside_persian_messages_are_persian(auth, client):
    auth.login("staff", locale="fa")
    response = client.post(
        "/settings/password",
        data={"pw-current": "correct-horse-battery", "pw-new": "short", "pw-confirm": "short"},
    )
    page = response.get_data(as_text=True)
    assert "دست‌کم ۱۰ نویسه" in page and "10" not in page.split("دست‌کم")[1][:20]


def test_one_result_is_singular_and_many_are_plural(auth, client, make_partner):
    auth.login("viewer")
    make_partner(name_en="Kazan")
    assert "1 result" in client.get("/partners/").get_data(as_text=True)
    make_partner(name_en="Kish")
    assert "2 results" in client.get("/partners/").get_data(as_text=True)


def test_time_zones_read_as_a_city_with_its_offset(app, auth, client, make_partner):
    with app.app_context():
        assert Formatter("en", "UTC").timezone("Asia/Tehran") == "Tehran (UTC+03:30)"
        assert Formatter("fa", "UTC").timezone("Asia/Tehran") == "تهران (UTC+۰۳:۳۰)"
    auth.login("staff", locale="fa")
    partner = make_partner(timezone="Europe/Istanbul")
    assert "استانبول (UTC+۰۳:۰۰)" in client.get(f"/partners/{partner.id}").get_data(as_text=True)
    settings = client.get("/settings").get_data(as_text=True)
    assert '<option selected value="Asia/Tehran">تهران (UTC+۰۳:۳۰)</option>' in settings


def test_phone_numbers_are_grouped_and_file_sizes_scaled(app, auth, client, make_contact):
    auth.login("viewer")
    contact = make_contact(phone="+902124550000")
    page = client.get(f"/contacts/{contact.id}").get_data(as_text=True)
    assert 'href="tel:+902124550000"' in page and "+90 212 455 00 00" in page
    with app.app_context():
        en, fa = Formatter("en", "UTC"), Formatter("fa", "UTC")
        assert [en.filesize(n) for n in (1, 812, 12_800, 3_500_000)] == [
            "1 byte",
            "812 bytes",
            "12.5 KB",
            "3.3 MB",
        ]
        assert fa.filesize(12_800) == "۱۲٫۵ کیلوبایت"


RETIRED = {
    "Nobody": "No one",
    "Nobody yet": "No one",
    "Any": "All … / Anyone",
    "Filter": "Apply filters",
    "History": "Change history",
    "Change log": "Change history",
}


def test_one_word_per_concept_in_both_catalogues():
    """Owners, empty filters, filter buttons and history titles each have one name."""
    from babel.messages.pofile import read_po

    from tests.conftest import ROOT

    with (ROOT / "translations/fa/LC_MESSAGES/messages.po").open("rb") as source:
        catalogue = read_po(source)
    ids = {m.id for m in catalogue if isinstance(m.id, str)}
    assert not ids & set(RETIRED), {word: RETIRED[word] for word in ids & set(RETIRED)}
    persian = {m.id: m.string for m in catalogue if isinstance(m.id, str)}
    assert persian["All areas"] != persian["All domains"]  # cooperation area ≠ domain


def test_names_in_the_other_language_show_under_the_name(auth, client, make_partner):
    make_partner(name_en="Kazan", name_fa="کازان", areas=["tourism"])
    auth.login("viewer", locale="fa")
    persian = client.get("/partners/").get_data(as_text=True)
    assert "کازان" in persian and "<bdi>Kazan</bdi>" in persian
    auth.logout()
    auth.login("staff", locale="en")
    english = client.get("/partners/").get_data(as_text=True)
    assert "<bdi>کازان</bdi>" in english
    form = client.get("/partners/new").get_data(as_text=True)
    assert "Tourism" in form and "گردشگری" not in form
