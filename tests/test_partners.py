"""The partner list (search, filters, sorting, pagination) and the partner form."""

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from crm.audit import AuditEntry
from crm.extensions import db
from crm.models import CooperationArea, utcnow
from crm.partners.models import Partner


def names_in(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def area_ids(app, *codes) -> list[int]:
    with app.app_context():
        return list(
            db.session.scalars(select(CooperationArea.id).where(CooperationArea.code.in_(codes)))
        )


def stored_partner(app, **where) -> Partner:
    with app.app_context():
        stmt = select(Partner).filter_by(**where)
        partner = db.session.scalars(stmt).one()
        _ = partner.areas
        db.session.expunge(partner)
        return partner


# --- search --------------------------------------------------------------------------------------
def test_search_with_arabic_keyboard_letters_finds_persian_name(auth, client, make_partner):
    auth.login("viewer")
    make_partner(name_en="Kish Free Zone", name_fa="کیش", country="IR")
    make_partner(name_en="Istanbul", name_fa="استانبول")
    page = names_in(client.get("/partners/?q=كيش"))  # Arabic kaf and yeh
    assert "Kish Free Zone" in page
    assert "Istanbul" not in page


def test_search_treats_zwnj_and_space_alike_and_ignores_diacritics(auth, client, make_partner):
    auth.login("viewer")
    make_partner(name_en="Tehran Municipality", name_fa="شهر\u200cداری تهران", country="IR")
    make_partner(name_en="Istanbul", name_fa="استانبول")
    assert "Tehran Municipality" in names_in(client.get("/partners/?q=شهر داری"))
    assert "Tehran Municipality" in names_in(client.get("/partners/?q=شَهر\u200cداری"))
    assert "Istanbul" not in names_in(client.get("/partners/?q=شهر داری"))


def test_search_matches_every_word_and_escapes_like_wildcards(auth, client, make_partner):
    auth.login("viewer")
    make_partner(name_en="Sister City of Kazan", name_fa="", country="RU")
    make_partner(name_en="Kazan Federal University", name_fa="", country="RU")
    page = names_in(client.get("/partners/?q=kazan+sister"))
    assert "Sister City of Kazan" in page and "Federal" not in page
    assert "No partners match" in names_in(client.get("/partners/?q=%25"))


# --- filters and sorting -------------------------------------------------------------------------
def test_filters_by_domain_kind_country_relationship_area_and_owner(
    app, auth, client, make_partner, make_user
):
    auth.login("viewer")
    owner = make_user("staff", display_name="Owner Olga")
    make_partner(
        name_en="Kazan",
        country="RU",
        relationship_type="friendship",
        areas=["tourism"],
        owner_id=owner.id,
    )
    make_partner(
        name_en="Metropolis",
        kind="organization",
        domain="organizations",
        country="ES",
        relationship_type="member",
        areas=["urban_planning"],
    )
    make_partner(
        name_en="Siemens",
        kind="company",
        domain="private_sector",
        country="DE",
        relationship_type="prospect",
    )
    (tourism,) = area_ids(app, "tourism")
    cases = {
        "domain=organizations": "Metropolis",
        "kind=company": "Siemens",
        "country=RU": "Kazan",
        "relationship=member": "Metropolis",
        f"area={tourism}": "Kazan",
        f"owner={owner.id}": "Kazan",
    }
    everyone = {"Kazan", "Metropolis", "Siemens"}
    for query, expected in cases.items():
        page = names_in(client.get(f"/partners/?{query}"))
        shown = {name for name in everyone if f">{name}</a>" in page}
        assert shown == {expected}, query


@pytest.mark.parametrize(
    "query",
    [
        "domain=nowhere",
        "kind=planet",
        "country=XX",
        "relationship=enemy",
        "area=abc",
        "area=99999",
        "owner=x",
        "owner=99999",
        "sort=password",
        "sort=-",
        "archived=maybe",
    ],
)
def test_bad_filter_values_are_reported_and_ignored(auth, client, make_partner, query):
    auth.login("viewer")
    make_partner(name_en="Kazan", country="RU")
    page = names_in(client.get(f"/partners/?{query}"))
    assert ">Kazan</a>" in page
    if not query.startswith(("sort", "archived")):
        assert "Choose from the list." in page
        assert "were ignored" in page


def test_sorting_by_name_country_and_relationship(auth, client, make_partner):
    auth.login("viewer")
    make_partner(name_en="Berlin", country="DE", relationship_type="sister_city")
    make_partner(name_en="Almaty", country="KZ", relationship_type="prospect")
    make_partner(name_en="Cairo", country="EG", relationship_type="friendship")

    def order(sort: str) -> list[str]:
        page = names_in(client.get(f"/partners/?sort={sort}"))
        return sorted(["Almaty", "Berlin", "Cairo"], key=lambda name: page.index(f">{name}</a>"))

    assert order("name") == ["Almaty", "Berlin", "Cairo"]
    assert order("-name") == ["Cairo", "Berlin", "Almaty"]
    assert order("country") == ["Cairo", "Berlin", "Almaty"]  # Egypt, Germany, Kazakhstan
    assert order("relationship") == ["Almaty", "Cairo", "Berlin"]  # prospect, friendship, sister


def test_persian_users_see_persian_names_first_and_sorted(auth, client, make_partner):
    auth.login("viewer", locale="fa")
    make_partner(name_en="Berlin", name_fa="برلین", country="DE")
    make_partner(name_en="Almaty", name_fa="آلماتی", country="KZ")
    page = names_in(client.get("/partners/?sort=name"))
    assert 'dir="rtl"' in page
    assert page.index(">آلماتی</a>") < page.index(">برلین</a>")


@pytest.mark.parametrize(
    "page_arg", ["abc", "-3", "0", "99999", "2", "۲", "1e9", "99999999999999999999999"]
)
def test_pagination_never_fails_on_bad_page_numbers(auth, client, make_partner, page_arg):
    auth.login("viewer")
    for n in range(12):  # the test page size is 10
        make_partner(name_en=f"Partner {n:02d}", name_fa="")
    page = names_in(client.get(f"/partners/?page={page_arg}"))
    assert page.count('class="fw-semibold"') in (10, 2)
    assert "12 results" in page


def test_archived_partner_hidden_by_default_but_found_with_filter(auth, client, make_partner):
    auth.login("viewer")
    make_partner(name_en="Kazan")
    make_partner(name_en="Old Friend", archived_at=utcnow())
    assert "Old Friend" not in names_in(client.get("/partners/"))
    page = names_in(client.get("/partners/?archived=y"))
    assert "Old Friend" in page and "Kazan" in page and "Archived" in page


# --- create and edit -----------------------------------------------------------------------------
def valid_form(**changes) -> dict:
    data = {
        "name_en": "Kish Island",
        "name_fa": "جزیره کیش",
        "name_local": "",
        "kind": "city",
        "domain": "cities",
        "country": "IR",
        "region": "Hormozgan",
        "population": "40,000",
        "timezone": "Asia/Tehran",
        "website": "kish.ir",
        "relationship_type": "cooperation",
        "relationship_since": "2023-04-04",
        "owner_id": "",
        "summary": "A free zone.",
        "talking_points": "Tourism.",
    }
    data.update(changes)
    return data


def test_staff_creates_partner_with_all_fields(app, auth, client):
    staff = auth.login("staff")
    areas = area_ids(app, "tourism", "economy")
    response = client.post(
        "/partners/new",
        data={**valid_form(owner_id=str(staff.id)), "areas": [str(i) for i in areas]},
    )
    assert response.status_code == 302
    partner = stored_partner(app, name_en="Kish Island")
    assert response.headers["Location"].endswith(f"/partners/{partner.id}")
    assert partner.population == 40000
    assert partner.website == "https://kish.ir"
    assert partner.relationship_since == date(2023, 4, 4)
    assert partner.owner_id == staff.id
    assert sorted(a.id for a in partner.areas) == sorted(areas)
    page = names_in(client.get(response.headers["Location"]))
    assert "The partner Kish Island was created." in page
    assert "40,000" in page and "Tourism" in page and "Iran" in page


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"name_en": "", "name_fa": ""}, "name_en", "Enter the name in English or in Persian"),
        ({"kind": "planet"}, "kind", "Choose from the list."),
        ({"country": "XX"}, "country", "Choose from the list."),
        ({"population": "-5"}, "population", "Enter a whole number"),
        ({"population": "many"}, "population", "Enter a whole number"),
        ({"timezone": "Mars/Olympus"}, "timezone", "Choose from the list."),
        ({"website": "ftp://kish.ir"}, "website", "Enter a web address"),
        ({"website": "not a site"}, "website", "Enter a web address"),
        ({"relationship_since": "2999-01-01"}, "relationship_since", "This date is in the future."),
        ({"relationship_since": "2023-02-30"}, "relationship_since", "does not exist"),
        ({"owner_id": "99999"}, "owner_id", "Choose from the list."),
        ({"areas": ["99999"]}, "areas", "Choose from the list."),
    ],
)
def test_create_partner_refuses_bad_input_in_english(app, auth, client, changes, field, message):
    auth.login("staff")
    response = client.post("/partners/new", data=valid_form(region="Typed region", **changes))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in page and message in page
    assert 'value="Typed region"' in page  # what the user typed is kept
    with app.app_context():
        assert db.session.scalar(select(Partner.id)) is None


