"""The one place that turns text into drawn lines.

A paragraph is wrapped in *logical* order, measuring each word as it will be drawn (shaped);
then each line is shaped (``arabic_reshaper``: joined letters, the zero-width non-joiner keeps
two letters apart) and reordered for drawing (``bidi.algorithm.get_display``, which mirrors
brackets; the newer ``bidi.get_display`` does not). Running a whole paragraph through
``get_display`` first would reverse the order of its lines. The result is a list of strings in
visual order, ready for ``canvas.drawString``.

Base direction of a paragraph: right to left when it holds Persian letters and no Latin ones,
left to right when it holds Latin letters and no Persian ones. When it holds both: right to
left in a Persian document (a Persian sentence that starts with a Latin name, a Persian label
before an e-mail address), and in an English one the direction of its first letter. Without
letters: left to right for Latin digits (a phone number as ``+7 495 777-00-00``), else the
document's (a Jalali date and time in Persian digits reads right to left in Persian).
"""

import re
import unicodedata
from functools import lru_cache

import arabic_reshaper
from bidi.algorithm import get_display
from reportlab.pdfbase import pdfmetrics

from crm.dossiers.fonts import ensure_fonts, fallback

RTL_LOCALES = {"fa", "ar", "he", "ur", "ps", "ckb"}
# Invisible characters that only steer shaping or order: they have done their work once a line
# is shaped and reordered, and drawn they would be boxes or stray gaps.
INVISIBLE = dict.fromkeys(
    map(
        ord,
        "\u200c\u200d\u200e\u200f\u061c\u202a\u202b\u202c\u202d"
        "\u202e\u2066\u2067\u2068\u2069\ufeff\u00ad",
    )
)
# Control characters (except the newline, which breaks a line) never reach the page.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# Letters, not digits or punctuation: Persian digits alone do not make a line right to left.
_RTL_LETTER = re.compile(
    r"[\u05d0-\u05ea\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff\u0750-\u077f\u08a0-\u08ff"
    r"\ufb1d-\ufdfb\ufe70-\ufefc]"
)
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u08ff]")  # what the reshaper changes
_PERSIAN_DIGIT = re.compile(r"[\u0660-\u0669\u06f0-\u06f9]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f\u0370-\u052f]")

_reshaper = arabic_reshaper.ArabicReshaper()


def is_rtl(locale: str) -> bool:
    """Whether a language is written right to left (``fa``: yes, ``en``: no)."""
    return locale.split("_")[0].split("-")[0].lower() in RTL_LOCALES


def clean(text: object) -> str:
    """The text with Windows and old Mac line ends as newlines, tabs as spaces and other
    control characters removed."""
    value = "" if text is None else str(text)
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CONTROLS.sub("", value)


def base_direction(paragraph: str, rtl: bool) -> str:
    """``"R"`` or ``"L"`` for a paragraph in a document of direction ``rtl`` (module doc)."""
    persian = _RTL_LETTER.search(paragraph)
    latin = _LATIN_LETTER.search(paragraph)
    if bool(persian) != bool(latin):
        return "R" if persian else "L"
    if persian and latin and not rtl:  # an English document: the first letter decides
        return "R" if persian.start() < latin.start() else "L"
    if not persian and not latin and _PERSIAN_DIGIT.search(paragraph) is None:
        return "L"  # Latin digits and signs alone (a phone number, an ISO date) read left to right
    return "R" if rtl else "L"


@lru_cache(maxsize=8)
def _glyphs(font: str) -> frozenset[int]:
    ensure_fonts()
    face = getattr(pdfmetrics.getFont(font), "face", None)
    return frozenset(face.charToGlyph) if face is not None else frozenset(range(256))


@lru_cache(maxsize=50_000)  # words and lines repeat (and arabic_reshaper is slow)
def shape(text: str, font: str) -> str:
    """Persian letters in their joined forms. A form the font lacks (Vazirmatn has no isolated
    ``ۀ``) falls back to the letter itself, which the font draws in its isolated shape."""
    if _ARABIC_SCRIPT.search(text) is None:
        return text
    # The reshaper drops marks such as the hamza above (U+0654): «چرخهٔ» would print «چرخه».
    # Heh with that hamza is the letter ۀ, which it shapes.
    shaped = _reshaper.reshape(text.replace("\u0647\u0654", "\u06c0"))
    glyphs = _glyphs(font)
    if all(ord(ch) in glyphs for ch in shaped):
        return shaped
    return "".join(ch if ord(ch) in glyphs else unicodedata.normalize("NFKC", ch) for ch in shaped)


