"""The one matcher (crm.matching) that the partner form, the import and the duplicates finder
share: normalised names in any script, transliteration variants of Latin names, the country,
and contacts by name within a partner, e-mail or phone."""

import pytest

from crm.matching import (
    PartnerMatcher,
    contact_matches,
    latin_words,
    name_keys,
    partner_matches,
    phone_key,
    similar_names,
)
from crm.models import utcnow
from tests.conftest import count_queries


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Teheran", "Tehran"),
        ("Isfahan", "Esfahan"),
        ("Ardabil", "Ardebil"),
        ("Mashhad", "Mashad"),
        ("Qazvin", "Ghazvin"),
        ("Yazd", "Yezd"),
        ("Kiev", "Kyiv"),
        ("Ahvaz", "Ahwaz"),
        ("Téhéran", "TEHRAN"),
        ("Isfahan Municipality", "Municipality of Esfahan"),
        ("Kermanshah Chamber of Commerce", "Kirmanshah Chamber of Commerce"),
    ],
)
def test_transliteration_variants_are_similar(a, b):
    assert similar_names(a, b)
    assert similar_names(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Tabriz", "Tehran"),
        ("Kerman", "Kermanshah"),
        ("Kazan", "Kazan City Hall"),
        ("Paris", "Parts"),
        ("Tabriz Chamber of Commerce", "Tehran Chamber of Commerce"),
        ("Tabriz Council 12", "Tabriz Council 13"),
        ("Tabriz Council 11", "Tabriz Council 1"),  # a doubled digit is another number
        ("District 100", "District 10"),
        ("Shiraz", "شیراز"),  # another script: equal keys match, never a similarity
        ("", ""),
    ],
)
def test_different_names_are_not_similar(a, b):
    assert not similar_names(a, b)


def test_latin_words_fold_spelling_habits_and_refuse_other_scripts():
    assert latin_words("Municipality of Mashhad") == ("municipaliti", "mashad")
    assert latin_words("Ghazvin-Phase 2") == ("qazvin", "fase", "2")
    assert latin_words("شهرداری تهران") == ()
    assert latin_words("Казань") == ()


@pytest.mark.parametrize(
    "name_fa",
    [
        "شيراز",  # Arabic yeh
        "شیراز",  # Persian yeh
        "شِیراز",  # a diacritic
        "شیـراز",  # tatweel
    ],
)
def test_names_in_persian_meet_whatever_the_letter_variant(ctx, make_partner, name_fa):
    shiraz = make_partner(name_en="", name_fa="شیراز", country="IR")
    make_partner(name_en="", name_fa="شیروان", country="IR")
    found = partner_matches([None, name_fa, None], "ir")
    assert [(m.partner.id, m.reason) for m in found] == [(shiraz.id, "same_name")]


def test_a_transliteration_is_found_in_the_same_country_only(ctx, make_partner):
    tehran = make_partner(name_en="Tehran", name_fa="تهران", country="IR")
    make_partner(name_en="Tabriz", name_fa="تبریز", country="IR")
    make_partner(name_en="Teheran", name_fa="", country="DE")
    found = partner_matches(["Teheran", "", ""], "IR")
    assert [(m.partner.id, m.reason) for m in found] == [(tehran.id, "similar_name")]
    assert partner_matches(["Tabriz Airport"], "IR") == []
    assert partner_matches(["Teheran"], None) == []


def test_same_names_come_before_similar_ones_and_current_before_archived(ctx, make_partner):
    old = make_partner(name_en="Esfahan", name_fa="", country="IR", archived_at=utcnow())
    similar = make_partner(name_en="Esfahan", name_fa="", country="IR")
    same = make_partner(name_en="Isfahan", name_fa="", name_local="اصفهان", country="IR")
    found = partner_matches(["Isfahan"], "IR")
    assert [(m.partner.id, m.reason) for m in found] == [
        (same.id, "same_name"),
        (similar.id, "similar_name"),
        (old.id, "similar_name"),
    ]
    assert [m.partner.id for m in partner_matches(["Isfahan"], "IR", exclude_id=same.id)] == [
        similar.id,
        old.id,
    ]
    assert len(partner_matches(["Isfahan"], "IR", limit=1)) == 1


