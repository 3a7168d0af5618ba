"""Odd and out-of-range numbers never answer 500 (a property-based test with Hypothesis).

Every route's ids, every numeric field of every form and every numeric query argument get
values larger than the database's integer (PostgreSQL's 32-bit ``integer`` is the stricter,
so that is the limit everywhere), negative ones, digits that ``str.isdigit`` accepts but
``int`` refuses (², ①), other scripts' digits and garbage. The answer is a page, a 404 or a
translated validation message, never a server error; on PostgreSQL (``TEST_DATABASE_URL``) the
32-bit overflow really happens. The examples are few and derandomised, so CI is fast and
reproducible; the hand-picked ones always run.
"""

import re
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from wtforms.fields.core import UnboundField

import crm
from crm.security import PUBLIC_ENDPOINTS
from tests.app_forms import app_forms, unbound_fields

DB_INT_MAX = 2**31 - 1
ODD_DIGITS = "²³¹⁰①②⑩۱۲٣٤１２१२๓"
BAD = st.one_of(
    st.integers(min_value=DB_INT_MAX + 1, max_value=10**40).map(str),
    st.integers(min_value=-(10**20), max_value=0).map(str),
    st.text(alphabet=ODD_DIGITS, min_size=1, max_size=12),
    st.text(alphabet=ODD_DIGITS + "0123456789,.-+ e", min_size=1, max_size=25),
    st.text(min_size=1, max_size=30),
)
# Always tried: the limit and one past it, past 64 bits, the characters int() refuses.
HAND_PICKED = ["2147483648", "2147483647", "9223372036854775808", "²", "①", "-1", "۹۹۹۹۹۹۹۹۹۹۹"]
FUZZ = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def hand_picked(test):
    for value in reversed(HAND_PICKED):
        test = example(value=value)(test)
    return test


def never_fails(response, *where) -> None:
    assert response.status_code < 500, (*where, response.status_code)
    response.close()


@pytest.fixture
def admin(app, auth, make_partner, make_agreement, make_activity, make_contact):
    """Signed in as an administrator (every route is open to them), with one record of each
    kind for the routes that take two ids and the forms that edit a record."""
    from crm.agreements.models import Milestone
    from crm.extensions import db

    user = auth.login("admin")
    partner = make_partner()
    agreement = make_agreement(parties=[partner])
    with app.app_context():
        milestone = Milestone(agreement_id=agreement.id, title="Opening")
        db.session.add(milestone)
        db.session.commit()
        milestone_id = milestone.id
    return {
        "user_id": user.id,
        "partner_id": partner.id,
        "contact_id": make_contact(partner).id,
        "agreement_id": agreement.id,
        "milestone_id": milestone_id,
        "activity_id": make_activity(partner).id,
        "document_id": 1,
        # the duplicates' pages: two partners (or contacts) side by side, a merge
        "first_id": partner.id,
        "second_id": partner.id,
        "merge_id": 1,
    }


# --- ids in paths ------------------------------------------------------------------------------
def _id_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.arguments and rule.endpoint not in PUBLIC_ENDPOINTS:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def _path(rule, values: dict) -> str:
    return re.sub(
        r"<(?:[^:<>]+:)?(\w+)>", lambda m: quote(str(values[m.group(1)]), safe=""), rule.rule
    )


def test_every_id_in_a_path_uses_the_one_id_converter(app):
    from crm.web import IdConverter

    for rule in app.url_map.iter_rules():
        if rule.endpoint in {
            "static",
            "vendor.static",
            "calendar.feed_ics",
            "auth.reset_password",
            "imports.template",
        }:
            continue  # a file's name, a feed's or reset link's secret token, a template's kind
        for name, converter in rule._converters.items():
            assert isinstance(converter, IdConverter), (rule.rule, name)


@FUZZ
@given(value=BAD)
@hand_picked
def test_odd_ids_in_paths_never_fail(app, client, admin, value):
    for rule, method in _id_routes(app):
        names = sorted(rule.arguments)
        # Every id odd; then, for routes with two ids, a real first id and an odd second one.
        variants = [{name: value for name in names}]
        if len(names) > 1:
            variants.append({**{n: admin[n] for n in names}, names[-1]: value})
        for values in variants:
            never_fails(client.open(_path(rule, values), method=method), rule.rule, method, value)


