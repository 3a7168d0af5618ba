"""Text into drawn lines, and lines into pages: wrapping, the order of mixed Persian and Latin
text, brackets, the zero-width non-joiner, long words, odd characters and escaping, read back
from the PDF in reading order (tests/pdf_reading.py says how)."""

import datetime as dt
import io
import unicodedata

import pytest
from bidi.algorithm import get_display
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import PageBreak

from crm import create_app
from crm.config import TestConfig
from crm.dossiers import fonts
from crm.dossiers.document import Contents, Section, build_pdf
from crm.dossiers.flowables import Text, key_values, table
from crm.dossiers.fonts import FONT, FONT_BOLD, FontsMissing, font_files
from crm.dossiers.text import is_rtl, lines
from crm.formatting import Formatter
from tests.pdf_reading import (
    as_drawn,
    drawn_strings,
    metadata,
    normalise,
    page_count,
    page_lines,
    pdf_text,
    render_not_blank,
)

SENTENCE = "شهر فلورانس (Florence) در ایتالیا است و نشانی a.rossi@comune.fi.it دارد."
NOW = dt.datetime(2026, 11, 26, 10, 30, tzinfo=dt.UTC)


class Reader:
    display_name = "Sara Ahmadi"


@pytest.fixture(scope="module", autouse=True)
def app_context():
    app = create_app(type("Config", (TestConfig,), {"CRM_CITY_NAME_EN": "Isfahan City"}))
    with app.app_context():
        yield app


def pdf(story, locale="fa", **options):
    fmt = Formatter(locale, "Asia/Tehran")
    options.setdefault("title", "گزارش آزمایشی" if locale == "fa" else "Test report")
    return build_pdf(story, fmt=fmt, reader=Reader(), now=NOW, **options)


def read(line: str, base: str = "R") -> str:
    """A drawn line in reading order again (NFKC turns the joined forms into letters)."""
    return str(get_display(normalise(line), base_dir=base))


def drawn_width(line: str, size: float = 10) -> float:
    return pdfmetrics.stringWidth(line, FONT, size)


# --- lines(): wrapping and order -----------------------------------------------------------------
def test_rtl_is_known_for_persian_and_not_for_english():
    assert is_rtl("fa") and is_rtl("fa_IR") and not is_rtl("en") and not is_rtl("en_GB")


def test_lines_wrap_within_the_width_and_keep_every_word_in_order():
    text = " ".join([SENTENCE] * 6)
    drawn = lines(text, FONT, 10, 150, rtl=True)
    assert len(drawn) > 6
    assert all(drawn_width(line) <= 150 for line in drawn)
    assert " ".join(read(line) for line in drawn).split() == text.split()


def test_a_persian_sentence_with_a_latin_name_brackets_and_an_email_keeps_its_order():
    (drawn,) = lines(SENTENCE, FONT, 10, 1000, rtl=True)
    assert read(drawn) == SENTENCE
    # Drawn left to right: the sentence's end on the left, its start on the right, the name
    # with its brackets the right way round and the address whole.
    visual = normalise(drawn)
    assert visual.startswith(".دراد a.rossi@comune.fi.it")
    assert "(Florence)" in visual and visual.endswith("سنارولف رهش")


def test_english_with_persian_in_brackets_reads_left_to_right():
    text = "Meeting with the mayor of Isfahan (اصفهان) on 12 May [draft]"
    (drawn,) = lines(text, FONT, 10, 1000, rtl=False)
    visual = normalise(drawn)
    assert visual == "Meeting with the mayor of Isfahan (ناهفصا) on 12 May [draft]"
    assert read(drawn, "L") == text


def test_latin_only_text_keeps_its_brackets_in_a_persian_document():
    (drawn,) = lines("Florence (Italy)", FONT, 10, 1000, rtl=True)
    assert drawn == "Florence (Italy)"


def test_a_phone_number_reads_left_to_right_and_a_persian_date_and_time_right_to_left():
    assert lines("+7 495 777-00-00", FONT, 10, 1000, rtl=True) == ["+7 495 777-00-00"]
    (drawn,) = lines("۱۴۰۵/۰۹/۱۰، ۱۱:۰۰", FONT, 10, 1000, rtl=True)
    assert drawn == "۱۱:۰۰ ،۱۴۰۵/۰۹/۱۰"  # the date on the right, where a Persian reader starts


