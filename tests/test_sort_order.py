"""Alphabetical order: Persian by the Persian alphabet, English without case or accents, from
stored sort keys, on every name-sorted list, the partner list by country and in the country
pickers; and the statements that
sort by name are served by the sort keys' indexes (no sort step), on SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.formatting import Formatter
from crm.text import sort_key

# Persian names in alphabet order: آ before ا, پ after ب, چ after ج, ژ after ز, گ after ک;
# Arabic ي and ك sort as ی and ک; a ZWNJ sorts as a space (before any letter).
PERSIAN = [
    "آمل",
    "اراک",
    "بابل",
    "پارس‌آباد",
    "جلفا",
    "چالوس",
    "زنجان",
    "ژیان",
    "كرج",  # Arabic kaf
    "کرمان",
    "گرگان",
    "نی‌ریز",  # ZWNJ: as «نی ریز», before «نیشابور»
    "نیشابور",
    "يزد",  # Arabic yeh
]
# English: case and accents do not decide.
ENGLISH = ["Aachen", "Ávila", "Bern", "bonn", "Zagreb", "Zürich"]


def shuffled(names: list[str]) -> list[str]:
    return names[1::2] + names[::2][::-1]


def order_in(page: str, names: list[str]) -> list[str]:
    return sorted(names, key=lambda name: page.index(name))


def get(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def listed(client, url: str) -> str:
    """The first two pages of a list (ten rows a page in the tests), one after the other."""
    return get(client, url) + get(client, f"{url}&page=2")


def test_sort_key_follows_the_persian_alphabet_and_ignores_case_and_accents():
    assert sorted(shuffled(PERSIAN), key=sort_key) == PERSIAN
    assert sorted(shuffled(ENGLISH), key=sort_key) == ENGLISH
    assert sort_key("كرج") == sort_key("کرج") and sort_key("يزد") == sort_key("یزد")
    assert sort_key("نی‌ریز") == sort_key("نی ریز") == sort_key("نی\u200cريز")
    assert sort_key("ZÜRICH") == sort_key("zurich")
    assert sort_key("خانۀ") == sort_key("خانه") and sort_key("مؤسسه") == sort_key("موسسه")
    assert sort_key("x" * 500) == "x" * 120  # cut to the column's length


@pytest.mark.parametrize("locale, names", [("fa", PERSIAN), ("en", ENGLISH)])
def test_partner_list_sorts_names_alphabetically(auth, client, make_partner, locale, names):
    auth.login("viewer", locale=locale)
    for name in shuffled(names):
        make_partner(name_en="" if locale == "fa" else name, name_fa="" if locale == "en" else name)
    assert order_in(listed(client, "/partners/?sort=name"), names) == names
    assert order_in(listed(client, "/partners/?sort=-name"), names) == names[::-1]


def test_persian_reader_sorts_by_the_persian_name_falling_back_to_english(
    auth, client, make_partner
):
    auth.login("viewer", locale="fa")
    make_partner(name_en="Zanjan", name_fa="زنجان")
    make_partner(name_en="Babol", name_fa="بابل")
    make_partner(name_en="Abadan", name_fa="")  # only English: sorts by it, before Persian
    make_partner(name_en="Aachen", name_fa="چالوس")
    page = get(client, "/partners/?sort=name")
    assert order_in(page, ["Abadan", "بابل", "چالوس", "زنجان"]) == [
        "Abadan",
        "بابل",
        "چالوس",
        "زنجان",
    ]
    auth.logout()
    auth.login("viewer", locale="en")
    page = get(client, "/partners/?sort=name")
    assert order_in(page, ["Aachen", "Abadan", "Babol", "Zanjan"]) == [
        "Aachen",
        "Abadan",
        "Babol",
        "Zanjan",
    ]


def test_contact_list_sorts_by_name_and_by_partner_name(auth, client, make_partner, make_contact):
    auth.login("viewer", locale="fa")
    towns = ["قزوین", "تبریز", "شیراز"]
    partners = {name: make_partner(name_en="", name_fa=name) for name in towns}
    for name, partner in zip(shuffled(PERSIAN), towns * 5, strict=False):
        make_contact(partners[partner], name_latin="", name_fa=name, email="")
    assert order_in(listed(client, "/contacts/?sort=name"), PERSIAN) == PERSIAN
    page = get(client, "/contacts/?sort=partner").split("<tbody", 1)[1]
    firsts = [page.index(f">{name}<") for name in ("تبریز", "شیراز", "قزوین")]
    assert firsts == sorted(firsts)


def test_agreement_list_sorts_titles_alphabetically(auth, client, make_agreement, make_partner):
    auth.login("manager", locale="fa")
    partner = make_partner(name_en="Kazan", name_fa="")
    for title in shuffled(PERSIAN):
        make_agreement(parties=[partner], title_en="", title_fa=title)
    assert order_in(listed(client, "/agreements/?sort=title"), PERSIAN) == PERSIAN
    assert order_in(listed(client, "/agreements/?sort=-title"), PERSIAN) == PERSIAN[::-1]


@pytest.mark.parametrize("locale, names", [("fa", PERSIAN), ("en", ENGLISH)])
def test_activity_list_sorts_subjects_alphabetically(
    auth, client, make_activity, make_partner, locale, names
):
    auth.login("viewer", locale=locale)
    partner = make_partner(name_en="Kazan", name_fa="قازان")
    for subject in shuffled(names):
        make_activity(partner, subject=subject)
    assert order_in(listed(client, "/activities/?sort=subject"), names) == names


def test_sort_keys_follow_a_renamed_record(ctx, make_partner):
    from crm.partners.models import Partner

    partner = db.session.get(Partner, make_partner(name_en="Almaty", name_fa="آلماتی").id)
    partner.name_fa = "پکن"
    db.session.flush()
    assert (partner.sort_en, partner.sort_fa) == (sort_key("Almaty"), sort_key("پکن"))


@pytest.mark.parametrize("url", ["/partners/new", "/partners/"])
def test_country_pickers_follow_the_persian_alphabet(auth, client, url):
    auth.login("manager", locale="fa")
    page = get(client, url)
    select = page[page.index('name="country"') :]
    select = select[: select.index("</select>")]
    countries = [
        "ایران",
        "بلژیک",
        "پاراگوئه",
        "پاکستان",
        "تاجیکستان",
        "جامائیکا",
        "چین",
        "زامبیا",
        "ژاپن",
        "سنگال",
        "کانادا",
        "کویت",
        "گابن",
        "گرجستان",
        "لبنان",
        "یمن",
    ]
    assert order_in(select, [f">{name}<" for name in countries]) == [
        f">{name}<" for name in countries
    ]


# Countries in Persian alphabet order (پ after ب, چ after ج, ژ after ز, گ after ک), which
# code-point order would not give, and the same countries in English order; then no country.
COUNTRIES_FA = ["DE", "IR", "BE", "PK", "TJ", "JM", "CN", "ZM", "JP", "SN", "CA", "GA", "LB", None]
COUNTRIES_EN = ["BE", "CA", "CN", "GA", "DE", "IR", "JM", "JP", "LB", "PK", "SN", "TJ", "ZM", None]


@pytest.mark.parametrize("locale, countries", [("fa", COUNTRIES_FA), ("en", COUNTRIES_EN)])
def test_partner_list_sorts_countries_by_their_names_in_the_readers_language(
    auth, client, make_partner, locale, countries
):
    auth.login("viewer", locale=locale)
    names = [f"Town {code or 'nowhere'}" for code in countries]
    for code, name in zip(shuffled(countries), shuffled(names), strict=True):
        make_partner(name_en=name, name_fa="", country=code)
    assert order_in(listed(client, "/partners/?sort=country"), names) == names
    assert order_in(listed(client, "/partners/?sort=-country"), names) == names[::-1]


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_country_keys_sort_as_the_readers_list_of_countries(locale):
    from crm.formatting import NO_COUNTRY_KEY, country_sort_key

    listed = [code for code, _name in Formatter(locale).countries()]
    assert sorted(reversed(listed), key=lambda code: country_sort_key(code, locale)) == listed
    keys = {country_sort_key(code, locale) for code in listed}
    assert len(keys) == len(listed) and max(keys) < NO_COUNTRY_KEY
    assert country_sort_key(None, locale) == country_sort_key("EU", locale) == NO_COUNTRY_KEY


def test_country_keys_follow_a_partner_that_moves(ctx, make_partner):
    from crm.partners.models import Partner

    partner = db.session.get(Partner, make_partner(country="DE").id)
    partner.country = "JP"
    db.session.flush()
    assert (partner.sort_country_en, partner.sort_country_fa) == (
        sort_key("Japan"),
        sort_key("ژاپن"),
    )
    partner.country = None
    db.session.flush()
    assert partner.sort_country_en == partner.sort_country_fa == "\uffff"


# --- the indexes behind the name sorts -----------------------------------------------------------
def _plan(stmt) -> str:
    """The database's plan of ``stmt``; on PostgreSQL with sequential scans discouraged, as
    an empty test table would otherwise be read whole."""
    sql = str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    if db.engine.dialect.name == "sqlite":
        rows = db.session.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}"))
        return "\n".join(row[-1] for row in rows)
    for knob in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):  # small tables
        db.session.execute(sa.text(f"SET LOCAL {knob} = off"))
    plan = "\n".join(row[0] for row in db.session.execute(sa.text(f"EXPLAIN {sql}")))
    db.session.rollback()
    return plan


def _name_sorted_lists(user, fmt: Formatter):
    from crm.activities.lists import ActivityFilters
    from crm.activities.lists import list_query as activity_query
    from crm.agreements.lists import AgreementFilters
    from crm.agreements.lists import list_query as agreement_query
    from crm.partners.contacts import ContactFilters, contact_query
    from crm.partners.services import PartnerFilters, partner_query

    suffix = "sort_" + ("fa" if fmt.locale == "fa" else "en")
    return {
        f"ix_partners_{suffix}": partner_query(PartnerFilters(sort="name"), fmt),
        f"ix_contacts_{suffix}_current": contact_query(ContactFilters(sort="name"), fmt),
        f"ix_agreements_{suffix}_current": agreement_query(
            user, AgreementFilters(sort="title"), fmt
        ),
        "ix_activities_sort_subject_current": activity_query(
            user, ActivityFilters(sort="subject"), fmt
        ),
    }


@pytest.mark.parametrize("locale", ["fa", "en"])
def test_name_sorted_lists_read_their_sort_index(ctx, make_user, locale):
    user = make_user("staff")  # sees all but confidential agreements: a visibility filter too
    for index, stmt in _name_sorted_lists(user, Formatter(locale)).items():
        for page in (stmt.limit(20), stmt.limit(20).offset(40)):
            plan = _plan(page)
            assert index in plan, plan
            assert "TEMP B-TREE" not in plan and "Sort Key" not in plan, plan
