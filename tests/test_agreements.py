"""Agreements: the list, the page, create and edit, confidentiality, archive and restore."""

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.agreements.models import Agreement, StageChange
from crm.audit import AuditEntry
from crm.extensions import db
from tests.conftest import count_queries


def _rows(app, model, *where):
    with app.app_context():
        return list(db.session.scalars(sa.select(model).where(*where)))


def _form(partner_ids, **overrides):
    data = {
        "title_en": "Memorandum on tourism",
        "title_fa": "تفاهم‌نامه گردشگری",
        "type": "memorandum",
        "reference": "",
        "party_ids": [str(p) for p in partner_ids],
        "terms_summary": "Exchange of visitors.",
        "stage": "idea",
        "signed_on": "",
        "effective_on": "",
        "expires_on": "",
        "renewal_notice_days": "90",
        "signatories": "",
        "owner_id": "",
        "confidentiality": "internal",
    }
    data.update(overrides)
    return data


# --- list ---------------------------------------------------------------------------------------
def test_list_shows_agreements_with_parties_and_stage_counts(
    auth, client, make_agreement, make_partner
):
    auth.login("viewer")
    tehran = make_partner(name_en="Kazan", name_fa="کازان")
    make_agreement(title_en="Transport memorandum", parties=[tehran])
    make_agreement(title_en="Culture protocol", stage="negotiation")
    body = client.get("/agreements/").get_data(as_text=True)
    assert "Transport memorandum" in body and "Culture protocol" in body
    assert "Kazan" in body
    assert 'href="/agreements/?stage=negotiation"' in body.replace("&amp;", "&")


@pytest.mark.parametrize(
    "query",
    [
        "?page=abc",
        "?page=-3",
        "?page=999",
        "?stage=bogus",
        "?type=x",
        "?partner_id=abc",
        "?area_id=%D9%A1%D9%A2",
        "?owner_id=99999",
        "?expiring=abc",
        "?expiring=-5",
        "?sort=evil",
        "?sort=-title&show=all",
        "?show=nonsense",
        "?domain=mars",
        "?q=%25%5F",
        "?confidentiality=?",
    ],
)
def test_list_never_fails_on_bad_query_arguments(auth, client, make_agreement, query):
    auth.login("staff")
    make_agreement()
    response = client.get("/agreements/" + query)
    assert response.status_code == 200


def test_invalid_stage_filter_is_reported_and_ignored(auth, client, make_agreement):
    auth.login("staff")
    make_agreement(title_en="Kept visible")
    body = client.get("/agreements/?stage=bogus").get_data(as_text=True)
    assert "Choose from the list." in body
    assert "Kept visible" in body


def test_list_filters_by_stage_search_party_domain_and_area(
    auth, client, make_agreement, make_partner
):
    auth.login("staff")
    firm = make_partner(name_en="Siemens Mobility", kind="company", domain="private_sector")
    make_agreement(title_en="Tram contract", parties=[firm], stage="negotiation", type="contract")
    city = make_partner(name_en="Kazan", name_fa="کازان")
    friendship = make_agreement(title_en="Friendship with Kazan", parties=[city], stage="idea")
    with client.application.app_context():
        from crm.models import CooperationArea

        area = db.session.scalar(
            sa.select(CooperationArea).where(CooperationArea.code == "culture")
        )
        db.session.get(Agreement, friendship.id).areas = [area]
        db.session.commit()
        area_id = area.id

    def titles(query):
        body = client.get("/agreements/" + query).get_data(as_text=True)
        return {t for t in ("Tram contract", "Friendship with Kazan") if t in body}

    assert titles("?stage=negotiation") == {"Tram contract"}
    assert titles("?q=tram") == {"Tram contract"}
    assert titles(f"?partner_id={city.id}") == {"Friendship with Kazan"}
    assert titles("?party=kaz") == {"Friendship with Kazan"}
    assert titles("?party=%D9%83%D8%A7%D8%B2%D8%A7%D9%86") == {"Friendship with Kazan"}  # كازان
    assert titles("?domain=private_sector") == {"Tram contract"}
    assert titles("?type=contract") == {"Tram contract"}
    assert titles(f"?area_id={area_id}") == {"Friendship with Kazan"}
    assert titles("?q=tram&stage=idea") == set()