def test_numbers_in_persian_keep_their_order():
    (drawn,) = lines("سال ۱۴۰۵ برابر 2026 میلادی، ۱۲٫۵ درصد", FONT, 10, 1000, rtl=True)
    assert read(drawn) == "سال ۱۴۰۵ برابر 2026 میلادی، ۱۲٫۵ درصد"
    assert "۱۴۰۵" in normalise(drawn)  # digits are not reversed


def test_the_zero_width_non_joiner_keeps_letters_apart_and_draws_nothing():
    (drawn,) = lines("می\u200cخواهم", FONT, 10, 1000, rtl=True)
    assert "\u200c" not in drawn
    # Right to left: «می» with ی joined to م (final form ﯽ), then خ starting a new
    # group (initial form ﺧ), not joined to ی.
    assert drawn == "ﻢﻫﺍﻮﺧﯽﻣ"
    (joined,) = lines("میخواهم", FONT, 10, 1000, rtl=True)
    assert joined != drawn  # without it, ی joins خ


def test_the_hamza_above_heh_is_drawn_not_dropped():
    # «چرخهٔ کار» is typed with heh and a combining hamza; it prints as the letter ۀ.
    (drawn,) = lines("چرخهٔ کار", FONT, 10, 1000, rtl=True)
    assert read(drawn) == "چرخۀ کار"
    assert read(lines("چرخه کار", FONT, 10, 1000, rtl=True)[0]) == "چرخه کار"


def test_every_drawn_character_has_a_glyph_in_the_font():
    glyphs = pdfmetrics.getFont(FONT).face.charToGlyph
    text = "آبپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیۀئأؤءلاالله ۰۱۲۳۴۵۶۷۸۹ «پیمان»، «می‌شود»؟ ـ ۱۲٪"
    for line in lines(text, FONT, 10, 1000, rtl=True):
        assert all(ord(ch) in glyphs for ch in line if ch != " "), line


def test_hard_newlines_are_kept_and_empty_text_gives_no_line():
    assert [read(line) for line in lines("یک\n\nدو", FONT, 10, 300, rtl=True)] == ["یک", "", "دو"]
    assert (
        lines("", FONT, 10, 300)
        == lines("  \n ", FONT, 10, 300)
        == lines(None, FONT, 10, 300)
        == []
    )
    assert lines("a\r\nb\rc", FONT, 10, 300) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("word", "base"),
    [("x" * 400, "L"), ("ب" * 400, "R"), ("https://example.org/" + "a/b?c=d&" * 60, "L")],
)
def test_a_word_longer_than_the_line_is_cut_by_characters(word, base):
    drawn = lines(word, FONT, 10, 120, rtl=True)
    assert len(drawn) > 3
    assert all(drawn_width(line) <= 120 for line in drawn)
    # Every piece keeps the word's direction: a URL's pieces read left to right.
    assert "".join(read(line, base) for line in drawn) == word


def test_a_line_narrower_than_one_letter_still_draws_every_letter():
    assert "".join(lines("abc", FONT, 10, 1)) == "abc"


def test_control_characters_marks_and_emoji_never_crash():
    text = "\x00Tokyo\x07 \u202eتوکیو\u202c \u200fبا 😀 و ۀ\x1b[31m\tend\ufeff"
    drawn = lines(text, FONT, 10, 80, rtl=True)
    together = "".join(drawn)
    assert not any(unicodedata.category(ch) in ("Cc", "Cf") for ch in together)
    assert "😀" in together and "Tokyo" in together


# --- flowables and pages ---------------------------------------------------------------------
def test_a_pdf_reads_back_in_reading_order_in_both_languages():
    data = pdf([Text(SENTENCE * 3, "body", rtl=True)], "fa")
    text = pdf_text(data, rtl=True)[0]
    assert " ".join(text.split()).count(SENTENCE.replace("\u200c", "")) >= 2
    english = pdf([Text("Florence (Italy) signed on 12 May; mail: a@b.org", "body")], "en")
    assert "Florence (Italy) signed on 12 May; mail: a@b.org" in pdf_text(english)[0]


