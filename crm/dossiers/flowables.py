"""What a PDF story is made of: ``Text`` (lines from ``crm.dossiers.text``, drawn as plain
strings, so user text never meets ReportLab's paragraph markup), ``table`` and ``key_values``.

A right-to-left ``Text`` is aligned right and a right-to-left table has its columns mirrored
(the first column of a row on the right), as the Persian pages of the site show them.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from reportlab.lib import colors
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Flowable, Table, TableStyle

from crm.dossiers.fonts import FONT, FONT_BOLD, ensure_fonts
from crm.dossiers.text import drawn_width, laid_out, runs

INK = colors.HexColor("#212529")
MUTED = colors.HexColor("#6c757d")
RULE = colors.HexColor("#ced4da")
SHADE = colors.HexColor("#e9ecef")
ELLIPSIS = "…"


@dataclass(frozen=True)
class Style:
    font: str
    size: float
    leading: float
    color: Any = INK
    space_before: float = 0
    space_after: float = 0

    @property
    def bold(self) -> "Style":
        return replace(self, font=FONT_BOLD)


STYLES: dict[str, Style] = {
    "title": Style(FONT_BOLD, 18, 28, space_after=6),
    "heading": Style(FONT_BOLD, 12, 19, space_before=8, space_after=2),
    "body": Style(FONT, 9.5, 15.5),
    "small": Style(FONT, 8, 13),
    "muted": Style(FONT, 8, 13, color=MUTED),
    "label": Style(FONT, 9, 14, color=MUTED),  # label and value share a baseline
    "value": Style(FONT, 9, 14),
}
for _name in ("body", "small", "muted"):
    STYLES[f"{_name}-bold"] = STYLES[_name].bold


def style_of(style: "str | Style") -> Style:
    return STYLES[style] if isinstance(style, str) else style


def draw_string(
    canvas: Any, x0: float, x1: float, y: float, line: str, font: str, size: float, align: str
) -> None:
    """A drawn line (``crm.dossiers.text.lines``) between ``x0`` and ``x1``, aligned
    ``"left"``, ``"right"`` or ``"center"``, letters the font lacks in its fallback."""
    parts = runs(line, font)
    widths = [pdfmetrics.stringWidth(text, face, size) for face, text in parts]
    wide = sum(widths)
    x = {"right": x1 - wide, "center": (x0 + x1 - wide) / 2}.get(align, x0)
    for (face, text), run_width in zip(parts, widths, strict=True):
        canvas.setFont(face, size)
        canvas.drawString(x, y, text)
        x += run_width


class Text(Flowable):
    """A paragraph of plain text (``\\n`` breaks a line) in a style (``STYLES`` name or a
    ``Style``) for a document written right to left or not (``rtl``). Lines are aligned at
    the document's start side (the right for ``rtl``); ``align="auto"`` aligns each paragraph
    at its own start side instead (a Persian paragraph in an English document at the right, as
    a browser's ``dir="auto"`` does); "left", "right" and "center" fix it. Splits across pages
    between lines."""

    def __init__(
        self,
        text: object,
        style: "str | Style" = "body",
        rtl: bool = False,
        align: str | None = None,
        _lines: list[tuple[str, bool]] | None = None,
        max_lines: int | None = None,
    ) -> None:
        super().__init__()
        self.text = text
        self.max_lines = max_lines
        self.style = style_of(style)
        self.rtl = rtl
        self.align = align
        self.spaceBefore = self.style.space_before
        self.spaceAfter = self.style.space_after
        self._fixed = _lines  # the lines of one part of a split text
        self._cache: tuple[float, list[tuple[str, bool]]] | None = None

    def __repr__(self) -> str:
        return f"<Text {str(self.text)[:30]!r}>"

    def lines_for(self, room: float) -> list[tuple[str, bool]]:
        if self._fixed is not None:
            return self._fixed
        if self._cache is None or self._cache[0] != room:
            style, most = self.style, self.max_lines
            drawn = laid_out(self.text, style.font, style.size, room, self.rtl)
            if most and len(drawn) > most:  # the first lines, the last one ending in "…"
                narrower = room - drawn_width(ELLIPSIS, style.font, style.size)
                drawn = laid_out(self.text, style.font, style.size, narrower, self.rtl)[:most]
                line, right_to_left = drawn[-1]
                drawn[-1] = (ELLIPSIS + line if right_to_left else line + ELLIPSIS, right_to_left)
            self._cache = (room, drawn)
        return self._cache[1]

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        ensure_fonts()
        self.width = availWidth
        self.height = len(self.lines_for(availWidth)) * self.style.leading
        return availWidth, self.height

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        drawn = self.lines_for(availWidth)
        fits = int(availHeight // self.style.leading)
        if fits <= 0 or fits >= len(drawn):
            return []
        first, rest = (
            Text(self.text, self.style, self.rtl, self.align, drawn[:fits]),
            Text(self.text, self.style, self.rtl, self.align, drawn[fits:]),
        )
        first.spaceAfter, rest.spaceBefore = 0, 0
        return [first, rest]

    def draw(self) -> None:
        style, canvas = self.style, self.canv
        canvas.setFillColor(style.color)
        # The baseline sits so the letters (and Persian dots below them) are centred in a line.
        baseline = self.height - style.leading / 2 - style.size * 0.3
        for line, right_to_left in self.lines_for(self.width):
            if self.align in (None, "auto"):
                start = right_to_left if self.align == "auto" else self.rtl
                align = "right" if start else "left"
            else:
                align = self.align
            draw_string(canvas, 0, self.width, baseline, line, style.font, style.size, align)
            baseline -= style.leading


Cell = object  # a text (str, number, None: empty) or a Flowable


def _cell(value: Cell, style: str, rtl: bool, max_lines: int | None = None) -> Flowable:
    if isinstance(value, Flowable):
        return value
    return Text("" if value is None else value, style, rtl, max_lines=max_lines)


def table(
    rows: Sequence[Sequence[Cell]],
    col_widths: Sequence[float | str],
    header: bool = True,
    rtl: bool = False,
    style: str = "small",
    max_lines: int | None = None,
) -> Table:
    """A table of ``rows`` (the first is the header when ``header``), columns ``col_widths``
    wide (points, or percentages of the frame such as ``"30%"``), in logical order: for
    ``rtl`` the first column is drawn on the right. The header row repeats on every page; a
    row may split across pages; short rows are padded and an empty table has one empty row.
    ``max_lines``: a cell's text stops there, with "…"."""
    count = len(col_widths)
    data: list[list[Flowable]] = []
    for number, row in enumerate(rows or [[]]):
        cells = (list(row) + [""] * count)[:count]
        name = f"{style}-bold" if header and number == 0 else style
        made = [_cell(value, name, rtl, max_lines) for value in cells]
        data.append(made[::-1] if rtl else made)
    widths = list(col_widths)[::-1] if rtl else list(col_widths)
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ]
    if header and rows:
        commands += [
            ("BACKGROUND", (0, 0), (-1, 0), SHADE),
            ("LINEBELOW", (0, 0), (-1, 0), 0.8, MUTED),
        ]
    return Table(
        data,
        colWidths=widths,
        style=TableStyle(commands),
        repeatRows=1 if header and rows else 0,
        splitInRow=1,
        hAlign="RIGHT" if rtl else "LEFT",
        spaceBefore=2,
        spaceAfter=6,
    )


def key_values(pairs: Sequence[tuple[Cell, Cell]], rtl: bool = False) -> Table:
    """Label and value lines (``Country: Italy``): labels muted in a narrow column. Pairs whose
    value is empty are left out."""
    shown = [(label, value) for label, value in pairs if value not in (None, "")]
    rows = [[Text(label, "label", rtl), _cell(value, "value", rtl)] for label, value in shown]
    made = table(rows, ["28%", "72%"], header=False, rtl=rtl)
    made.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0, colors.white),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return made
