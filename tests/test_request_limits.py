"""How much a request may carry: the body as a whole, and each free-text field."""

import io
from dataclasses import fields, replace

import pytest
from werkzeug.datastructures import MultiDict
from wtforms import HiddenField, PasswordField, StringField

from crm.fields import IdField, LocalTimeField, MaxLength, WholeNumberField
from tests.app_forms import app_forms, unbound_fields


class Unread(io.RawIOBase):
    """A request body that counts the times anyone reads it."""

    def __init__(self) -> None:
        self.reads = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        self.reads += 1
        return 0

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0


def post_unread(client, url: str, length: int, content_type: str = "application/octet-stream"):
    """POST a body of ``length`` bytes (as the Content-Length says) that is never there."""
    body = Unread()
    response = client.post(
        url,
        input_stream=body,
        content_type=content_type,
        environ_overrides={"CONTENT_LENGTH": str(length)},
    )
    return response, body


# --- the body ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "content_type",
    [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/octet-stream",  # no form at all: nothing would read it
    ],
)
@pytest.mark.parametrize("locale, title", [("en", "File too large"), ("fa", "پرونده")])
def test_a_body_over_the_limit_gets_the_translated_413_before_it_is_read(
    app, client, make_agreement, content_type, locale, title
):
    app.config["WTF_CSRF_ENABLED"] = True  # the size is checked before the CSRF token
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == (app.config["CRM_MAX_DOCUMENT_MB"] + 1) * 1024 * 1024
    agreement = make_agreement()
    client.get(f"/login?lang={locale}")
    for url in ("/login", "/partners/new", f"/agreements/{agreement.id}/documents"):
        response, body = post_unread(client, url, limit + 1, content_type)
        assert response.status_code == 413, url
        assert title in response.get_data(as_text=True), url
        assert body.reads == 0, url


def test_a_body_at_the_limit_is_not_refused_for_its_size(app, auth, client):
    auth.login("staff")
    response, _body = post_unread(client, "/partners/new", app.config["MAX_CONTENT_LENGTH"])
    assert response.status_code != 413


def test_the_limit_follows_the_largest_document_setting(database_url, tmp_path):
    from crm import create_app
    from crm.config import TestConfig

    small = create_app(
        type(
            "SmallConfig",
            (TestConfig,),
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "CRM_MAX_DOCUMENT_MB": 2,
                "CRM_INSTANCE_PATH": str(tmp_path),
            },
        )
    )
    assert small.config["MAX_CONTENT_LENGTH"] == 3 * 1024 * 1024
    response, body = post_unread(small.test_client(), "/login", 3 * 1024 * 1024 + 1)
    assert response.status_code == 413 and body.reads == 0
    with small.app_context():
        from crm.extensions import db

        db.engine.dispose()


# --- free-text fields ----------------------------------------------------------------------------
NOT_FREE_TEXT = (PasswordField, HiddenField, IdField, WholeNumberField, LocalTimeField)
LONGEST_SENSIBLE = 20_000


def _free_text_fields():
    for form_name, cls in sorted(app_forms().items()):
        for name, field in sorted(unbound_fields(cls).items()):
            if issubclass(field.field_class, StringField) and not issubclass(
                field.field_class, NOT_FREE_TEXT
            ):
                yield form_name, cls, name, field


def _limit(field) -> int:
    limits = [v.max for v in field.kwargs.get("validators") or [] if isinstance(v, MaxLength)]
    assert limits, "a free-text field needs MaxLength(…)"
    return limits[0]


def test_every_free_text_field_has_a_sensible_maximum_length():
    found = list(_free_text_fields())
    names = {(form, name) for form, _cls, name, _field in found}
    assert {("PartnerForm", "summary"), ("ActivityForm", "outcome")} <= names
    assert {("AgreementForm", "signatories"), ("SettingsForm", "display_name")} <= names
    for form, _cls, name, field in found:
        assert 0 < _limit(field) <= LONGEST_SENSIBLE, (form, name)


@pytest.mark.parametrize(
    "locale, message",
    [
        ("en", "Use at most {max:,} characters; this has {length:,}."),
        ("fa", "حداکثر {max} نویسه بنویسید؛ این متن {length} نویسه دارد."),
    ],
)
def test_text_over_the_limit_is_refused_on_the_server_with_a_translated_message(
    app, locale, message
):
    from crm.formatting import Formatter

    digits = Formatter(locale)
    for form_name, cls, name, field in _free_text_fields():
        limit = _limit(field)
        for length, refused in ((limit, False), (limit + 1, True)):
            text = "x" if name != "email" else "a@example.org"
            value = text.rjust(length, "x")
            with app.test_request_context(f"/?lang={locale}", method="POST"):
                form = cls(formdata=MultiDict({name: value}), meta={"csrf": False})
                form[name].validate(form)
                expected = message.format(max=limit, length=length)
                if locale == "fa":
                    expected = message.format(
                        max=digits.number(limit), length=digits.number(length)
                    )
                assert (expected in form[name].errors) == refused, (form_name, name, length)


SERVICES = [
    ("crm.partners.services", "partner_problems", "PartnerData", "crm.partners.models.Partner"),
    ("crm.partners.contacts", "contact_problems", "ContactData", "crm.partners.models.Contact"),
    (
        "crm.agreements.services",
        "agreement_problems",
        "AgreementData",
        "crm.agreements.models.Agreement",
    ),
    (
        "crm.agreements.milestones",
        "milestone_problems",
        "MilestoneData",
        "crm.agreements.models.Milestone",
    ),
    (
        "crm.activities.services",
        "activity_problems",
        "ActivityData",
        "crm.activities.models.Activity",
    ),
]


def _load(path: str):
    import importlib

    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("module, problems, data_class, model", SERVICES)
def test_the_rules_refuse_text_longer_than_its_column_for_imports_and_the_api(
    ctx, make_user, module, problems, data_class, model
):
    from sqlalchemy.orm import InstrumentedAttribute

    from crm.models import max_length
    from crm.permissions import acting_as

    check, data, model = (
        _load(f"{module}.{problems}"),
        _load(f"{module}.{data_class}"),
        _load(model),
    )
    texts = [
        item.name
        for item in fields(data)
        if isinstance(getattr(model, item.name, None), InstrumentedAttribute)
        and isinstance(getattr(data(), item.name), str)
        and max_length(getattr(model, item.name))
    ]
    assert texts, model
    with acting_as(make_user("manager")):
        # Code fields (a kind, a stage) refuse any unknown text already: free text remains.
        texts = [name for name in texts if name not in check(None, replace(data(), **{name: "x"}))]
        assert texts, model
        for name in texts:
            limit = max_length(getattr(model, name))
            too_long = check(None, replace(data(), **{name: "ب" * (limit + 1)}))
            assert str(too_long.get(name, "")).startswith("Use at most"), (model, name)
            just_right = check(None, replace(data(), **{name: "ب" * limit}))
            assert name not in just_right or "at most" not in str(just_right[name]), name


def test_every_free_text_column_has_a_limit(app):
    from sqlalchemy import Text

    from crm.extensions import db

    unlimited = {
        f"{table.name}.{column.name}"
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Text) and not column.info.get("max_length")
    }
    # Written by the app, not typed: the search keys and the audit log.
    assert unlimited <= {
        "partners.search_key",
        "contacts.search_key",
        "agreements.search_key",
        "activities.search_key",
        "audit_acts.summary",
    }, unlimited