def test_user_text_is_drawn_as_typed_not_read_as_markup():
    typed = '<b>R&amp;D</b> "x" <font size=40>big</font> & <para>'
    data = pdf(
        [
            Text(typed, "body", rtl=True),
            table([["<i>a</i>", typed]], ["30%", "70%"], header=False, rtl=True),
        ],
        "fa",
    )
    text = pdf_text(data, rtl=True)[0]
    assert typed in text and "<i>a</i>" in text


def test_a_persian_table_has_its_first_column_on_the_right():
    rows = [["نام", "سمت", "نشانی"], ["ماریو روسی", "شهردار", "m.rossi@comune.fi.it"]]
    data = pdf([table(rows, ["30%", "30%", "40%"], rtl=True)], "fa")
    text = pdf_text(data, rtl=True)[0]
    assert "نام سمت نشانی" in text and "ماریو روسی شهردار m.rossi@comune.fi.it" in text
    reader = PdfReader(io.BytesIO(data))
    where = {normalise(t): x for x, _y, t in drawn_strings(reader.pages[0], reader)}
    assert where["مان"] > where["تمس"] > where["یناشن"]  # visual order: name rightmost
    english = pdf([table([["Name", "Title"], ["Mario", "Mayor"]], ["50%", "50%"])], "en")
    assert "Name Title" in pdf_text(english)[0] and "Mario Mayor" in pdf_text(english)[0]


def test_a_long_table_repeats_its_header_and_long_cells_and_empty_rows_do_not_crash():
    rows = [["شماره", "متن"]] + [[str(n), f"ردیف {n} " + "x" * 300] for n in range(60)]
    rows += [[], [None, ""], ["تنها"]]
    data = pdf([table([], ["50%", "50%"], rtl=True), table(rows, ["15%", "85%"], rtl=True)], "fa")
    pages = pdf_text(data, rtl=True)
    assert len(pages) > 2
    assert all("شماره متن" in page for page in pages)
    assert "ردیف 59" in pages[-1] and "تنها" in pages[-1]


def test_a_cell_taller_than_a_page_splits_across_pages():
    huge = "\n".join(f"خط {n}" for n in range(120))
    data = pdf([table([["عنوان", "متن"], ["یک", huge]], ["20%", "80%"], rtl=True)], "fa")
    text = "\n".join(pdf_text(data, rtl=True))
    assert page_count(data) >= 2 and "خط 0" in text and "خط 119" in text


def test_key_values_put_each_label_beside_its_value_and_skip_empty_ones():
    data = pdf([key_values([("کشور", "ایتالیا"), ("جمعیت", "۳۸۲٬۲۵۸"), ("خالی", "")], rtl=True)])
    text = pdf_text(data, rtl=True)[0]
    assert "کشور ایتالیا" in text and "جمعیت ۳۸۲٬۲۵۸" in text and "خالی" not in text


def test_a_long_text_flows_over_pages_without_losing_a_line():
    text = "\n".join(f"Line {n}" for n in range(150))
    data = pdf([Text(text, "body")], "en")
    found = "\n".join(pdf_text(data))
    assert page_count(data) >= 3
    assert all(f"Line {n}\n" in found + "\n" for n in range(150))


# --- the page template -----------------------------------------------------------------------
def test_every_page_has_the_city_the_title_the_reader_the_page_numbers_and_the_marking():
    story = [Text("Page one"), PageBreak(), Text("Page two"), PageBreak(), Text("Page three")]
    data = pdf(story, "en", title="Briefing: Florence", marking="Confidential")
    pages = pdf_text(data)
    assert len(pages) == 3
    for number, page in enumerate(pages, 1):
        assert "Isfahan City Briefing: Florence" in page  # CRM_CITY_NAME_EN
        assert "Confidential" in page
        assert "Prepared for Sara Ahmadi at Nov 26, 2026, 2:00" in page  # Tehran time
        assert f"Page {number} of 3" in page
    assert metadata(data)["/Title"] == "Briefing: Florence"
    assert metadata(data)["/Author"] == "Isfahan City"
    assert render_not_blank(data, 2)


