"""Pages for a reader: ``build_pdf`` lays a story out on A4 with a header (the city, the
document's title, an optional marking such as "Confidential" on every page), a footer
("Prepared for … at …", "Page N of M") in the reader's language and digits, and a table of
contents when the story holds one (``Contents`` and ``Section``; several passes until the page
numbers settle).
"""

import datetime as dt
import io
from collections.abc import Callable
from functools import partial
from typing import Any

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate
from reportlab.platypus.tableofcontents import IndexingFlowable

from crm.dossiers.flowables import MUTED, RULE, Text, draw_string, table
from crm.dossiers.fonts import FONT, FONT_BOLD, ensure_fonts
from crm.dossiers.text import lines
from crm.formatting import Formatter

MARGIN, TOP, BOTTOM = 18 * mm, 24 * mm, 20 * mm
FOOTER = BOTTOM - 12 * mm  # the footer's baseline
MARKING_COLOR = colors.HexColor("#b02a37")
CITY_DEFAULTS = {"en": "Tehran Municipality", "fa": "شهرداری تهران"}

OnPage = Callable[[Canvas, BaseDocTemplate], None]
OnBuild = Callable[[str, int], None]


def city_name(fmt: Formatter) -> str:
    """The city whose office makes the documents (``CRM_CITY_NAME_FA``/``_EN``)."""
    key = "fa" if fmt.persian else "en"
    if has_app_context():
        return str(current_app.config.get(f"CRM_CITY_NAME_{key.upper()}") or CITY_DEFAULTS[key])
    return CITY_DEFAULTS[key]


def draw_line(
    canvas: Canvas,
    text: str,
    font: str,
    size: float,
    x0: float,
    x1: float,
    y: float,
    rtl: bool,
    align: str = "start",
) -> None:
    """One line of text between ``x0`` and ``x1`` (the first line of a text too long for the
    room), against the start side of ``rtl`` (the right for Persian) or ``align="end"``."""
    drawn = lines(text, font, size, x1 - x0, rtl)
    if drawn:
        side = "right" if (align == "start") == rtl else "left"
        draw_string(canvas, x0, x1, y, drawn[0], font, size, side)


class Section(Flowable):
    """An invisible mark where a section starts: a bookmark in the PDF's outline and, when the
    story holds a ``Contents``, an entry there with this page's number."""

    def __init__(self, title: str, key: str, level: int = 0) -> None:
        super().__init__()
        self.title, self.key, self.level = title, key, level
        self.width = self.height = 0

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.canv.bookmarkPage(self.key)
        self.canv.addOutlineEntry(self.title, self.key, self.level, closed=True)


class Contents(IndexingFlowable):
    """A table of contents: each ``Section``'s title and page number, right to left for
    ``rtl``. Known only after a pass, so ``build_pdf`` builds again until they stay put."""

    def __init__(self, fmt: Formatter, rtl: bool) -> None:
        super().__init__()
        self.fmt, self.rtl = fmt, rtl
        self.entries: list[tuple[int, str, int, str]] = []
        self._last: list[tuple[int, str, int, str]] = []
        self._table: Any = None

    def notify(self, kind: str, stuff: Any) -> None:
        if kind == "TOCEntry":
            self.entries.append(stuff)

    def beforeBuild(self) -> None:
        self._last, self.entries = self.entries, []

    def isSatisfied(self) -> bool:
        return self.entries == self._last

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:
        shown = self._last or [(0, "", 0, "")]
        rows = [
            [
                Text(title, "body", self.rtl),
                Text(
                    self.fmt.number(page) if page else "",
                    "body",
                    self.rtl,
                    "left" if self.rtl else "right",
                ),
            ]
            for _level, title, page, _key in shown
        ]
        self._table = table(rows, ["88%", "12%"], header=False, rtl=self.rtl)
        return self._table.wrap(availWidth, availHeight)

    def split(self, availWidth: float, availHeight: float) -> list[Flowable]:
        self.wrap(availWidth, availHeight)
        return self._table.split(availWidth, availHeight)

    def drawOn(self, canvas: Canvas, x: float, y: float, _sW: float = 0) -> None:
        self._table.drawOn(canvas, x, y, _sW)


class _Document(BaseDocTemplate):
    def afterFlowable(self, flowable: Flowable) -> None:
        if isinstance(flowable, Section):
            self.notify("TOCEntry", (flowable.level, flowable.title, self.page, flowable.key))


