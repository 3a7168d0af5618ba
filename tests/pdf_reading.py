"""Reading a PDF of ours back, for tests: its text per page in *reading* order, its page count,
and whether a page is blank when rendered.

Why not ``page.extract_text()``: our PDFs hold Persian in visual order (shaped letters drawn
left to right, as ``crm.dossiers.text`` lays them out), and pypdf's extraction guesses at right-
to-left runs and reverses them character by character, so brackets, digits and Latin names come
back scrambled; pdftotext does the same with embedding marks. So this module reads what is drawn
itself: each string a text operator shows (decoded through the font's ToUnicode map), where it
is on the page (text matrix and the ``cm`` translations of the flowables). The strings of one
baseline, left to right, make the visual line; NFKC turns the presentation forms (ﻓﻠﻮﺭﺍﻧﺲ) back
into letters (فلورانس), lam-alef ligatures in visual order; bidi marks and the zero-width non-
joiner are removed; and ``get_display`` (which undoes itself for a line of plain text) gives
each string in reading order again, with its base direction from its letters (Persian only:
right to left; Latin only: left to right; both: the document's). The strings of one baseline
(the cells of a table row, the header's two ends) are then read from the document's start side
(the right for ``rtl``) and joined by a space, so a row reads as its cells in reading order.

So a test can assert ``"شهر فلورانس (Florence) در ایتالیا" in text`` and know that the words,
the brackets and the Latin name came out in the order a reader reads them.

The limit: the reordering is not one-to-one. A line where a number or bracket sits between a
Persian and a Latin run (``بخش 1 (Section 1)`` is drawn ``(Section 1) 1 شخب``, correctly) does
not come back the same through ``get_display``. For such lines a test compares the drawing
itself: ``page_lines(data, rtl, visual=True)`` against ``as_drawn(expected, rtl)``, with a few
hand-checked drawings (in tests/test_pdf_text.py) guarding ``as_drawn``'s own rule.
"""

import io
import re
import subprocess
import tempfile
import unicodedata
from pathlib import Path

from bidi.algorithm import get_display
from pypdf import PdfReader
from pypdf.generic import ContentStream

MARKS = dict.fromkeys(
    map(
        ord,
        "\u200c\u200d\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e"
        "\u2066\u2067\u2068\u2069\ufeff",
    )
)
_PERSIAN = re.compile(r"[\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff\ufb50-\ufdfb\ufe70-\ufefc]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")


# The lam-alef ligatures (ﻻ ﻼ ﻵ …) decompose under NFKC into lam then alef, logical order; in a
# visual-order string they must read alef then lam, or reading the line again swaps them.
_LAM_ALEF = {code: unicodedata.normalize("NFKC", chr(code))[::-1] for code in range(0xFEF5, 0xFEFD)}


def normalise(visual: str) -> str:
    """A drawn (visual-order) string with plain letters: NFKC, the lam-alef ligatures kept in
    visual order, bidi marks and the zero-width non-joiner removed."""
    return unicodedata.normalize("NFKC", visual.translate(_LAM_ALEF)).translate(MARKS)