def test_persian_pages_speak_persian_with_persian_digits_and_jalali_dates():
    data = pdf([Text("صفحهٔ یک", "body", True), PageBreak(), Text("دو", "body", True)], "fa")
    fmt = Formatter("fa", "Asia/Tehran")
    first = pdf_text(data, rtl=True)[0]
    assert "شهرداری تهران" in first  # the default CRM_CITY_NAME_FA
    page = fmt.translate(_l("Page %(page)s of %(pages)s", page="۱", pages="۲"))
    prepared = fmt.translate(
        _l("Prepared for %(name)s at %(when)s", name="Sara Ahmadi", when="۱۴۰۵/۰۹/۰۵، ۱۴:۰۰")
    )
    visual = page_lines(data, rtl=True, visual=True)[0]
    assert any(line.endswith(as_drawn(prepared, True)) for line in visual)
    assert any(line.startswith(as_drawn(page, True)) for line in visual)


def test_an_on_page_hook_draws_on_every_page():
    seen = []
    data = pdf(
        [Text("a"), PageBreak(), Text("b")], "en", on_page=lambda canvas, doc: seen.append(doc.page)
    )
    assert seen == [1, 2] and page_count(data) == 2


def test_the_contents_list_each_section_with_its_page_number():
    fmt = Formatter("fa", "Asia/Tehran")
    story = [Text("فهرست", "title", True), Contents(fmt, True)]
    for n in range(1, 41):  # enough sections for the contents to fill more than a page
        story += [
            PageBreak(),
            Section(f"بخش {n} (Section {n})", f"s{n}"),
            Text(f"متن بخش {n}", "body", True),
        ]
    data = pdf(story, "fa")
    pages = pdf_text(data, rtl=True)
    contents = page_lines(data, rtl=True, visual=True)[0] + page_lines(data, True, True)[1]
    start = next(i for i, page in enumerate(pages) if "متن بخش 1\n" in page + "\n")
    assert start == 2  # the contents took two pages
    for n in range(1, 41):
        page = next(i for i, text in enumerate(pages) if f"متن بخش {n}\n" in text + "\n") + 1
        # Drawn left to right: the page number on the left, then the title.
        assert f"{fmt.number(page)} {as_drawn(f'بخش {n} (Section {n})', True)}" in contents


def test_a_line_of_mixed_runs_is_drawn_as_the_bidi_algorithm_orders_it():
    # Checked by hand: the number stays with the Persian word, the bracketed name reads whole.
    assert as_drawn("بخش 1 (Section 1)", True) == "(Section 1) 1 شخب"
    assert lines("بخش 1 (Section 1)", FONT, 10, 500, True) == ["(Section 1) 1 ﺶﺨﺑ"]


def test_renders_to_pixels_that_are_not_blank():
    assert render_not_blank(pdf([Text("سلام", "title", True)], "fa"), 1)


# --- fonts -------------------------------------------------------------------------------------
def test_vazirmatn_is_the_font_of_a_checkout():
    regular, bold = font_files()
    assert regular.name == "Vazirmatn-Regular.ttf" and bold.name == "Vazirmatn-Bold.ttf"
    assert pdfmetrics.getFont(FONT_BOLD).face.name.startswith(b"Vazirmatn")


def test_without_vazirmatn_dejavu_sans_is_used_and_without_either_the_error_says_what_to_do(
    tmp_path, monkeypatch
):
    assert font_files(tmp_path)[0].name == "DejaVuSans.ttf"
    monkeypatch.setattr(fonts, "DEJAVU", tmp_path / "nowhere")
    with pytest.raises(FontsMissing, match="make install"):
        font_files(tmp_path)


def test_letters_vazirmatn_lacks_are_drawn_in_dejavu_sans():
    data = pdf([Text("Москва · Αθήνα · مسکو", "body", rtl=True)], "fa")
    assert "Москва · Αθήνα · مسکو" in pdf_text(data, rtl=True)[0]
    reader = PdfReader(io.BytesIO(data))
    used = reader.pages[0]["/Resources"]["/Font"].values()
    fonts = {str(font.get_object()["/BaseFont"]) for font in used}
    assert any("DejaVuSans" in f for f in fonts) and any("Vazirmatn" in f for f in fonts)


def test_a_persian_paragraph_in_an_english_document_can_align_at_its_own_start():
    story = [Text("همکاری در گردشگری", "body", align="auto"), Text("Tourism", "body", align="auto")]
    reader = PdfReader(io.BytesIO(pdf(story, "en")))
    x = {normalise(t): x for x, _y, t in drawn_strings(reader.pages[0], reader)}
    persian = next(at for text, at in x.items() if "یراکمه" in text)  # drawn right to left
    assert persian > 200 and x["Tourism"] < 60  # the Persian one on the right, Tourism left
