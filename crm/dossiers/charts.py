"""Bar charts for PDFs, drawn with ReportLab's own graphics (``reportlab.graphics.charts``).

Every label (categories, values, axis ticks) is a line from ``crm.dossiers.text.lines``: shaped
Persian in drawing order, in the PDF font, so a chart speaks the reader's language and digits
as the text around it does. In a right-to-left document a chart reads from the right: the bars
of a column chart run from right to left, and the bars of a bar chart grow leftwards from their
labels on the right.
"""

import math
from collections.abc import Callable, Sequence

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors

from crm.dossiers.fonts import FONT
from crm.dossiers.text import lines

BAR = colors.HexColor("#0d6efd")
AXIS = colors.HexColor("#6c757d")
GRID = colors.HexColor("#dee2e6")
LABEL_SIZE, VALUE_SIZE = 8, 7.5
ROW = 17  # points per bar of a bar chart

Number = Callable[[float], str]  # a count in the reader's digits (``Formatter.number``)


def _label(text: str, room: float, rtl: bool, most: int = 2) -> str:
    """``text`` as at most ``most`` drawn lines (joined by newlines, which a chart's label
    draws one under the other), each at most ``room`` points wide."""
    drawn = lines(text, FONT, LABEL_SIZE, room, rtl)
    if len(drawn) > most:
        drawn = [*drawn[: most - 1], lines(" ".join(drawn[most - 1 :]), FONT, LABEL_SIZE, 1e9)[0]]
    return "\n".join(drawn)


def _scale(top: int) -> tuple[int, int]:
    """A round step and the axis's top value for counts up to ``top`` (whole numbers only)."""
    rough = max(top, 1) / 5
    power = 10 ** math.floor(math.log10(rough)) if rough >= 1 else 1
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= rough)
    step = max(1, int(step))
    return step, max(step, math.ceil(max(top, 1) / step) * step)


def _values(axis, top: int, number: Number) -> None:
    axis.valueMin = 0
    axis.valueStep, axis.valueMax = _scale(top + top // 10)  # room for the largest bar's count
    axis.labelTextFormat = lambda value: lines(number(int(value)), FONT, VALUE_SIZE, 1e9)[0]
    axis.labels.fontName, axis.labels.fontSize = FONT, VALUE_SIZE
    axis.labels.fillColor = AXIS
    axis.strokeColor = AXIS
    axis.visibleGrid, axis.gridStrokeColor, axis.gridStrokeWidth = 1, GRID, 0.5


def _bar_values(chart, number: Number) -> None:
    chart.barLabelFormat = lambda value: lines(number(int(value)), FONT, VALUE_SIZE, 1e9)[0]
    chart.barLabels.fontName, chart.barLabels.fontSize = FONT, VALUE_SIZE
    chart.bars[0].fillColor, chart.bars[0].strokeColor = BAR, None


def bar_chart(
    items: Sequence[tuple[str, int]], width: float, number: Number, rtl: bool = False
) -> Drawing:
    """Horizontal bars, one per ``(label, count)``, the first at the top: the labels at the
    start of the line (the left, or the right for ``rtl``), the bars growing away from them."""
    label_room = min(120.0, width * 0.3)
    height = ROW * len(items) + 24
    drawing = Drawing(width, height)
    chart = HorizontalBarChart()
    chart.y, chart.height = 16, height - 22
    chart.width = width - label_room - 28
    chart.x = 14 if rtl else label_room + 10
    chart.data = [[count for _label, count in items]]
    chart.categoryAxis.categoryNames = [_label(text, label_room - 8, rtl, 1) for text, _n in items]
    chart.categoryAxis.reverseDirection = 1  # the first item at the top
    chart.categoryAxis.strokeColor = AXIS
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = FONT, LABEL_SIZE
    if rtl:  # the labels on the right, the bars growing to the left
        chart.valueAxis.reverseDirection = 1
        chart.categoryAxis.joinAxisMode = "right"
        chart.categoryAxis.labels.boxAnchor, chart.categoryAxis.labels.dx = "w", 6
        chart.categoryAxis.labels.textAnchor = "end"
        chart.categoryAxis.tickLeft, chart.categoryAxis.tickRight = 0, 5
    else:
        chart.categoryAxis.labels.boxAnchor, chart.categoryAxis.labels.dx = "e", -6
    # after the end of each bar (ReportLab turns the anchor round for a bar drawn leftwards,
    # but not for a bar of no length)
    chart.barLabels.boxAnchor, chart.barLabels.dx = "w", 3
    for index, (_text, count) in enumerate(items):
        if rtl and not count:
            chart.barLabels[(0, index)].boxAnchor = "e"
            chart.barLabels[(0, index)].dx = -3
    chart.barWidth, chart.groupSpacing = 10, 7
    _values(chart.valueAxis, max((count for _l, count in items), default=0), number)
    _bar_values(chart, number)
    drawing.add(chart)
    return drawing


def column_chart(
    items: Sequence[tuple[str, int]], width: float, number: Number, rtl: bool = False
) -> Drawing:
    """Vertical bars, one per ``(label, count)``, from the left (from the right for ``rtl``),
    their labels under them (up to two lines each)."""
    height = 170.0
    drawing = Drawing(width, height)
    chart = VerticalBarChart()
    chart.x, chart.y = (8, 40) if rtl else (36, 40)
    chart.width, chart.height = width - 44, height - 52
    ordered = list(reversed(items)) if rtl else list(items)
    room = chart.width / max(len(items), 1) - 10
    chart.data = [[count for _label, count in ordered]]
    chart.categoryAxis.categoryNames = [_label(text, room, rtl) for text, _n in ordered]
    chart.categoryAxis.strokeColor = AXIS
    labels = chart.categoryAxis.labels
    labels.fontName, labels.fontSize, labels.leading = FONT, LABEL_SIZE, LABEL_SIZE * 1.6
    labels.boxAnchor, labels.dy, labels.textAnchor = "n", -4, "middle"
    if rtl:  # the count scale on the right, where the reading starts
        chart.valueAxis.joinAxisMode, chart.valueAxis.joinAxisPos = "right", None
        chart.valueAxis.labels.boxAnchor, chart.valueAxis.labels.dx = "w", 5
    chart.barLabels.boxAnchor, chart.barLabels.dy = "s", 3
    chart.barWidth, chart.groupSpacing = 10, 18
    _values(chart.valueAxis, max((count for _l, count in items), default=0), number)
    _bar_values(chart, number)
    drawing.add(chart)
    return drawing
