"""The partner briefing: downloaded from the partner's page in either language, read back from
the PDF in reading order (tests/pdf_reading.py), holding only what its reader may see."""

import datetime as dt

import pytest

from crm.dossiers.briefing import briefing_pdf
from crm.extensions import db
from crm.formatting import Formatter
from tests.pdf_reading import as_drawn, metadata, page_count, page_lines, pdf_text, render_not_blank

NOW = dt.datetime(2026, 11, 26, 10, 30, tzinfo=dt.UTC)
TODAY = Formatter("en", "Asia/Tehran").today()  # the readers' day (they work in Tehran)


@pytest.fixture
def florence(make_partner, make_contact, make_agreement, make_activity):
    partner = make_partner(
        name_en="Florence",
        name_fa="فلورانس",
        name_local="Firenze",
        country="IT",
        population=382258,
        timezone="Europe/Rome",
        relationship_since=dt.date(2010, 3, 5),
        summary="Sister city since 2010; strong in heritage and tourism.",
        talking_points="Thank the mayor (Sara Funaro) for the visit; propose a heritage forum.",
    )
    make_contact(
        partner,
        name_latin="Dario Rossi",
        name_fa="داریو روسی",
        title="Head of Protocol",
        email="d.rossi@comune.fi.it",
        is_primary=True,
    )
    make_agreement(
        [partner],
        title_en="Heritage cooperation",
        title_fa="همکاری میراث",
        stage="negotiation",
        expires_on=TODAY + dt.timedelta(days=40),
    )
    make_activity(partner, subject="Call about the forum", due_on=TODAY + dt.timedelta(days=3))
    make_activity(
        partner,
        subject="Visit of the delegation",
        status="done",
        due_on=TODAY - dt.timedelta(days=20),
        outcome="Agreed on a joint exhibition.",
    )
    return partner


def download(client, partner_id, query=""):
    response = client.get(f"/partners/{partner_id}/briefing.pdf{query}")
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=briefing-")
    return response


def test_a_viewer_downloads_the_briefing_in_english(auth, client, florence):
    auth.login("viewer", locale="fa")
    response = download(client, florence.id, "?lang=en")
    assert (
        f"briefing-florence-{florence.id}-{TODAY.isoformat()}.pdf"
        in response.headers["Content-Disposition"]
    )
    data = response.data
    text = "\n".join(pdf_text(data))
    for line in (
        "Florence",
        "Country Italy",
        "Population 382,258",
        "Official languages Italian",
        "Time zone Rome (UTC+01:00)",
        "Relationship Sister city · since Mar 5, 2010",
        "Thank the mayor (Sara Funaro) for the visit; propose a heritage forum.",
        "Heritage cooperation Memorandum of Negotiation",
        "Call about the forum",
        "Visit of the delegation Agreed on a joint exhibition.",
        "Dario Rossi Head of Protocol d.rossi@comune.fi.it",
        f"{TODAY.year - 2010 + (dt.date(TODAY.year, 3, 5) < TODAY)} years of the relationship",
        "Heritage cooperation: Expires in 40 days",
    ):
        assert line in text, line
    assert "Firenze" in text and "فلورانس" in text  # its other names
    assert metadata(data)["/Title"] == "Briefing: Florence"
    assert page_count(data) == 1 and render_not_blank(data, 1)


def test_the_persian_briefing_reads_right_to_left_with_jalali_dates_and_persian_digits(
    auth, client, florence
):
    auth.login("viewer", locale="fa")
    data = download(client, florence.id).data  # the reader's language by default
    text = pdf_text(data, rtl=True)[0]
    for line in (
        "فلورانس",
        "کشور ایتالیا",
        "جمعیت ۳۸۲٬۲۵۸",
        "ایتالیایی",
        "همکاری میراث",
        "داریو روسی",
    ):
        assert line in text, line
    visual = page_lines(data, rtl=True, visual=True)[0]
    # "Sister city · since 1388/12/14": Jalali, Persian digits, drawn right to left.
    assert "شهر خواهرخوانده" in text
    assert any(as_drawn("۱۳۸۸/۱۲/۱۴", True) in line for line in visual)
    assert any(as_drawn("رم (UTC+۰۱:۰۰)", True) in line for line in visual)
    # The label sits on the right of its value: drawn after it, left to right.
    assert any(line.endswith(as_drawn("کشور", True)) for line in visual)


def test_a_bad_language_falls_back_to_the_readers_and_english_is_asked_for_by_lang(
    auth, client, florence
):
    auth.login("viewer", locale="en")
    assert "Country Italy" in pdf_text(download(client, florence.id, "?lang=de").data)[0]
    assert "کشور ایتالیا" in pdf_text(download(client, florence.id, "?lang=fa").data, True)[0]


def test_an_unknown_partner_is_not_found_and_signed_out_users_sign_in_first(auth, client, florence):
    assert client.get(f"/partners/{florence.id}/briefing.pdf").status_code == 302
    auth.login("viewer")
    assert client.get("/partners/999999/briefing.pdf").status_code == 404
    assert client.get("/partners/99999999999999999999/briefing.pdf").status_code == 404


def test_the_partner_page_offers_the_briefing_in_both_languages(auth, client, florence):
    auth.login("viewer")
    page = client.get(f"/partners/{florence.id}").get_data(as_text=True)
    for lang in ("fa", "en"):
        assert f"/partners/{florence.id}/briefing.pdf?lang={lang}" in page
    assert "Briefing (PDF)" in page


