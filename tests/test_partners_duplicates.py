"""Duplicates are caught at entry: a new partner whose normalised name (any of its names) and
country match an existing one brings the form back with a warning and a link to it, and a
"save anyway" choice; editing a partner does not warn about itself."""

import re

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import utcnow
from crm.partners.models import Partner
from crm.partners.services import PartnerData, duplicate_partners


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Partner.id)))


def _form(**names) -> dict:
    return {"kind": "city", "domain": "cities", "relationship_type": "prospect", **names}


# --- the matching --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "names",
    [
        {"name_fa": "شهرداري كازان"},  # typed on an Arabic keyboard (yeh and kaf)
        {"name_fa": "شهرداری\u200c کازان"},  # a stray zero-width non-joiner
        {"name_fa": "شَهرداری کازان"},  # with a diacritic
        {"name_en": "  KAZAN   city hall "},  # case and spaces
        {"name_local": "Kazan City Hall"},  # the English name typed as its own-language name
        {"name_en": "Kazan Kremlin", "name_local": "Казанская ратуша"},  # another of its names
    ],
)
def test_a_partner_matches_by_any_normalised_name_and_country(ctx, make_partner, names):
    kazan = make_partner(
        name_en="Kazan City Hall",
        name_fa="شهرداری کازان",
        name_local="Казанская ратуша",
        country="RU",
    )
    found = duplicate_partners(PartnerData(country="ru", **names))
    assert [p.id for p in found] == [kazan.id]


def test_other_countries_and_partial_names_are_not_duplicates(ctx, make_partner):
    make_partner(name_en="Kazan City Hall", name_fa="شهرداری کازان", country="RU")
    make_partner(name_en="UCLG", name_fa="", country=None, kind="organization")
    assert duplicate_partners(PartnerData(name_en="Kazan City Hall", country="TR")) == []
    assert duplicate_partners(PartnerData(name_en="Kazan", country="RU")) == []
    assert duplicate_partners(PartnerData(name_en="", name_fa="", country="RU")) == []
    assert [p.name_en for p in duplicate_partners(PartnerData(name_en="uclg"))] == ["UCLG"]


def test_archived_partners_count_and_a_partner_is_not_its_own_duplicate(ctx, make_partner):
    old = make_partner(name_en="Yerevan", name_fa="ایروان", country="AM", archived_at=utcnow())
    data = PartnerData(name_en="Yerevan", name_fa="ايروان", country="AM")
    assert [p.id for p in duplicate_partners(data)] == [old.id]
    itself = db.session.get(Partner, old.id)
    assert duplicate_partners(data, itself) == []  # its own names, unchanged


# --- the form, in English and in Persian ---------------------------------------------------------
def test_creating_a_duplicate_warns_links_and_can_save_anyway(app, auth, client, make_partner):
    auth.login("staff", locale="en")
    kazan = make_partner(name_en="Kazan City Hall", name_fa="شهرداری کازان", country="RU")
    form = _form(name_en="kazan city hall", country="RU", region="Tatarstan")
    response = client.post("/partners/new", data=form)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    warning = page.split('id="duplicates"')[1].split("</section>")[0]
    assert "Is this a partner you already have?" in warning
    assert f'href="/partners/{kazan.id}"' in warning and "Kazan City Hall" in warning
    assert 'name="save_anyway"' in warning and "save it anyway" in warning
    assert 'value="Tatarstan"' in page  # what was typed is kept
    assert _count(app) == 1

    response = client.post("/partners/new", data=form | {"save_anyway": "1"})
    assert response.status_code == 302
    assert _count(app) == 2


def test_the_duplicate_warning_in_persian(app, auth, client, make_partner):
    auth.login("staff", locale="fa")
    tehran = make_partner(name_en="", name_fa="شهرداری تهران", country="IR")
    response = client.post("/partners/new", data=_form(name_fa="شهرداري تهران", country="IR"))
    page = response.get_data(as_text=True)
    warning = page.split('id="duplicates"')[1].split("</section>")[0]
    assert "آیا این طرف همکاری را از پیش دارید؟" in warning
    assert re.search(rf'href="/partners/{tehran.id}"[^>]*>شهرداری تهران<', warning)
    assert "ایران" in warning  # the country, named in Persian
    assert _count(app) == 1


def test_the_warning_comes_with_the_forms_other_messages(app, auth, client, make_partner):
    auth.login("staff", locale="en")
    make_partner(name_en="Kazan City Hall", country="RU")
    response = client.post(
        "/partners/new",
        data=_form(name_en="Kazan City Hall", country="RU", relationship_since="2999-01-01"),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="duplicates"' in page and "This date is in the future." in page
    assert _count(app) == 1


def test_editing_a_partner_does_not_warn_about_itself_but_about_another(
    app, auth, client, make_partner
):
    auth.login("staff", locale="en")
    kazan = make_partner(name_en="Kazan City Hall", name_fa="شهرداری کازان", country="RU")
    other = make_partner(name_en="Kazan Federal University", name_fa="", country="RU")
    same = _form(name_en="Kazan City Hall", name_fa="شهرداری کازان", country="RU")
    response = client.post(f"/partners/{kazan.id}/edit", data=same | {"region": "Tatarstan"})
    assert response.status_code == 302
    response = client.post(
        f"/partners/{other.id}/edit", data=_form(name_en="Kazan city hall", country="RU")
    )
    assert response.status_code == 200 and 'id="duplicates"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Partner, other.id).name_en == "Kazan Federal University"


def test_the_form_warns_about_a_transliteration_of_an_existing_name(
    app, auth, client, make_partner
):
    auth.login("staff", locale="en")
    tehran = make_partner(name_en="Tehran", name_fa="", country="IR")
    make_partner(name_en="Tabriz", name_fa="", country="IR")
    response = client.post("/partners/new", data=_form(name_en="Teheran", country="IR"))
    assert response.status_code == 200
    warning = response.get_data(as_text=True).split('id="duplicates"')[1].split("</section>")[0]
    assert f'href="/partners/{tehran.id}"' in warning and "Tabriz" not in warning
    assert _count(app) == 2