def test_the_bulk_matcher_answers_many_rows_without_a_query_each(app, ctx, make_partner):
    tehran = make_partner(name_en="Tehran", name_fa="تهران", country="IR")
    baku = make_partner(name_en="Baku", name_fa="باکو", country="AZ")
    make_partner(name_en="Kazan", name_fa="", country="RU")
    matcher = PartnerMatcher.for_countries(["ir", "AZ", None])
    with count_queries(app) as queries:
        answers = [
            matcher.match_ids(["Teheran"], "IR"),
            matcher.match_ids(["", "تهران"], "IR"),
            matcher.match_ids(["", "باكو"], "AZ"),
            matcher.match_ids(["Kazan"], "RU"),  # not a country it was built for
            matcher.match_ids(["Tabriz"], "IR"),
        ]
    assert len(queries) == 0
    assert answers == [
        [(tehran.id, "similar_name")],
        [(tehran.id, "same_name")],
        [(baku.id, "same_name")],
        [],
        [],
    ]


def test_the_bulk_matcher_finds_rows_of_the_same_file_once_added():
    class Row:
        def __init__(self, id, name_en, country):
            self.id, self.name_en, self.name_fa, self.name_local = id, name_en, "", ""
            self.country, self.archived_at = country, None

    matcher = PartnerMatcher()
    assert matcher.match_ids(["Isfahan"], "IR") == []
    matcher.add(Row(-1, "Isfahan", "IR"))
    assert matcher.match_ids(["Esfahan"], "ir") == [(-1, "similar_name")]


def test_phone_keys_are_e164_or_empty():
    assert phone_key("+98 21 1234 5678") == "+982112345678"
    assert phone_key("۰۲۱ ۱۲۳۴ ۵۶۷۸") == "+982112345678"  # Persian digits, Iran by default
    assert phone_key("030 1234567", "DE") == "+49301234567"
    assert phone_key("not a phone") == ""
    assert phone_key("") == ""


def test_contacts_match_by_name_within_a_partner_email_or_phone(ctx, make_partner, make_contact):
    one, other = make_partner(name_en="Baku"), make_partner(name_en="Kazan", country="RU")
    ali = make_contact(one, name_latin="Ali Rezaei", name_fa="علی رضایی", email="ali@baku.az")
    make_contact(other, name_latin="Ali Rezaei", name_fa="", email="", phone="")
    maryam = make_contact(other, name_latin="Maryam", name_fa="", email="", phone="+982112345678")

    def found(*args, **kwargs):
        return [(m.record.id, m.reason) for m in contact_matches(*args, **kwargs)]

    assert found(one.id, ["", "علي رضايي"]) == [(ali.id, "same_name")]
    assert found(one.id, ["Somebody"], email="ALI@Baku.az ") == [(ali.id, "shared_email")]
    assert found(one.id, ["Somebody"], phone="021 1234 5678") == [(maryam.id, "shared_phone")]
    assert found(one.id, ["Ali Rezaei"], exclude_id=ali.id) == []  # the other is elsewhere
    assert found(one.id, ["Ali"]) == []


@pytest.mark.parametrize("spelling", ["ارش", "أرش", "إرش"])
def test_alef_with_madda_or_hamza_is_plain_alef_to_the_matcher(spelling):
    assert name_keys("آرش") == name_keys(spelling) == {"ارش"}
    assert name_keys("آرش") != name_keys("ورش")  # another letter still differs


def test_contacts_match_across_alef_variants_but_keep_their_spelling(
    ctx, make_partner, make_contact
):
    one = make_partner(name_en="Baku")
    arash = make_contact(one, name_latin="", name_fa="آرش کمالی", email="", phone="")
    found = contact_matches(one.id, ["ارش كمالي"])
    assert [(m.record.id, m.reason) for m in found] == [(arash.id, "same_name")]
    assert [(m.record.id, m.reason) for m in contact_matches(one.id, ["أرش کمالی"])] == [
        (arash.id, "same_name")
    ]
    assert found[0].record.name_fa == "آرش کمالی"  # stored and shown as written
