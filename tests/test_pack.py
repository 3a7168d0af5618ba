"""The briefing pack: a cover, a table of contents whose page numbers are right, a section per
partner on its own pages, progress as it goes, and only partners and agreements the reader may
see."""

import datetime as dt

import pytest
from flask_babel import lazy_gettext as _l

from crm.dossiers.pack import pack_pdf
from crm.formatting import Formatter
from tests.pdf_reading import page_count, pdf_text, plain, render_not_blank

NOW = dt.datetime(2026, 11, 26, 10, 30, tzinfo=dt.UTC)


@pytest.fixture
def cities(make_partner, make_agreement, make_activity):
    florence = make_partner(name_en="Florence", name_fa="فلورانس", country="IT")
    kyoto = make_partner(name_en="Kyoto", name_fa="کیوتو", country="JP", talking_points="x " * 3000)
    porto = make_partner(name_en="Porto", name_fa="پورتو", country="PT")
    make_agreement([florence], title_en="Open memorandum", stage="active")
    make_agreement([kyoto], title_en="Secret accord", confidentiality="confidential")
    for n in range(30):
        make_activity(kyoto, subject=f"Meeting {n}")
    return [florence, kyoto, porto]


def section_pages(pages: list[str], names: list[str]) -> dict[str, int]:
    """The page (from 1) where each partner's section starts: its name is the page's title,
    the first line under the running header."""
    found = {}
    for number, text in enumerate(pages, 1):
        lines = text.splitlines()
        if len(lines) > 1 and lines[1] in names and lines[1] not in found:
            found[lines[1]] = number
    return found


def test_a_pack_has_a_cover_contents_with_the_right_pages_and_a_section_per_partner(
    ctx, cities, make_user
):
    reader = make_user("staff")
    ids = [p.id for p in cities] + [999_999]  # one that does not exist: left out
    data = pack_pdf(ids, reader, Formatter("en", "Asia/Tehran"), now=NOW)
    pages = pdf_text(data)
    cover = pages[0]
    assert "Briefing pack" in cover and "Partners: 3" in cover
    assert "Prepared for Staff 1 at Nov 26, 2026, 2:00 PM" in cover
    starts = section_pages(pages, ["Florence", "Kyoto", "Porto"])
    assert list(starts) == ["Florence", "Kyoto", "Porto"]  # in the order chosen
    assert starts["Florence"] == 2 and starts["Porto"] > starts["Kyoto"] > 2
    # The contents on the cover: name, kind, country and the page the section starts on.
    assert "Partner Kind Country Page" in cover
    assert f"Florence City Italy {starts['Florence']}" in cover
    assert f"Kyoto City Japan {starts['Kyoto']}" in cover
    assert f"Porto City Portugal {starts['Porto']}" in cover
    assert "Secret accord" not in "\n".join(pages)  # staff: no confidential agreement
    assert f"Page 1 of {len(pages)}" in cover and page_count(data) == len(pages)
    assert render_not_blank(data, 2)


def test_the_persian_pack_numbers_its_pages_in_persian_digits(ctx, cities, make_user):
    reader = make_user("manager", locale="fa")
    fmt = Formatter("fa", "Asia/Tehran")
    data = pack_pdf([p.id for p in cities], reader, fmt, now=NOW)
    pages = pdf_text(data, rtl=True)
    starts = section_pages(pages, ["فلورانس", "کیوتو", "پورتو"])
    assert len(starts) == 3
    for name, page in starts.items():
        # Read right to left: the name, its kind, its country, then the page in Persian digits.
        assert f"{name} شهر" in pages[0] and f" {fmt.number(page)}\n" in pages[0] + "\n"
    numbers = [line.split()[-1] for line in pages[0].splitlines() if line.split()[0] in starts]
    assert numbers == [fmt.number(page) for page in starts.values()]
    assert plain(fmt.translate(_l("Briefing pack"))) in pages[0]
    assert "Secret accord" in "\n".join(pdf_text(pack_pdf([cities[1].id], reader, Formatter("en"))))


def test_progress_goes_up_to_100_naming_each_partner_in_the_readers_language(
    ctx, cities, make_user
):
    reader = make_user("viewer")
    heard: list[tuple[int, str]] = []
    pack_pdf(
        [p.id for p in cities],
        reader,
        Formatter("en", "Asia/Tehran"),
        on_progress=lambda percent, step: heard.append((percent, step)),
    )
    percents = [percent for percent, _step in heard]
    assert percents == sorted(percents) and percents[0] == 0 and percents[-1] == 100
    steps = [step for _percent, step in heard]
    assert steps[:3] == [
        "Partner 1 of 3: Florence",
        "Partner 2 of 3: Kyoto",
        "Partner 3 of 3: Porto",
    ]
    assert "Laying out the pages" in steps and steps[-1] == "Ready"
    assert len([p for p in percents if 40 < p < 100]) >= 3  # it moves while pages are laid out

    heard.clear()
    pack_pdf([cities[0].id], reader, Formatter("fa"), on_progress=lambda p, s: heard.append((p, s)))
    expected = Formatter("fa").translate(
        _l("Partner %(number)s of %(count)s: %(name)s", number="۱", count="۱", name="فلورانس")
    )
    assert heard[0] == (0, expected)


def test_a_pack_of_nothing_the_reader_may_see_still_makes_a_pdf(ctx, make_user):
    data = pack_pdf([123_456, 0, -1], make_user("viewer"), Formatter("en"), now=NOW)
    text = "\n".join(pdf_text(data))
    assert "Partners: 0" in text and "No partners to show." in text