def _unicode_map(font) -> dict[int, str]:
    if "/ToUnicode" not in font:
        return {}
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    mapping = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for code, text in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f\s]*)>", block):
            digits = re.sub(r"\s", "", text)
            if len(digits) % 4:  # ReportLab writes a code point beyond 0xFFFF as is: <1F600>
                mapping[int(code, 16)] = chr(int(digits, 16))
            else:
                mapping[int(code, 16)] = bytes.fromhex(digits).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for low, high, start in re.findall(r"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
            for offset in range(int(high, 16) - int(low, 16) + 1):
                mapping[int(low, 16) + offset] = chr(int(start, 16) + offset)
    return mapping


def _bytes(operand) -> bytes:
    if isinstance(operand, bytes):
        return bytes(operand)
    if hasattr(operand, "original_bytes"):  # pypdf's TextStringObject keeps what was written
        return bytes(operand.original_bytes)
    return str(operand).encode("latin-1")


def _multiply(a: list[float], b: list[float]) -> list[float]:
    """The PDF matrix product a × b (6-number form)."""
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def drawn_strings(page, reader: PdfReader) -> list[tuple[float, float, str]]:
    """(x, y, text) of every string a text operator of the page shows, as drawn. Strings shown
    one after the other without a move between them (a line whose runs change font: Persian in
    Vazirmatn, Cyrillic in DejaVu Sans) are one string."""
    fonts = {
        name: _unicode_map(ref.get_object())
        for name, ref in page["/Resources"].get("/Font", {}).items()
    }
    ctm, stack = [1.0, 0, 0, 1.0, 0, 0], []
    tm = [1.0, 0, 0, 1.0, 0, 0]
    font: dict[int, str] = {}
    leading, found = 0.0, []
    follows = False  # the text position is where the last string ended
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"q":
            stack.append(ctm)
        elif operator == b"Q":
            ctm = stack.pop()
        elif operator == b"cm":
            ctm = _multiply([float(v) for v in operands], ctm)
        elif operator == b"BT":
            tm = [1.0, 0, 0, 1.0, 0, 0]
        elif operator == b"Tm":
            tm = [float(v) for v in operands]
        elif operator == b"TL":
            leading = float(operands[0])
        elif operator == b"T*":
            tm = _multiply([1, 0, 0, 1, 0, -leading], tm)
        elif operator in (b"Td", b"TD"):
            tm = _multiply([1, 0, 0, 1, float(operands[0]), float(operands[1])], tm)
        elif operator == b"Tf":
            font = fonts.get(operands[0], {})
        elif operator in (b"Tj", b"TJ"):
            parts = operands[0] if operator == b"TJ" else [operands[0]]
            raw = b"".join(_bytes(p) for p in parts if not isinstance(p, (int, float)))
            text = "".join(font.get(code, chr(code)) for code in raw)
            if follows:  # shown right after the last string, in another font: one string
                x, y, before = found[-1]
                found[-1] = (x, y, before + text)
            else:
                where = _multiply(tm, ctm)
                found.append((where[4], where[5], text))
            follows = True
            continue
        if operator not in (b"Tf", b"TL"):
            follows = False
    return found


def _base(text: str, rtl: bool) -> str:
    """The base direction the text was drawn with (``crm.dossiers.text.base_direction``'s
    rule, written again here so the tests do not read back with the code they test)."""
    persian, latin = _PERSIAN.search(text), _LATIN.search(text)
    if bool(persian) != bool(latin):
        return "R" if persian else "L"
    if persian and latin and not rtl:
        return "R" if persian.start() < latin.start() else "L"
    if not persian and not latin and not re.search(r"[\u0660-\u0669\u06f0-\u06f9]", text):
        return "L"
    return "R" if rtl else "L"


def reading_order(visual: str, rtl: bool) -> str:
    """A visual line (normalised) in reading order."""
    return str(get_display(visual, base_dir=_base(visual, rtl)))


def plain(logical: str) -> str:
    """Text as a reader gets it back from the PDF: NFKC, without bidi marks and the zero-width
    non-joiner (they are not drawn), heh with hamza above as the one letter ۀ."""
    return normalise(logical.replace("\u0647\u0654", "\u06c0"))


def as_drawn(logical: str, rtl: bool) -> str:
    """How a line of text must look drawn (left to right, plain letters), for the lines whose
    reading order cannot be recovered from the drawing: see the module's doc."""
    text = plain(logical)
    return str(get_display(text, base_dir=_base(text, rtl)))


def page_lines(data: bytes, rtl: bool = False, visual: bool = False) -> list[list[str]]:
    """Each page's lines, top to bottom, in reading order (``visual``: as drawn, left to
    right), NFKC-normalised, without bidi marks."""
    reader = PdfReader(io.BytesIO(data))
    pages = []
    for page in reader.pages:
        rows: dict[float, list[tuple[float, str]]] = {}
        for x, y, text in drawn_strings(page, reader):
            clean = normalise(text)
            if clean.strip():
                rows.setdefault(round(y), []).append((x, clean.strip()))
        lines = []
        for _y, row in sorted(rows.items(), key=lambda item: -item[0]):
            if visual:
                lines.append(" ".join(text for _x, text in sorted(row)))
            else:  # each string (a cell's line) read on its own, the cells from the start side
                ordered = sorted(row, reverse=rtl)
                lines.append(" ".join(reading_order(text, rtl) for _x, text in ordered))
        pages.append(lines)
    return pages


def pdf_text(data: bytes, rtl: bool = False) -> list[str]:
    """Each page's text in reading order, one line per drawn line (see the module's doc)."""
    return ["\n".join(lines) for lines in page_lines(data, rtl)]


def page_count(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def metadata(data: bytes) -> dict[str, str]:
    return {key: str(value) for key, value in (PdfReader(io.BytesIO(data)).metadata or {}).items()}


def render_not_blank(data: bytes, page: int = 1, resolution: int = 40) -> bool:
    """Whether page ``page`` (from 1), rendered by pdftoppm, has pixels that are not white."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "doc.pdf"
        source.write_bytes(data)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                str(resolution),
                "-f",
                str(page),
                "-l",
                str(page),
                "-gray",
                str(source),
                str(Path(folder) / "page"),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        (image,) = Path(folder).glob("page*.pgm")
        raw = image.read_bytes()
    # A binary PGM: "P5\n<width> <height>\n<max>\n" and one byte per pixel.
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+(\d+)\s", raw)
    assert header is not None, "pdftoppm did not write a PGM"
    pixels = raw[header.end() :]
    return min(pixels) < 200