def test_create_partner_with_errors_in_persian_keeps_typed_data(app, auth, client):
    auth.login("staff", locale="fa")
    response = client.post(
        "/partners/new",
        data=valid_form(
            name_en="",
            name_fa="",
            region="شمیرانات",
            relationship_since="۱۴۰۲/۱۲/۳۰",
            population="۱۲۳",
        ),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'lang="fa" dir="rtl"' in page
    assert 'id="name_en-error"' in page and 'id="relationship_since-error"' in page
    assert "چنین تاریخی در تقویم وجود ندارد." in page  # 1402 has no Esfand 30
    assert "Enter the name" not in page  # the messages are in Persian
    assert 'value="شمیرانات"' in page and 'value="۱۴۰۲/۱۲/۳۰"' in page
    assert 'value="۱۲۳"' in page


def test_jalali_date_is_stored_gregorian_and_shown_back_in_jalali(app, auth, client):
    auth.login("staff", locale="fa")
    response = client.post(
        "/partners/new",
        data=valid_form(relationship_since="۱۴۰۲/۰۱/۱۵", population="۲۵۰٬۰۰۰", country="IR"),
    )
    assert response.status_code == 302
    partner = stored_partner(app, name_en="Kish Island")
    assert partner.relationship_since == date(2023, 4, 4)
    assert partner.population == 250000
    page = names_in(client.get(f"/partners/{partner.id}"))
    assert "۱۴۰۲/۰۱/۱۵" in page
    assert re.search("۲۵۰.۰۰۰", page)  # Persian digits, whatever the thousands mark
    edit = names_in(client.get(f"/partners/{partner.id}/edit"))
    assert 'value="1402/01/15"' in edit and "data-jdp" in edit


def test_impossible_jalali_date_is_refused(app, auth, client):
    auth.login("staff", locale="fa")
    response = client.post("/partners/new", data=valid_form(relationship_since="1402/12/30"))
    assert response.status_code == 400
    assert 'id="relationship_since-error"' in response.get_data(as_text=True)


def test_staff_edits_partner_and_audit_records_the_change(app, auth, client, make_partner):
    staff = auth.login("staff")
    partner = make_partner(name_en="Kazan", name_fa="کازان", country="RU", areas=["tourism"])
    form = names_in(client.get(f"/partners/{partner.id}/edit"))
    (tourism,) = area_ids(app, "tourism")
    assert f'name="areas" id="areas-0" value="{tourism}" checked>' in form
    response = client.post(
        f"/partners/{partner.id}/edit",
        data=valid_form(
            name_en="Kazan City",
            name_fa="کازان",
            country="RU",
            timezone="Europe/Moscow",
            website="https://kzn.ru",
        ),
    )
    assert response.status_code == 302
    changed = stored_partner(app, id=partner.id)
    assert (changed.name_en, changed.timezone, changed.areas) == ("Kazan City", "Europe/Moscow", [])
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(
                AuditEntry.object_id == partner.id, AuditEntry.action == "update"
            )
        ).one()
    assert entry.user_id == staff.id and entry.changes["name_en"] == ["Kazan", "Kazan City"]
    page = names_in(client.get(f"/partners/{partner.id}"))
    assert "The changes to Kazan City were saved." in page and "Name in English" in page


