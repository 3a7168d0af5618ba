"""The duplicates finder and its page: likely duplicate partners (same or similar names in one
country, contacts sharing an e-mail or a phone) and contacts (same name at one partner, shared
e-mail or phone), in pairs with the reason, paged; who may look."""

import pytest

from crm.duplicates.finder import Pair, contact_pairs, partner_pairs
from crm.extensions import db
from crm.models import utcnow
from crm.partners.models import Contact
from tests.conftest import count_queries


@pytest.fixture
def reader(make_user):
    return make_user("staff")


def test_partner_pairs_by_name_transliteration_and_shared_contacts(
    ctx, reader, make_partner, make_contact
):
    shiraz = make_partner(name_en="", name_fa="شیراز", country="IR")
    shiraz_arabic = make_partner(name_en="", name_fa="شيراز", country="IR")
    tehran = make_partner(name_en="Tehran", name_fa="", country="IR")
    teheran = make_partner(name_en="Teheran", name_fa="", country="IR")
    make_partner(name_en="Tabriz", name_fa="", country="IR")
    make_partner(name_en="Shiraz", name_fa="", country="FR")  # another country, another script
    make_partner(name_en="Teheran", name_fa="", country="DE")
    make_partner(name_en="Tehran", name_fa="", country="IR", archived_at=utcnow())  # archived
    baku = make_partner(name_en="Baku City", name_fa="", country="AZ")
    baki = make_partner(name_en="Baki Municipality", name_fa="", country="AZ")
    make_contact(baku, email="Office@Baku.az", phone="")
    make_contact(baki, email="office@baku.AZ", phone="")
    kazan = make_partner(name_en="Kazan", name_fa="", country="RU")
    kazan_uni = make_partner(name_en="Kazan University", name_fa="", country="RU")
    make_contact(kazan, email="", phone="+78432000000")
    make_contact(kazan_uni, email="", phone="+78432000000")

    user = db.session.merge(reader)
    assert partner_pairs(user) == [
        Pair(shiraz.id, shiraz_arabic.id, "same_name"),
        Pair(tehran.id, teheran.id, "similar_name"),
        Pair(baku.id, baki.id, "shared_email"),
        Pair(kazan.id, kazan_uni.id, "shared_phone"),
    ]


def test_numbered_names_of_the_large_set_are_not_duplicates(ctx, reader, make_partner):
    for n in (1, 2, 12, 13):
        make_partner(name_en=f"Tabriz Council {n}", name_fa=f"شورای تبریز {n}", country="IR")
    same = make_partner(name_en="Tebriz Council 12", name_fa="", country="IR")
    pairs = partner_pairs(db.session.merge(reader))
    assert [(p.second, p.reason) for p in pairs] == [(same.id, "similar_name")]


def test_a_group_of_many_gives_one_pair_less_than_its_size(ctx, reader, make_partner):
    ids = [make_partner(name_en="Yerevan", name_fa="", country="AM").id for _ in range(5)]
    pairs = partner_pairs(db.session.merge(reader))
    assert [(p.first, p.second) for p in pairs] == [(ids[0], other) for other in ids[1:]]


def test_contact_pairs_by_name_at_one_partner_email_or_phone(
    ctx, reader, make_partner, make_contact
):
    one = make_partner(name_en="Baku", name_fa="")
    other = make_partner(name_en="Kazan", name_fa="", country="RU")
    ali = make_contact(one, name_latin="Ali Rezaei", name_fa="علی رضایی", email="", phone="")
    ali_again = make_contact(one, name_latin="", name_fa="علي رضايي", email="", phone="")
    make_contact(other, name_latin="Ali Rezaei", name_fa="", email="", phone="")  # elsewhere
    mail = make_contact(one, name_latin="Sara", name_fa="", email="s@x.org", phone="")
    mail_again = make_contact(other, name_latin="Sarah", name_fa="", email="S@X.org", phone="")
    phone = make_contact(one, name_latin="Reza", name_fa="", email="", phone="+982112345678")
    phone_again = make_contact(other, name_latin="R.", name_fa="", email="", phone="+982112345678")
    make_contact(one, name_latin="Reza", name_fa="", email="", phone="", archived_at=utcnow())
    assert contact_pairs(db.session.merge(reader)) == [
        Pair(ali.id, ali_again.id, "same_name"),
        Pair(mail.id, mail_again.id, "shared_email"),
        Pair(phone.id, phone_again.id, "shared_phone"),
    ]


def test_contacts_whose_names_differ_only_by_alef_madda_or_hamza_are_a_pair(
    ctx, reader, make_partner, make_contact
):
    one = make_partner(name_en="Baku", name_fa="")
    other = make_partner(name_en="Kazan", name_fa="", country="RU")
    arash = make_contact(one, name_latin="", name_fa="آرش", email="", phone="")
    plain = make_contact(one, name_latin="", name_fa="ارش", email="", phone="")
    hamza = make_contact(one, name_latin="", name_fa="أرش", email="", phone="")
    make_contact(other, name_latin="", name_fa="ارش", email="", phone="")  # another partner
    make_contact(one, name_latin="", name_fa="آرشام", email="", phone="")  # another name
    assert contact_pairs(db.session.merge(reader)) == [
        Pair(arash.id, plain.id, "same_name"),
        Pair(arash.id, hamza.id, "same_name"),
    ]
    assert db.session.get(Contact, arash.id).sort_fa != db.session.get(Contact, plain.id).sort_fa


def test_the_finder_page_lists_pairs_with_reasons_and_links(app, auth, client, make_partner):
    tehran = make_partner(name_en="Tehran", name_fa="", country="IR")
    teheran = make_partner(name_en="Teheran", name_fa="", country="IR")
    auth.login("staff", locale="en")
    page = client.get("/duplicates").get_data(as_text=True)
    table = page.split('id="pairs"')[1].split("</table>")[0]
    assert "Tehran" in table and "Teheran" in table and "Similar name" in table
    assert f'href="/duplicates/partners/{tehran.id}/{teheran.id}"' in table
    assert "1 result" in page


def test_the_finder_page_is_paged_with_few_queries(app, auth, client, make_partner):
    app.config["CRM_PAGE_SIZE"] = 3
    for n in range(8):
        make_partner(name_en=f"Twin {n}", name_fa="", country="IR")
        make_partner(name_en=f"Twin {n}", name_fa="", country="IR")
    auth.login("staff", locale="en")
    with count_queries(app) as queries:
        page = client.get("/duplicates?page=3").get_data(as_text=True)
    assert page.split('id="pairs"')[1].count("<tr>") == 1 + 2  # header and the last two
    assert "8 results" in page
    assert len(queries) < 20
    last = client.get("/duplicates?page=99").get_data(as_text=True)
    assert last.split('id="pairs"')[1].count("<tr>") == 3  # a page too far is the last one


def test_the_contacts_tab_in_persian(app, auth, client, make_partner, make_contact):
    one = make_partner(name_en="Baku", name_fa="باکو")
    make_contact(one, name_latin="", name_fa="علی رضایی", email="", phone="")
    make_contact(one, name_latin="", name_fa="علي رضايي", email="", phone="")
    auth.login("staff", locale="fa")
    page = client.get("/duplicates?kind=contacts").get_data(as_text=True)
    assert 'dir="rtl"' in page
    table = page.split('id="pairs"')[1].split("</table>")[0]
    assert "علی رضایی" in table and "علي رضايي" in table


def test_viewers_may_not_open_the_finder(auth, client):
    auth.login("viewer")
    assert client.get("/duplicates").status_code == 403