# --- numeric form fields and query arguments ---------------------------------------------------
# Where each form with a numeric field is used: (method, URL with real ids).
FORM_PAGES = {
    "PartnerForm": [("POST", "/partners/new"), ("POST", "/partners/{partner_id}/edit")],
    "AgreementForm": [("POST", "/agreements/new"), ("POST", "/agreements/{agreement_id}/edit")],
    "MilestoneForm": [
        ("POST", "/agreements/{agreement_id}/milestones"),
        ("POST", "/agreements/{agreement_id}/milestones/{milestone_id}/edit"),
    ],
    "ActivityForm": [("POST", "/activities/new"), ("POST", "/activities/{activity_id}/edit")],
    "PartnerFilterForm": [
        ("GET", "/partners/"),
        ("GET", "/partners/export.csv"),
        ("GET", "/partners/export.xlsx"),
    ],
    "ContactFilterForm": [
        ("GET", "/contacts/"),
        ("GET", "/contacts/export.csv"),
        ("GET", "/contacts/export.xlsx"),
    ],
    "AgreementFilterForm": [
        ("GET", "/agreements/"),
        ("GET", "/agreements/export.csv"),
        ("GET", "/agreements/export.xlsx"),
    ],
    "ActivityFilterForm": [
        ("GET", "/activities/"),
        ("GET", "/activities/export.csv"),
        ("GET", "/activities/export.xlsx"),
    ],
    "PackForm": [("GET", "/files/pack"), ("POST", "/files/pack")],
    "HandoverForm": [("POST", "/users/{user_id}/handover")],
    "AuditFilterForm": [
        ("GET", "/admin/audit"),
        ("GET", "/admin/audit/export.csv"),
        ("GET", "/admin/audit/export.xlsx"),
    ],
}
# Query arguments the views read themselves; TEXT_ARGS are not numbers.
QUERY_ARGS = {"page", "partner_id", "agreement_id", "date"}  # the calendar's day too
# ("v": a static file's version, crm.assets, compared as text)
TEXT_ARGS = {"q", "sort", "next", "lang", "show", "order", "kind", "view", "mine", "v"}


def _is_numeric(field: UnboundField) -> bool:
    from crm import fields

    numeric = (fields.IdField, fields.IdMultipleField, fields.WholeNumberField)
    return issubclass(field.field_class, numeric) or field.kwargs.get("coerce") in (
        fields.optional_int,
        int,
    )


def _forms() -> dict[str, dict[str, UnboundField]]:
    """Every form class of the app with its numeric fields (found by looking, not listed)."""
    found = {}
    for name, cls in app_forms().items():
        numeric = {n: f for n, f in unbound_fields(cls).items() if _is_numeric(f)}
        if numeric:
            found[name] = numeric
    return found


def test_every_numeric_field_and_query_argument_is_fuzzed():
    forms = _forms()
    assert {"PartnerForm", "AgreementForm", "ActivityFilterForm"} <= set(forms)
    assert set(forms) <= set(FORM_PAGES), "add the form's pages to FORM_PAGES"
    read = set()
    for path in Path(crm.__file__).parent.rglob("*.py"):
        read |= set(re.findall(r"request\.args\.get\(\s*\"(\w+)\"", path.read_text("utf-8")))
    assert read - TEXT_ARGS <= QUERY_ARGS, "add the argument to QUERY_ARGS"


@FUZZ
@given(value=BAD)
@hand_picked
def test_odd_numbers_in_forms_and_query_strings_never_fail(app, client, admin, value):
    forms = _forms()
    for form, pages in FORM_PAGES.items():
        numbers = {
            name: [value, "1"] if "Multiple" in field.field_class.__name__ else value
            for name, field in forms[form].items()
        }
        for method, url in pages:
            url = url.format(**admin)
            if method == "GET":
                response = client.get(url, query_string=numbers)
            else:
                response = client.post(url, data=numbers)
            never_fails(response, form, url, value)
    pages = [
        rule.rule
        for rule, method in ((r, m) for r in app.url_map.iter_rules() for m in r.methods)
        if method == "GET" and not rule.arguments and rule.endpoint not in PUBLIC_ENDPOINTS
    ]
    for url in pages:
        never_fails(client.get(url, query_string=dict.fromkeys(QUERY_ARGS, value)), url, value)


# --- what the user reads -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "locale, message",
    [
        ("en", "Enter a whole number from 0 to 2,000,000,000."),
        ("fa", "عددی صحیح از ۰ تا ۲٬۰۰۰٬۰۰۰٬۰۰۰ وارد کنید."),
    ],
)
def test_odd_numbers_get_a_translated_message_and_odd_ids_a_404(
    auth, client, make_partner, locale, message
):
    from crm.text import to_persian_digits

    auth.login("staff", locale=locale)
    for population in ("2147483648", "²", "①", "-5", "۳٬۰۰۰٬۰۰۰٬۰۰۰"):
        response = client.post("/partners/new", data={"name_en": "Oz", "population": population})
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    for path in ("/partners/2147483648", "/agreements/%C2%B2", "/activities/%E2%91%A0/edit"):
        response = client.get(path)
        assert response.status_code == 404, path
    partner = make_partner()
    assert client.get(f"/partners/{to_persian_digits(str(partner.id))}").status_code == 200


def test_services_treat_an_id_the_database_cannot_hold_as_not_found(ctx, make_user):
    from crm.exceptions import NotFound
    from crm.partners.services import get_partner

    viewer = make_user("viewer")
    for odd in (DB_INT_MAX + 1, 10**30, 0, -3):
        with pytest.raises(NotFound):
            get_partner(odd, viewer)