def test_unknown_partner_is_404(auth, client):
    auth.login("viewer")
    assert client.get("/partners/424242").status_code == 404
    assert client.get("/partners/424242/edit").status_code in (403, 404)


def test_viewer_cannot_create_edit_archive_or_restore(auth, client, make_partner):
    auth.login("viewer")
    partner = make_partner()
    assert client.get("/partners/new").status_code == 403
    assert client.post("/partners/new", data=valid_form()).status_code == 403
    assert client.get(f"/partners/{partner.id}/edit").status_code == 403
    assert client.post(f"/partners/{partner.id}/edit", data=valid_form()).status_code == 403
    assert client.post(f"/partners/{partner.id}/archive").status_code == 403
    assert client.post(f"/partners/{partner.id}/restore").status_code == 403
    page = names_in(client.get(f"/partners/{partner.id}"))
    assert f"/partners/{partner.id}/edit" not in page and "/archive" not in page


def test_lookup_finds_current_partners_as_you_type(auth, client, make_partner):
    auth.login("viewer")
    kish = make_partner(name_en="Kish Free Zone", name_fa="منطقه آزاد کیش", country="IR")
    make_partner(name_en="Kish Old Office", archived_at=datetime(2025, 1, 1, tzinfo=UTC))
    make_partner(name_en="Moscow")
    found = client.get("/partners/lookup?q=كيش").get_json()  # Arabic kaf and yeh
    assert [item["value"] for item in found] == [kish.id]
    assert found[0]["text"] == "Kish Free Zone" and "Iran" in found[0]["detail"]
    assert client.get("/partners/lookup?q=").get_json() != []  # every current partner
    assert client.get("/partners/lookup?q=%FF%FE").status_code == 200