def test_search_ignores_arabic_yeh_and_kaf(auth, client, make_agreement):
    auth.login("staff")
    make_agreement(title_fa="تفاهم‌نامه همکاری فرهنگی", title_en="")
    body = client.get("/agreements/?q=همكاري").get_data(as_text=True)  # Arabic kaf and yeh
    assert "تفاهم‌نامه همکاری فرهنگی" in body


def test_expiring_filter_keeps_only_agreements_ending_soon(auth, client, make_agreement):
    auth.login("staff")
    today = date.today()
    make_agreement(title_en="Ends soon", stage="active", expires_on=today + timedelta(days=20))
    make_agreement(title_en="Ends later", stage="active", expires_on=today + timedelta(days=200))
    body = client.get("/agreements/?expiring=٣٠").get_data(as_text=True)
    assert "Ends soon" in body and "Ends later" not in body


def test_archived_agreements_hidden_unless_asked(auth, client, make_agreement):
    auth.login("staff")
    from crm.models import utcnow

    make_agreement(title_en="Old protocol", archived_at=utcnow())
    assert "Old protocol" not in client.get("/agreements/").get_data(as_text=True)
    assert "Old protocol" in client.get("/agreements/?show=archived").get_data(as_text=True)


def test_list_sorts_by_expiry_and_paginates(auth, client, make_agreement, make_partner):
    auth.login("staff")
    partner = make_partner()
    for n in range(12):
        make_agreement(
            parties=[partner],
            title_en=f"Agreement {n:02d}",
            expires_on=date(2030, 1, 1) + timedelta(days=n),
        )
    first = client.get("/agreements/?sort=expires_on").get_data(as_text=True)
    assert first.index("Agreement 00") < first.index("Agreement 01")
    assert "Agreement 11" not in first  # page size 10 in tests
    second = client.get("/agreements/?sort=expires_on&page=2").get_data(as_text=True)
    assert "Agreement 11" in second
    reverse = client.get("/agreements/?sort=-expires_on").get_data(as_text=True)
    assert "Agreement 11" in reverse and "Agreement 00" not in reverse


def test_list_query_count_does_not_grow_with_data(
    app, auth, client, make_agreement, make_partner, make_user
):
    auth.login("manager")
    owner = make_user("staff")

    def add(n):
        for i in range(n):
            partners = [make_partner(name_en=f"City {i}a"), make_partner(name_en=f"City {i}b")]
            make_agreement(
                parties=partners, owner_id=owner.id, stage="active", expires_on=date(2031, 1, 1)
            )

    add(3)
    client.get("/agreements/")  # the first request fills the shared filter options
    with count_queries(app) as few:
        assert client.get("/agreements/").status_code == 200
    add(27)
    with count_queries(app) as many:
        assert client.get("/agreements/?page=2").status_code == 200
    assert len(few) == len(many), (few, many)


# --- confidentiality ----------------------------------------------------------------------------
def test_confidential_agreement_hidden_from_staff_but_shown_to_manager(
    auth, client, make_agreement
):
    secret = make_agreement(title_en="Secret memorandum", confidentiality="confidential")
    auth.login("staff")
    assert client.get(f"/agreements/{secret.id}").status_code == 404
    assert client.get(f"/agreements/{secret.id}/edit").status_code == 404
    assert "Secret memorandum" not in client.get("/agreements/").get_data(as_text=True)
    auth.logout()
    auth.login("manager")
    assert client.get(f"/agreements/{secret.id}").status_code == 200
    assert "Secret memorandum" in client.get("/agreements/").get_data(as_text=True)


def test_staff_cannot_mark_an_agreement_confidential(app, auth, client, make_partner):
    auth.login("staff")
    partner = make_partner()
    response = client.post(
        "/agreements/new", data=_form([partner.id], confidentiality="confidential")
    )
    assert response.status_code == 400
    assert "Only a manager can mark an agreement as confidential." in response.get_data(
        as_text=True
    )
    assert _rows(app, Agreement) == []