def test_staff_never_see_a_confidential_agreement_nor_its_count(
    auth, client, florence, make_agreement, make_activity, make_user
):
    secret = make_agreement(
        [florence],
        title_en="Secret accord",
        confidentiality="confidential",
        signed_on=TODAY - dt.timedelta(days=365 * 3 - 10),
        expires_on=TODAY + dt.timedelta(days=10),
    )
    make_activity(florence, subject="Hidden talks", agreement_id=secret.id)
    auth.login("staff")
    text = "\n".join(pdf_text(download(client, florence.id, "?lang=en").data))
    assert "Agreements (1)" in text and "Open follow-ups (1)" in text
    assert "Secret" not in text and "Hidden talks" not in text
    auth.logout()
    auth.login("manager")
    text = "\n".join(pdf_text(download(client, florence.id, "?lang=en").data))
    assert "Agreements (2)" in text and "Secret accord" in text and "Hidden talks" in text
    assert "Secret accord: Expires in 10 days" in text


def test_a_name_with_markup_prints_as_typed(auth, client, make_partner):
    partner = make_partner(name_en='<b>R&D</b> "x" & <i>', name_fa="<b>R&amp;D</b>")
    auth.login("viewer")
    data = download(client, partner.id, "?lang=en").data
    text = pdf_text(data)[0]
    assert '<b>R&D</b> "x" & <i>' in text and "<b>R&amp;D</b>" in text
    assert metadata(data)["/Title"] == 'Briefing: <b>R&D</b> "x" & <i>'
    assert (
        "filename=briefing-b-r-d-b-x-i-"
        in download(client, partner.id).headers["Content-Disposition"]
    )


def test_a_partner_with_nothing_gets_a_short_briefing_that_says_so(auth, client, make_partner):
    partner = make_partner(name_en="Nowhere", name_fa="", country=None, relationship_since=None)
    auth.login("viewer")
    data = download(client, partner.id, "?lang=en").data
    text = pdf_text(data)[0]
    for line in (
        "No agreements with this partner.",
        "Nothing planned with this partner.",
        "No past activities recorded with this partner.",
        "No contacts yet.",
        "Nothing in the next 90 days.",
    ):
        assert line in text
    assert "Country" not in text and page_count(data) == 1


def test_long_words_and_odd_characters_never_crash(auth, client, make_partner, make_activity):
    partner = make_partner(
        name_en="W" * 200,
        name_fa="ب" * 200,
        talking_points="😀 \x07 \u202eRTL override\u202c \u200fmark " + "y" * 4000,
        summary="\t tabs \r\n and \u2028 separators ۀ " + "ز" * 1000,
    )
    make_activity(partner, subject="Ω 🚀 " + "z" * 290, outcome="\x1b[31m" + "o" * 900)
    auth.login("viewer")
    for lang in ("en", "fa"):
        data = download(client, partner.id, f"?lang={lang}").data
        assert page_count(data) <= 2 and render_not_blank(data, 1)
        assert "W" * 20 in "".join(pdf_text(data, lang == "fa")[0].split())


def test_the_busiest_partner_fits_on_two_pages_with_and_n_more(ctx, make_partner, make_user):
    from crm.activities.models import Activity
    from crm.agreements.models import Agreement
    from crm.partners.models import Contact, Partner

    manager = make_user("manager")
    partner = db.session.get(
        Partner,
        make_partner(
            name_en="Busy City",
            summary="s " * 2500,
            talking_points="t " * 2500,
            website="https://busy.example",
        ).id,
    )
    for n in range(30):
        db.session.add(
            Contact(
                partner_id=partner.id,
                name_latin=f"Contact {n}",
                title="Adviser " * 8,
                email=f"contact.number.{n}@international-relations.busy.example",
            )
        )
        agreement = Agreement(
            type="memorandum",
            title_en=f"Agreement {n} " + "long title " * 10,
            stage="active",
            expires_on=TODAY + dt.timedelta(days=n * 5),
            signed_on=dt.date(2020, 1, 1) + dt.timedelta(days=n * 11),
        )
        agreement.parties = [partner]
        db.session.add(agreement)
    for n in range(120):
        db.session.add(
            Activity(
                kind="meeting",
                subject=f"Meeting {n} " + "about things " * 10,
                domain="cities",
                partner_id=partner.id,
                status="planned" if n % 2 else "done",
                due_on=TODAY + dt.timedelta(days=n - 60),
                outcome="outcome " * 40,
            )
        )
    db.session.commit()
    for locale in ("en", "fa"):
        data = briefing_pdf(partner.id, manager, Formatter(locale, "Asia/Tehran"), now=NOW)
        assert page_count(data) <= 2, locale
    text = "\n".join(pdf_text(briefing_pdf(partner.id, manager, Formatter("en"), now=NOW)))
    assert "Agreements (30)" in text and "and 25 more" in text
    assert "Open follow-ups (60)" in text and "and 56 more" in text and "Overdue" in text
    assert "Key contacts (30)" in text and "and 25 more" in text


def test_the_local_time_is_the_partners_wall_clock(ctx, florence, make_user):
    reader = make_user("viewer")
    data = briefing_pdf(florence.id, reader, Formatter("en", "Asia/Tehran"), now=NOW)
    assert "Local time now 11:30 AM, Thursday, November 26, 2026" in pdf_text(data)[0]
    data = briefing_pdf(florence.id, reader, Formatter("fa", "Asia/Tehran"), now=NOW)
    assert "۱۱:۳۰" in pdf_text(data, rtl=True)[0]
