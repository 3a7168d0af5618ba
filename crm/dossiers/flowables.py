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
from crm.dossiers.text import lines

INK = colors.HexColor("#212529")
MUTED = colors.HexColor("#6c757d")
RULE = colors.HexColor("#ced4da")
SHADE = colors.HexColor("#e9ecef")


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
    "heading": Style(FONT_BOLD, 12.5, 20, space_before=10, space_after=3),
    "body": Style(FONT, 9.5, 15.5),
    "small": Style(FONT, 8, 13),
    "muted": Style(FONT, 8, 13, color=MUTED),
    "label": Style(FONT, 9.5, 15.5, color=MUTED),  # a body-sized label, on the value's baseline
}
for _name in ("body", "small", "muted"):
    STYLES[f"{_name}-bold"] = STYLES[_name].bold


def style_of(style: "str | Style") -> Style:
    return STYLES[style] if isinstance(style, str) else style


class Text(Flowable):
    """A paragraph of plain text (``\\n`` breaks a line) in a style (``STYLES`` name or a
    ``Style``), right-aligned when ``rtl``; ``align="center"`` centres it. Splits across pages
    between lines."""

    def __init__(
        self,
        text: object,
        style: "str | Style" = "body",
        rtl: bool = False,
        align: str | None = None,
        _lines: list[str] | None = None,
    ) -> None:
        super().__init__()
        self.text = text
        self.style = style_of(style)
        self.rtl = rtl
        self.align = align or ("right" if rtl else "left")
        self.spaceBefore = self.style.space_before
        self.spaceAfter = self.style.space_after
        self._fixed = _lines  # the lines of one part of a split text
        self._cache: tuple[float, list[str]] | None = None

    def __repr__(self) -> str:
        return f"<Text {str(self.text)[:30]!r}>"

    def lines_for(self, room: float) -> list[str]:
        if self._fixed is not None:
            return self._fixed
        if self._cache is None or self._cache[0] != room:
            self._cache = (room, lines(self.text, self.style.font, self.style.size, room, self.rtl))
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
        canvas.setFont(style.font, style.size)
        canvas.setFillColor(style.color)
        # The baseline sits so the letters (and Persian dots below them) are centred in a line.
        baseline = self.height - style.leading / 2 - style.size * 0.3
        for line in self.lines_for(self.width):
            wide = pdfmetrics.stringWidth(line, style.font, style.size)
            if self.align == "right":
                x = self.width - wide
            elif self.align == "center":
                x = (self.width - wide) / 2
            else:
                x = 0
            canvas.drawString(x, baseline, line)
            baseline -= style.leading


Cell = object  # a text (str, number, None: empty) or a Flowable


def _cell(value: Cell, style: str, rtl: bool) -> Flowable:
    if isinstance(value, Flowable):
        return value
    return Text("" if value is None else value, style, rtl)


def table(
    rows: Sequence[Sequence[Cell]],
    col_widths: Sequence[float | str],
    header: bool = True,
    rtl: bool = False,
    style: str = "small",
) -> Table:
    """A table of ``rows`` (the first is the header when ``header``), columns ``col_widths``
    wide (points, or percentages of the frame such as ``"30%"``), in logical order: for
    ``rtl`` the first column is drawn on the right. The header row repeats on every page; a
    row may split across pages; short rows are padded and an empty table has one empty row."""
    count = len(col_widths)
    data: list[list[Flowable]] = []
    for number, row in enumerate(rows or [[]]):
        cells = (list(row) + [""] * count)[:count]
        name = f"{style}-bold" if header and number == 0 else style
        made = [_cell(value, name, rtl) for value in cells]
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
    rows = [[Text(label, "label", rtl), _cell(value, "body", rtl)] for label, value in shown]
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