def test_manager_can_create_a_confidential_agreement(app, auth, client, make_partner):
    auth.login("manager")
    partner = make_partner()
    response = client.post(
        "/agreements/new", data=_form([partner.id], confidentiality="confidential")
    )
    assert response.status_code == 302
    assert _rows(app, Agreement)[0].confidentiality == "confidential"


# --- create and edit ----------------------------------------------------------------------------
def test_staff_creates_agreement_with_first_history_row(app, auth, client, make_partner):
    user = auth.login("staff")
    partner = make_partner()
    response = client.post(
        "/agreements/new",
        data=_form([partner.id], reference="TEH-2025-01", stage="exploring", area_ids=["1", "2"]),
    )
    assert response.status_code == 302
    agreement = _rows(app, Agreement)[0]
    assert agreement.stage == "exploring" and agreement.reference == "TEH-2025-01"
    history = _rows(app, StageChange)
    assert [(h.from_stage, h.to_stage, h.changed_by_id) for h in history] == [
        (None, "exploring", user.id)
    ]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Memorandum on tourism" in page and "TEH-2025-01" in page


def test_new_agreement_form_preselects_the_partner_from_the_query(auth, client, make_partner):
    auth.login("staff")
    partner = make_partner(name_en="Kazan")
    body = client.get(f"/agreements/new?partner_id={partner.id}").get_data(as_text=True)
    assert f'<option selected value="{partner.id}">Kazan</option>' in body


def test_create_refuses_missing_party_and_keeps_typed_data(app, auth, client):
    auth.login("staff")
    response = client.post("/agreements/new", data=_form([], title_en="Typed title kept"))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose at least one party." in body
    assert 'value="Typed title kept"' in body
    assert _rows(app, Agreement) == []


def test_parties_must_exist_and_be_current(app, auth, client, make_partner):
    """The parties picker renders only the chosen partners, so the server checks each id."""
    auth.login("staff")
    old = make_partner(name_en="Old Office", archived_at=datetime(2025, 1, 1, tzinfo=UTC))
    for ids in ([987654], [old.id]):
        response = client.post("/agreements/new", data=_form(ids))
        assert response.status_code == 400
        assert "Choose from the list." in response.get_data(as_text=True)
    assert _rows(app, Agreement) == []


def test_party_picker_renders_only_the_chosen_partners(auth, client, make_partner):
    auth.login("staff")
    chosen = make_partner(name_en="Kazan")
    make_partner(name_en="Moscow")
    body = client.get(f"/agreements/new?partner_id={chosen.id}").get_data(as_text=True)
    assert 'data-lookup="/partners/lookup"' in body
    assert "Kazan" in body and "Moscow" not in body


def test_create_refuses_missing_title_and_unknown_type(auth, client, make_partner):
    auth.login("staff")
    partner = make_partner()
    body = client.post(
        "/agreements/new", data=_form([partner.id], title_en="", title_fa="", type="treaty")
    ).get_data(as_text=True)
    assert "Enter a title in English or in Persian." in body
    assert "Choose from the list." in body