class _NumberedCanvas(Canvas):
    """Keeps every page until the end, then writes "Page N of M" on each (M known by then)."""

    def __init__(self, *args: Any, page_label: Callable[[int, int], str], rtl: bool, **kw: Any):
        super().__init__(*args, **kw)
        self._kept: list[dict[str, Any]] = []
        self._page_label, self._rtl = page_label, rtl

    def showPage(self) -> None:
        self._kept.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._kept)
        for state in self._kept:
            self.__dict__.update(state)
            width = self._pagesize[0]
            self.setFillColor(MUTED)
            label = self._page_label(self._pageNumber, total)
            draw_line(self, label, FONT, 8, MARGIN, width - MARGIN, FOOTER, self._rtl, "end")
            super().showPage()
        super().save()


def build_pdf(
    story: list[Flowable],
    *,
    fmt: Formatter,
    reader: Any,
    title: str,
    marking: str | None = None,
    on_page: OnPage | None = None,
    on_build: OnBuild | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """The story as a PDF for ``reader`` (whose name is in the footer), in ``fmt``'s language.
    ``marking`` (already translated) is printed in every page's header; ``on_page(canvas, doc)``
    draws more on each page; ``on_build(kind, value)`` hears ReportLab's progress ("PASS",
    "PAGE", …)."""
    ensure_fonts()
    rtl = fmt.direction == "rtl"
    city = city_name(fmt)
    prepared = fmt.translate(
        _l(
            "Prepared for %(name)s at %(when)s",
            name=fmt.name(reader),
            when=fmt.datetime(now or dt.datetime.now(dt.UTC)),
        )
    )
    page_text = fmt.translate(_l("Page %(page)s of %(pages)s", page="{page}", pages="{pages}"))

    def page_label(page: int, pages: int) -> str:
        return page_text.format(page=fmt.number(page), pages=fmt.number(pages))

    def decorate(canvas: Canvas, doc: BaseDocTemplate) -> None:
        width, height = doc.pagesize
        half = (width - 2 * MARGIN) / 2 - 4 * mm
        top = height - TOP + 9 * mm
        canvas.saveState()
        canvas.setFillColor(colors.black)
        # The city at the start of the line (the right in Persian), the title at its end.
        start = (width - MARGIN - half, width - MARGIN) if rtl else (MARGIN, MARGIN + half)
        end = (MARGIN, MARGIN + half) if rtl else (width - MARGIN - half, width - MARGIN)
        draw_line(canvas, city, FONT_BOLD, 9, *start, top, rtl)
        draw_line(canvas, title, FONT, 9, *end, top, rtl, "end")
        if marking:
            canvas.setFillColor(MARKING_COLOR)
            for line in lines(marking, FONT_BOLD, 10, width - 2 * MARGIN, rtl)[:1]:
                draw_string(
                    canvas, MARGIN, width - MARGIN, top + 5 * mm, line, FONT_BOLD, 10, "center"
                )
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, top - 2.5 * mm, width - MARGIN, top - 2.5 * mm)
        canvas.line(MARGIN, FOOTER + 6 * mm, width - MARGIN, FOOTER + 6 * mm)
        canvas.setFillColor(MUTED)
        # "Prepared for" from the start side, leaving room for "Page N of M" at the end.
        room = (MARGIN + 40 * mm, width - MARGIN) if rtl else (MARGIN, width - MARGIN - 40 * mm)
        draw_line(canvas, prepared, FONT, 8, *room, FOOTER, rtl)
        canvas.restoreState()
        if on_page is not None:
            on_page(canvas, doc)

    output = io.BytesIO()
    doc = _Document(
        output,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=TOP,
        bottomMargin=BOTTOM,
        title=title,
        author=city,
        subject=prepared,
        creator="Sister-city CRM",
        lang=fmt.locale,
        direction="R2L" if rtl else "L2R",
        displayDocTitle=True,
    )
    frame = Frame(
        MARGIN,
        BOTTOM,
        A4[0] - 2 * MARGIN,
        A4[1] - TOP - BOTTOM,
        id="body",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    doc.addPageTemplates([PageTemplate("page", [frame], onPage=decorate)])
    if on_build is not None:
        doc.setProgressCallBack(on_build)
    canvasmaker = partial(_NumberedCanvas, page_label=page_label, rtl=rtl)
    if any(isinstance(item, Contents) for item in story):
        doc.multiBuild(list(story), canvasmaker=canvasmaker)
    else:
        doc.build(list(story), canvasmaker=canvasmaker)
    return output.getvalue()