def runs(line: str, font: str) -> list[tuple[str, str]]:
    """A drawn line as (font, text) runs: ``font`` for what it has, its fallback (DejaVu Sans)
    for letters it lacks, such as a partner's name in Cyrillic or Greek."""
    glyphs, other = _glyphs(font), fallback(font)
    if other is None or all(ord(ch) in glyphs for ch in line):
        return [(font, line)]
    spare = _glyphs(other)
    found: list[tuple[str, str]] = []
    for ch in line:
        use = other if ord(ch) not in glyphs and ord(ch) in spare else font
        if found and found[-1][0] == use:
            found[-1] = (use, found[-1][1] + ch)
        else:
            found.append((use, ch))
    return found


def drawn_width(line: str, font: str, size: float) -> float:
    """The width of a line as drawn (visual order, shaped), fallback letters included."""
    return sum(pdfmetrics.stringWidth(text, face, size) for face, text in runs(line, font))


@lru_cache(maxsize=65536)
def width(text: str, font: str, size: float) -> float:
    """The drawn width of a logical-order text, shaped."""
    return drawn_width(shape(text, font).translate(INVISIBLE), font, size)


@lru_cache(maxsize=16384)
def visual(line: str, font: str, base: str) -> str:
    """One logical-order line, shaped and in drawing order."""
    shaped = shape(line, font)
    if base == "L" and not (_RTL_LETTER.search(shaped) or _ARABIC_SCRIPT.search(shaped)):
        return shaped.translate(INVISIBLE)  # left to right already: nothing to reorder
    return str(get_display(shaped, base_dir=base)).translate(INVISIBLE)


def _split_word(word: str, font: str, size: float, room: float) -> list[str]:
    """A word too wide for a line, cut into pieces that each fit (at least one character)."""
    pieces: list[str] = []
    while word:
        # Guess from the letters' own widths, then shrink until the shaped piece fits.
        end, used = 0, 0.0
        while end < len(word):
            used += pdfmetrics.stringWidth(word[end], font, size)
            if used > room:
                break
            end += 1
        end = max(end, 1)
        while end > 1 and width(word[:end], font, size) > room:
            end -= 1
        pieces.append(word[:end])
        word = word[end:]
    return pieces


def wrap(paragraph: str, font: str, size: float, room: float) -> list[str]:
    """A paragraph (no newline) as lines in logical order, none wider than ``room`` points."""
    result: list[str] = []
    line: list[str] = []
    used = 0.0
    space = pdfmetrics.stringWidth(" ", font, size)
    for word in paragraph.split():
        wide = width(word, font, size)
        if line and used + space + wide <= room:
            line.append(word)
            used += space + wide
            continue
        if line:
            result.append(" ".join(line))
        if wide <= room:
            line, used = [word], wide
        else:
            *whole, last = _split_word(word, font, size, room)
            result.extend(whole)
            line, used = [last], width(last, font, size)
    if line:
        result.append(" ".join(line))
    return result or [""]


def laid_out(
    text: object, font: str, size: float, width: float, rtl: bool = False
) -> list[tuple[str, bool]]:
    """``lines``, each with whether its paragraph reads right to left (for its alignment)."""
    ensure_fonts()
    value = clean(text)
    if not value.strip():
        return []
    drawn: list[tuple[str, bool]] = []
    for paragraph in value.split("\n"):
        base = base_direction(paragraph, rtl)
        drawn.extend(
            (visual(line, font, base), base == "R") for line in wrap(paragraph, font, size, width)
        )
    return drawn


def lines(text: object, font: str, size: float, width: float, rtl: bool = False) -> list[str]:
    """``text`` as lines in drawing order, each at most ``width`` points wide in ``font`` at
    ``size``. Hard newlines are kept (an empty line stays an empty line); empty text gives no
    line. ``rtl``: the document's direction (``is_rtl(locale)``), see ``base_direction``."""
    return [line for line, _rtl in laid_out(text, font, size, width, rtl)]