def test_create_refuses_expiry_before_effective_date(auth, client, make_partner):
    auth.login("staff")
    partner = make_partner()
    response = client.post(
        "/agreements/new",
        data=_form(
            [partner.id], signed_on="2025-03-01", effective_on="2025-02-01", expires_on="2025-01-01"
        ),
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The agreement cannot take effect before it is signed." in body
    assert "The expiry date must be after the date the agreement takes effect." in body
    assert 'value="2025-02-01"' in body


def test_create_refuses_duplicate_reference_case_insensitively(
    app, auth, client, make_agreement, make_partner
):
    auth.login("staff")
    make_agreement(reference="MOU-7")
    partner = make_partner()
    response = client.post("/agreements/new", data=_form([partner.id], reference="mou-7"))
    assert response.status_code == 400
    assert "Another agreement already uses this reference number." in response.get_data(
        as_text=True
    )
    assert len(_rows(app, Agreement)) == 1


def test_renewal_notice_days_accepts_persian_digits_and_checks_range(
    app, auth, client, make_partner
):
    auth.login("staff")
    partner = make_partner()
    bad = client.post("/agreements/new", data=_form([partner.id], renewal_notice_days="900"))
    assert "Enter a whole number from 0 to 730." in bad.get_data(as_text=True)
    good = client.post("/agreements/new", data=_form([partner.id], renewal_notice_days="۶۰"))
    assert good.status_code == 302
    assert _rows(app, Agreement)[0].renewal_notice_days == 60


def test_jalali_dates_in_persian_are_stored_as_gregorian(app, auth, client, make_partner):
    auth.login("staff", locale="fa")
    partner = make_partner()
    response = client.post(
        "/agreements/new",
        data=_form(
            [partner.id], signed_on="۱۴۰۴/۰۱/۰۱", effective_on="1404/01/15", expires_on="۱۴۰۹/۰۱/۰۱"
        ),
    )
    assert response.status_code == 302
    agreement = _rows(app, Agreement)[0]
    assert agreement.signed_on == date(2025, 3, 21)
    assert agreement.effective_on == date(2025, 4, 4)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "۱۴۰۴/۰۱/۰۱" in page


def test_impossible_jalali_date_is_refused_with_a_message(auth, client, make_partner):
    auth.login("staff", locale="fa")
    partner = make_partner()
    response = client.post("/agreements/new", data=_form([partner.id], signed_on="۱۴۰۴/۱۳/۴۰"))
    assert response.status_code == 400
    assert "۱۴۰۴/۱۳/۴۰" in response.get_data(as_text=True)


def test_edit_changes_fields_and_writes_audit(app, auth, client, make_agreement):
    auth.login("staff")
    agreement = make_agreement()
    with app.app_context():
        party_ids = [p.id for p in db.session.get(Agreement, agreement.id).parties]
    form = _form(party_ids, title_en="Renamed")
    response = client.post(f"/agreements/{agreement.id}/edit", data=form)
    assert response.status_code == 302
    entries = _rows(
        app, AuditEntry, AuditEntry.object_id == agreement.id, AuditEntry.action == "update"
    )
    assert entries and entries[0].changes["title_en"][1] == "Renamed"
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Renamed" in page and "Change history" in page


def test_viewer_cannot_create_edit_or_archive(auth, client, make_agreement):
    auth.login("viewer")
    agreement = make_agreement()
    assert client.get("/agreements/new").status_code == 403
    assert client.post(f"/agreements/{agreement.id}/edit").status_code == 403
    assert client.post(f"/agreements/{agreement.id}/archive").status_code == 403
    assert client.get(f"/agreements/{agreement.id}").status_code == 200


def test_archive_and_restore_write_audit_entries(app, auth, client, make_agreement):
    auth.login("staff")
    agreement = make_agreement()
    assert client.post(f"/agreements/{agreement.id}/archive").status_code == 302
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Archived" in page and "Restore" in page
    edit = client.get(f"/agreements/{agreement.id}/edit")
    assert edit.status_code == 302
    assert client.post(f"/agreements/{agreement.id}/restore").status_code == 302
    actions = [
        e.action
        for e in _rows(
            app,
            AuditEntry,
            AuditEntry.object_type == "agreements",
            AuditEntry.object_id == agreement.id,
        )
    ]
    assert "archive" in actions and "restore" in actions


def test_unknown_agreement_is_404(auth, client):
    auth.login("viewer")
    assert client.get("/agreements/424242").status_code == 404


def test_detail_page_in_persian_shows_jalali_dates_and_expiry(auth, client, make_agreement):
    auth.login("viewer", locale="fa")
    agreement = make_agreement(
        stage="active",
        signed_on=date(2025, 3, 21),
        expires_on=date.today() + timedelta(days=10),
        renewal_notice_days=30,
    )
    body = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert 'dir="rtl"' in body
    assert "۱۴۰۴/۰۱/۰۱" in body
    assert "۱۰" in body  # expires in ten days, in Persian digits
