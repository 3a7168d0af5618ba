"""The managers' pipeline report (``crm.dossiers.pipeline``): what its pages say in both
languages, that they are drawn, who may download it, what a reader who may not see
confidential agreements finds in it (nothing of them), and an empty office's report."""

from datetime import UTC, date, datetime, timedelta

import pytest

from crm.agreements.models import StageChange
from crm.auth.models import User
from crm.dossiers.pipeline import pipeline_pdf
from crm.extensions import db
from crm.formatting import Formatter
from tests.pdf_reading import page_count, pdf_text, plain, render_not_blank

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)
EN = Formatter("en", "Asia/Tehran")
FA = Formatter("fa", "Asia/Tehran")


def everything(pdf: bytes, rtl: bool = False) -> str:
    return "\n".join(pdf_text(pdf, rtl))


@pytest.fixture
def office(app, make_user, make_partner, make_agreement, make_activity):
    """A small office: an agreement expiring in 20 days with its history, a confidential one
    expiring in 10, and an overdue follow-up of each."""
    owner = make_user("staff", display_name="Leila Ahmadi")
    seoul = make_partner(name_en="Seoul", name_fa="سئول")
    company = make_partner(name_en="Hanbit Co", name_fa="هانبیت", kind="company")
    twinning = make_agreement(
        parties=[seoul],
        stage="active",
        confidentiality="public",
        title_en="Seoul twinning",
        title_fa="خواهرخواندگی سئول",
        expires_on=TODAY + timedelta(days=20),
        owner_id=owner.id,
    )
    secret = make_agreement(
        parties=[company],
        stage="renewal",
        confidentiality="confidential",
        title_en="Metro tender <A&B>",  # prints as typed
        title_fa="مناقصه مترو",
        expires_on=TODAY + timedelta(days=10),
    )
    with app.app_context():
        for agreement, stages in ((twinning, ("idea", "active")), (secret, ("idea", "renewal"))):
            for n, stage in enumerate(stages):
                db.session.add(
                    StageChange(
                        agreement_id=agreement.id,
                        to_stage=stage,
                        changed_at=NOW - timedelta(days=60 - 30 * n),
                    )
                )
        db.session.commit()
    make_activity(seoul, owner_id=owner.id, due_on=TODAY - timedelta(days=3))
    make_activity(company, owner_id=owner.id, agreement_id=secret.id, due_on=TODAY - timedelta(9))
    return owner


def reader(make_user, role: str) -> User:
    return db.session.get(User, make_user(role, display_name=f"A {role}").id)


def test_the_english_report_names_stages_expiring_agreements_and_owners(ctx, office, make_user):
    pdf = pipeline_pdf(reader(make_user, "manager"), EN, now=NOW)
    text = everything(pdf)
    for words in (
        "Agreement pipeline report",
        "Agreements by stage",
        "Internal approval",
        "Ready to sign",
        "Agreements by domain",
        "Private sector",
        "Time spent in each stage",
        "Expiring in the next 90 days",
        "Seoul twinning Seoul Dec 21, 2026 20 Leila Ahmadi",  # a row, in reading order
        "Metro tender <A&B> (Confidential)",
        "Overdue follow-ups by owner",
        "Leila Ahmadi 2 Nov 22, 2026",
    ):
        assert words in text, words
    assert "Confidential" in pdf_text(pdf)[-1].splitlines()[0]  # the marking, on every page
    assert render_not_blank(pdf, 1) and render_not_blank(pdf, page_count(pdf))


def test_the_persian_report_reads_right_to_left_with_jalali_dates(ctx, office, make_user):
    pdf = pipeline_pdf(reader(make_user, "manager"), FA, now=NOW)
    text = everything(pdf, rtl=True)
    for words in (
        "توافق‌نامه‌ها به تفکیک مرحله",
        "تصویب داخلی",
        "آمادهٔ امضا",
        "بخش خصوصی",
        # the row from the right: title, parties, Jalali date, days left, owner
        "خواهرخواندگی سئول سئول ۱۴۰۵/۰۹/۳۰ ۲۰ Leila Ahmadi",
        "مناقصه مترو (محرمانه)",
        "Leila Ahmadi ۲ ۱۴۰۵/۰۹/۰۱",
    ):
        assert plain(words) in text, words
    assert "Seoul twinning" not in text  # the reader's language, not the other
    assert render_not_blank(pdf, 1)


def test_a_staff_reader_finds_nothing_of_a_confidential_agreement(ctx, office, make_user):
    staff = everything(pipeline_pdf(reader(make_user, "staff"), EN, now=NOW))
    manager = everything(pipeline_pdf(reader(make_user, "manager"), EN, now=NOW))
    assert "Metro tender" in manager and "Metro tender" not in staff
    assert "Confidential" not in staff  # no marking: nothing confidential was counted
    assert "Leila Ahmadi 1 Nov 28, 2026" in staff  # its overdue follow-up is not counted
    assert "Seoul twinning" in staff


def test_an_empty_office_gets_a_report_that_says_so(ctx, make_user):
    steps = []
    pdf = pipeline_pdf(
        reader(make_user, "manager"), EN, now=NOW, on_progress=lambda *step: steps.append(step)
    )
    text = everything(pdf)
    assert page_count(pdf) == 1 and render_not_blank(pdf, 1)
    for words in (
        "No agreements yet.",
        "No stage history yet.",
        "No agreement expires in the next 90 days.",
        "Nothing overdue.",
    ):
        assert words in text, words
    percents = [percent for percent, _step in steps]
    assert percents == sorted(set(percents)) and percents[0] < 50 and percents[-1] == 100
    assert all(isinstance(step, str) and step for _percent, step in steps)


def test_progress_steps_speak_the_readers_language(ctx, make_user):
    steps = []
    pipeline_pdf(reader(make_user, "manager"), FA, on_progress=lambda *s: steps.append(s))
    english = []
    pipeline_pdf(reader(make_user, "manager"), EN, on_progress=lambda *s: english.append(s))
    assert [p for p, _s in steps] == [p for p, _s in english]
    assert english[0][1] == "Counting the pipeline"


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_only_managers_download_the_report(auth, client, role):
    auth.login(role, locale="fa")
    response = client.get("/reports/pipeline.pdf")
    assert response.status_code == 403
    assert "نقش شما اجازهٔ این کار را نمی‌دهد" in response.get_data(as_text=True)


def test_a_manager_downloads_the_report_in_the_language_asked(auth, client, office):
    auth.login("manager", locale="en")
    response = client.get("/reports/pipeline.pdf?lang=fa")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=pipeline-")
    text = everything(response.data, rtl=True)
    assert plain("مناقصه مترو") in text and plain("تصویب داخلی") in text
    english = everything(client.get("/reports/pipeline.pdf").data)
    assert "Metro tender" in english


def test_the_start_page_offers_the_report_to_managers_only(auth, client, make_user):
    auth.login("manager", locale="en")
    assert "/reports/pipeline.pdf" in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login("staff", locale="en")
    assert "/reports/pipeline.pdf" not in client.get("/").get_data(as_text=True)
    assert "/reports/pipeline.pdf" not in client.get("/agreements").get_data(as_text=True)
