"""The agreement dossier: what it holds for its reader (``crm.dossiers.dossier_data``)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from crm.activities.models import Activity
from crm.agreements.models import Agreement, Document, Milestone, StageChange
from crm.auth.models import User
from crm.dossiers.dossier import dossier_pdf
from crm.dossiers.dossier_data import gather
from crm.exceptions import NotFound
from crm.extensions import db
from crm.formatting import Formatter
from tests.conftest import count_queries
from tests.pdf_reading import page_count, page_lines, pdf_text, render_not_blank

SIGNED, EXPIRES = date(2025, 3, 21), date(2028, 3, 19)  # 1404/01/01 and 1406/12/29
PREPARED = datetime(2026, 1, 1, 8, tzinfo=UTC)


@pytest.fixture
def full(app, make_user, make_partner, make_contact, make_agreement, make_activity):
    """An agreement with every section filled in, and the records around it."""
    owner = make_user("manager", display_name="Leila Ahmadi")
    istanbul = make_partner(
        population=15_655_924,
        timezone="Europe/Istanbul",
        relationship_since=date(2010, 5, 1),
        domain="cities",
    )
    kazan = make_partner(
        name_en="Kazan", name_fa="کازان", country="RU", relationship_type="friendship"
    )
    agreement = make_agreement(
        parties=[istanbul, kazan],
        areas=["transport", "tourism"],
        reference="ISF-2025/07",
        stage="active",
        signed_on=SIGNED,
        effective_on=SIGNED,
        expires_on=EXPIRES,
        renewal_notice_days=90,
        auto_renew=True,
        terms_summary="Both cities share transport data.",
        signatories="Mayor of Isfahan\nMayor of Istanbul\n",
        owner_id=owner.id,
        confidentiality="public",
    )
    make_contact(
        istanbul, name_latin="Zeki Primary", name_fa="", is_primary=True, phone="+902124550000"
    )
    make_contact(istanbul, name_latin="Ayla Second", name_fa="", department="Transport")
    make_contact(istanbul, name_latin="Old Archived", name_fa="", archived_at=datetime.now(UTC))
    make_contact(kazan, name_latin="Rustam Kazan", name_fa="")
    make_contact(make_partner(name_en="Elsewhere"), name_latin="Not A Party", name_fa="")
    for n, day in enumerate((date(2025, 4, 1), date(2025, 6, 1), date(2025, 5, 1))):
        make_activity(istanbul, subject=f"Meeting {n}", agreement_id=agreement.id, due_on=day)
    make_activity(
        istanbul, subject="Archived talk", agreement_id=agreement.id, archived_at=datetime.now(UTC)
    )
    make_activity(istanbul, subject="About nothing")  # the partner's, not the agreement's
    with app.app_context():
        db.session.add_all(
            [
                StageChange(
                    agreement_id=agreement.id,
                    to_stage="drafting",
                    changed_at=datetime(2024, 12, 1, 9, tzinfo=UTC),
                    changed_by_id=owner.id,
                ),
                StageChange(
                    agreement_id=agreement.id,
                    from_stage="drafting",
                    to_stage="active",
                    changed_at=datetime(2025, 3, 21, 9, tzinfo=UTC),
                    changed_by_id=owner.id,
                    note="Signed in Isfahan",
                ),
                Milestone(
                    agreement_id=agreement.id,
                    title="First exchange",
                    due_on=date(2025, 9, 1),
                    responsible_id=owner.id,
                    status="open",
                ),
                Milestone(agreement_id=agreement.id, title="Joint report", status="done"),
                Document(
                    agreement_id=agreement.id,
                    filename="signed-copy.pdf",
                    stored_name="a" * 32,
                    content_type="application/pdf",
                    size=2048,
                    sha256="0123456789abcdef" * 4,
                ),
                Document(
                    agreement_id=agreement.id,
                    filename="old-draft.pdf",
                    stored_name="b" * 32,
                    content_type="application/pdf",
                    size=10,
                    sha256="f" * 64,
                    archived_at=datetime.now(UTC),
                ),
            ]
        )
        db.session.commit()
    return agreement


def _reader(make_user, role: str) -> User:
    return db.session.get(User, make_user(role).id)


def test_the_dossier_holds_every_section_for_an_english_reader(ctx, full, make_user):
    dossier = gather(full.id, _reader(make_user, "viewer"), Formatter("en"), date(2026, 1, 1))
    assert (dossier.title, dossier.other_title) == (
        "Memorandum on urban transport",
        "تفاهم‌نامه حمل‌ونقل شهری",
    )
    assert (dossier.type, dossier.reference, dossier.stage) == (
        "Memorandum of understanding",
        "ISF-2025/07",
        "Active",
    )
    assert (dossier.confidentiality, dossier.confidential, dossier.owner) == (
        "Public",
        False,
        "Leila Ahmadi",
    )
    istanbul, kazan = dossier.parties
    assert (istanbul.name, istanbul.kind, istanbul.country, istanbul.domain) == (
        "Istanbul",
        "City",
        "Türkiye",
        "Cities",
    )
    assert (istanbul.relationship, istanbul.since, istanbul.population) == (
        "Sister city",
        "May 1, 2010",
        "15,655,924",
    )
    assert istanbul.timezone.startswith("Istanbul (UTC+03:00")
    assert (kazan.name, kazan.country, kazan.relationship) == ("Kazan", "Russia", "Friendship")
    assert [(d.label, d.jalali, d.gregorian) for d in dossier.key_dates] == [
        ("Signed on", "1 Farvardin 1404", "Mar 21, 2025"),
        ("Effective from", "1 Farvardin 1404", "Mar 21, 2025"),
        ("Expires on", "29 Esfand 1406", "Mar 19, 2028"),
        ("Renewal notice deadline", "29 Azar 1406", "Dec 20, 2027"),
    ]
    assert (dossier.renewal_notice, dossier.auto_renew) == ("90 days before expiry", "Yes")
    assert dossier.areas == ("Tourism", "Transport")
    assert dossier.terms == "Both cities share transport data."
    assert dossier.signatories == ("Mayor of Isfahan", "Mayor of Istanbul")
    first, report = dossier.milestones
    assert (first.title, first.due, first.status, first.responsible, first.overdue) == (
        "First exchange",
        "Sep 1, 2025",
        "Open",
        "Leila Ahmadi",
        True,
    )
    assert (report.title, report.due, report.status, report.overdue) == (
        "Joint report",
        "",
        "Done",
        False,
    )
    assert [(s.from_stage, s.to_stage, s.who, s.note) for s in dossier.history] == [
        ("", "Drafting", "Leila Ahmadi", ""),
        ("Drafting", "Active", "Leila Ahmadi", "Signed in Isfahan"),
    ]
    assert dossier.history[1].when.startswith("Mar 21, 2025")
    # the agreement's current activities only, the newest first
    assert [a.subject for a in dossier.activities] == ["Meeting 1", "Meeting 2", "Meeting 0"]
    assert (dossier.activities[0].when, dossier.activities[0].kind) == ("Jun 1, 2025", "Meeting")
    assert dossier.activities[0].partner == "Istanbul"
    # the parties' current contacts, party by party, the primary one first
    assert [(c.name, c.partner) for c in dossier.contacts] == [
        ("Zeki Primary", "Istanbul"),
        ("Ayla Second", "Istanbul"),
        ("Rustam Kazan", "Kazan"),
    ]
    assert dossier.contacts[1].title == "Director, Transport"
    assert dossier.contacts[0].primary and not dossier.contacts[1].primary
    assert [(d.name, d.size, d.checksum) for d in dossier.documents] == [
        ("signed-copy.pdf", "2 KB", "0123456789ab")
    ]


def test_a_persian_reader_gets_persian_names_and_both_calendars_in_persian_digits(
    ctx, full, make_user
):
    dossier = gather(full.id, _reader(make_user, "viewer"), Formatter("fa"), date(2026, 1, 1))
    assert (dossier.title, dossier.other_title) == (
        "تفاهم‌نامه حمل‌ونقل شهری",
        "Memorandum on urban transport",
    )
    assert dossier.parties[0].name == "استانبول"
    assert dossier.parties[0].population == "۱۵٬۶۵۵٬۹۲۴"
    signed = dossier.key_dates[0]
    assert (signed.jalali, signed.gregorian) == ("۱۴۰۴/۰۱/۰۱", "۲۱ مارس ۲۰۲۵")
    assert dossier.stage == "فعال"
    assert dossier.auto_renew == "بله"
    assert dossier.documents[0].checksum == "0123456789ab"  # a checksum keeps its digits


@pytest.mark.parametrize("role", ["viewer", "staff"])
def test_a_confidential_agreement_is_not_found_below_manager(ctx, make_agreement, make_user, role):
    secret = make_agreement(confidentiality="confidential", title_en="Secret accord")
    with pytest.raises(NotFound):
        gather(secret.id, _reader(make_user, role), Formatter("en"))
    dossier = gather(secret.id, _reader(make_user, "manager"), Formatter("en"))
    assert dossier.confidential and dossier.confidentiality == "Confidential"


def test_an_unknown_agreement_is_not_found(ctx, make_user):
    with pytest.raises(NotFound):
        gather(999_999, _reader(make_user, "admin"), Formatter("en"))


def test_an_agreement_with_nothing_optional_gives_empty_sections(ctx, make_user):
    with ctx.app_context():
        bare = Agreement(type="protocol", title_en="", title_fa="پروتکل", stage="idea")
        db.session.add(bare)
        db.session.commit()
    dossier = gather(bare.id, _reader(make_user, "viewer"), Formatter("en"))
    assert (dossier.title, dossier.other_title, dossier.reference, dossier.owner) == (
        "پروتکل",
        "",
        "",
        "",
    )
    assert dossier.auto_renew == "No"
    empty = ("parties", "key_dates", "areas", "signatories", "milestones", "history")
    for section in (*empty, "activities", "contacts", "documents"):
        assert getattr(dossier, section) == (), section
    assert dossier.terms == ""


def test_the_queries_do_not_grow_with_the_activities_and_contacts(
    app, ctx, full, make_user, make_partner, make_contact, make_activity
):
    reader = _reader(make_user, "viewer")
    with count_queries(app) as before:
        small = gather(full.id, reader, Formatter("en"))
    istanbul = db.session.get(Agreement, full.id).parties[0]
    for n in range(30):
        make_activity(istanbul, subject=f"Extra {n}", agreement_id=full.id, owner_id=reader.id)
        make_contact(istanbul, name_latin=f"Extra {n}", name_fa="")
    db.session.expire_all()
    assert reader.role == "viewer"  # loaded again before counting, as a request's user is
    with count_queries(app) as after:
        large = gather(full.id, reader, Formatter("en"))
    assert len(large.activities) == len(small.activities) + 30
    assert len(large.contacts) == len(small.contacts) + 30
    assert len(after) == len(before) <= 10


def test_both_calendars_in_each_language():
    day = date(2026, 11, 26)
    assert Formatter("en").both_calendars(day) == ("5 Azar 1405", "Nov 26, 2026")
    assert Formatter("fa").both_calendars(day) == ("۱۴۰۵/۰۹/۰۵", "۲۶ نوامبر ۲۰۲۶")
    assert Formatter("fa").both_calendars(None) == ("", "")
    assert Formatter("en").both_calendars(day + timedelta(days=1))[0] == "6 Azar 1405"


# --- the PDF -------------------------------------------------------------------------------------
def _pdf(agreement_id: int, reader: User, locale: str) -> bytes:
    return dossier_pdf(agreement_id, reader, Formatter(locale), now=PREPARED)


def _in_order(text: str, *words: str) -> None:
    """Each of ``words`` occurs in ``text``, in this order (lines joined: a label and its
    value may sit on different baselines)."""
    text, at = " ".join(text.split()), 0
    for word in words:
        found = text.find(word, at)
        assert found >= 0, f"{word!r} not found after position {at} in:\n{text}"
        at = found + len(word)


def test_an_english_dossier_reads_in_order(ctx, full, make_user):
    pages = pdf_text(_pdf(full.id, _reader(make_user, "viewer"), "en"))
    _in_order(pages[0], "Memorandum on urban transport", "Memorandum of understanding")
    _in_order(pages[0], "Reference ISF-2025/07", "Parties Istanbul, Kazan", "Stage Active")
    assert not any("Confidential" in page.splitlines() for page in pages)  # no marking
    text = "\n".join(pages[1:])
    _in_order(
        text,
        "Key dates",
        "Signed on 1 Farvardin 1404 Mar 21, 2025",
        "Expires on 29 Esfand 1406 Mar 19, 2028",
        "Renews automatically Yes",
        "Parties",
        "Istanbul",
        "Country Türkiye",
        "Population 15,655,924",
        "Kazan",
        "Cooperation areas",
        "Tourism, Transport",
        "Summary of terms",
        "Both cities share transport data.",
        "Signatories",
        "Mayor of Isfahan",
        "Mayor of Istanbul",
        "Milestones and obligations",
        "First exchange Sep 1, 2025 Leila Ahmadi Open, Overdue",
        "Joint report",
        "Stage history",
        "Drafting",
        "Drafting Active Leila Ahmadi Signed in Isfahan",
        "Activities",
        "3 activities, the newest first",
        "Meeting 1",
        "Meeting 2",
        "Meeting 0",
        "Contacts",
        "Zeki Primary, Primary",
        "+90 212 455 00 00",
        "Ayla Second Director, Transport Istanbul",
        "Rustam Kazan",
        "Documents",
        "signed-copy.pdf 2 KB",
        "0123456789ab",
    )
    for hidden in ("Archived talk", "About nothing", "Old Archived", "Not A Party", "old-draft"):
        assert hidden not in text


def test_a_persian_dossier_reads_right_to_left_with_both_calendars(ctx, full, make_user):
    pdf = _pdf(full.id, _reader(make_user, "viewer"), "fa")
    pages = pdf_text(pdf, rtl=True)
    _in_order(pages[0], "تفاهمنامه حملونقل شهری", "Memorandum on urban transport")
    _in_order(pages[0], "شمارۀ ثبت ISF-2025/07", "طرفهای توافق استانبول، کازان", "مرحله فعال")
    text = "\n".join(pages[1:])
    _in_order(
        text,
        "تاریخهای کلیدی",
        "تاریخ امضا ۱۴۰۴/۰۱/۰۱ ۲۱ مارس ۲۰۲۵",
        "تاریخ پایان اعتبار ۱۴۰۶/۱۲/۲۹ ۱۹ مارس ۲۰۲۸",
        "استانبول",
        "جمعیت ۱۵٬۶۵۵٬۹۲۴",
        "Mayor of Isfahan",
        "باز، معوق",
        "فعالیتها",
        "Meeting 1",
        "Meeting 0",
        "Zeki Primary، اصلی",
        "signed-copy.pdf",
    )
    assert not any("محرمانه" in page.splitlines() for page in pages)
    # a phone number is drawn left to right, as typed, in its right-to-left row (a reader of
    # the drawn text in reading order cannot tell an isolated run of digits: read as drawn)
    drawn = [line for page in page_lines(pdf, rtl=True, visual=True) for line in page]
    assert any("+90 212 455 00 00" in line and "Zeki Primary" in line for line in drawn)


@pytest.mark.parametrize(("locale", "marking"), [("en", "Confidential"), ("fa", "محرمانه")])
def test_a_confidential_dossier_is_marked_on_every_page(
    ctx, make_agreement, make_user, make_activity, locale, marking
):
    secret = make_agreement(confidentiality="confidential")
    _many_activities(secret.id, 80)
    pdf = _pdf(secret.id, _reader(make_user, "manager"), locale)
    pages = pdf_text(pdf, rtl=locale == "fa")
    assert len(pages) >= 3
    assert all(marking in page.splitlines() for page in pages)  # a line of its own


def test_user_text_prints_as_typed(ctx, make_agreement, make_user):
    typed = 'R&D <b>not bold</b> & "quotes" <br/> &amp;'
    agreement = make_agreement(title_en=typed, terms_summary=f"<para>{typed}</para>")
    text = "\n".join(pdf_text(_pdf(agreement.id, _reader(make_user, "viewer"), "en")))
    assert text.count(typed) >= 2  # the cover and the header of each page
    assert f"<para>{typed}</para>" in text


def test_long_and_odd_text_never_breaks_the_dossier(ctx, make_agreement, make_user, make_contact):
    # No NUL: the app refuses it at the door (crm.security) and PostgreSQL cannot store one.
    odd = "\u202eevil\u202c \x07\x1b 🙂 ZWNJ‌here e\u0301 \ufeff \t tab"
    agreement = make_agreement(
        title_en="W" * 300,
        terms_summary=("Kazan–Isfahan " * 1400)[:20000],
        signatories=f"{'x' * 2000}\n{odd}",
        reference="R" * 60,
    )
    make_contact(db.session.get(Agreement, agreement.id).parties[0], title=odd, email="a" * 240)
    for locale in ("en", "fa"):
        pdf = _pdf(agreement.id, _reader(make_user, "viewer"), locale)
        assert page_count(pdf) >= 5 and render_not_blank(pdf, 1)
    text = "".join(pdf_text(pdf, rtl=True))
    assert "W" * 100 in text.replace("\n", "")


def test_an_agreement_with_nothing_optional_filled_in(ctx, make_user):
    bare = Agreement(type="protocol", title_en="Bare protocol", stage="idea")
    db.session.add(bare)
    db.session.commit()
    pdf = _pdf(bare.id, _reader(make_user, "viewer"), "en")
    text = "\n".join(pdf_text(pdf))
    _in_order(
        text,
        "Bare protocol",
        "No key dates are set.",
        "No parties recorded.",
        "No cooperation areas chosen.",
        "No summary of terms yet.",
        "No signatories recorded.",
        "No milestones yet.",
        "No stage changes recorded yet.",
        "No activities recorded for this agreement.",
        "No contacts yet.",
        "No documents yet.",
    )
    assert page_count(pdf) == 2 and render_not_blank(pdf, 1) and render_not_blank(pdf, 2)


def _many_activities(agreement_id: int, count: int) -> None:
    """``count`` activities about the agreement, an hour apart, with long subjects in both
    languages."""
    agreement = db.session.get(Agreement, agreement_id)
    partner = agreement.parties[0]
    start = datetime(2025, 1, 1, 6, tzinfo=UTC)
    subjects = (
        "Follow-up on the bus rapid transit study with the planning department",
        "جلسه پیگیری تبادل تجربه در حمل‌ونقل عمومی با شهرداری (Istanbul)",
    )
    db.session.add_all(
        Activity(
            kind="meeting",
            subject=f"{subjects[n % 2]} #{n}",
            domain="cities",
            partner_id=partner.id,
            agreement_id=agreement_id,
            status="done",
            starts_at=start + timedelta(hours=n),
        )
        for n in range(count)
    )
    db.session.commit()


def test_six_hundred_activities_flow_over_many_pages(ctx, make_agreement, make_user):
    agreement = make_agreement()
    _many_activities(agreement.id, 600)
    reader = _reader(make_user, "viewer")
    for locale in ("en", "fa"):
        pdf = _pdf(agreement.id, reader, locale)
        pages = page_count(pdf)
        assert 20 <= pages <= 60, pages
        assert render_not_blank(pdf, 1) and render_not_blank(pdf, pages)
    text = pdf_text(pdf, rtl=True)
    assert "#599" in text[1] and "#0" in text[-1]  # the newest first
    assert all(text[n].count("#") >= 10 for n in range(2, pages - 1))  # pages full of rows


# --- the download --------------------------------------------------------------------------------
def test_the_agreement_page_links_to_its_dossier(auth, client, make_agreement):
    auth.login("viewer")
    agreement = make_agreement()
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    for code in ("fa", "en"):
        assert f'href="/agreements/{agreement.id}/dossier.pdf?lang={code}"' in page
    assert "Dossier (PDF)" in page


def test_the_dossier_downloads_in_the_language_asked_for(auth, client, make_agreement):
    auth.login("viewer", locale="en")
    agreement = make_agreement(reference="ISF 2025/07")
    response = client.get(f"/agreements/{agreement.id}/dossier.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith(f"attachment; filename=dossier-isf-2025-07-{agreement.id}-")
    assert "Memorandum on urban transport" in pdf_text(response.data)[0]
    persian = client.get(f"/agreements/{agreement.id}/dossier.pdf?lang=fa")
    assert "تفاهمنامه حملونقل شهری" in pdf_text(persian.data, rtl=True)[0]
    jalali_today = Formatter("fa", "Asia/Tehran").file_date()  # 1405-09-08: the reader's calendar
    disposition = persian.headers["Content-Disposition"]
    assert (
        disposition == f"attachment; filename=dossier-isf-2025-07-{agreement.id}-{jalali_today}.pdf"
    )
    unknown = client.get(f"/agreements/{agreement.id}/dossier.pdf?lang=xx")
    assert "Memorandum on urban transport" in pdf_text(unknown.data)[0]  # the reader's own


@pytest.mark.parametrize(("role", "status"), [("viewer", 404), ("staff", 404), ("manager", 200)])
def test_a_confidential_dossier_is_for_managers_only(auth, client, make_agreement, role, status):
    auth.login(role)
    secret = make_agreement(confidentiality="confidential", title_en="Secret accord")
    response = client.get(f"/agreements/{secret.id}/dossier.pdf")
    assert response.status_code == status
    assert b"Secret accord" not in response.data or status == 200
    assert client.get("/agreements/999999/dossier.pdf").status_code == 404
