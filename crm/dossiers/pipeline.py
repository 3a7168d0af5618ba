"""The pipeline report for managers: agreements by stage and by domain (charts), the days
agreements spend in each stage, the agreements expiring in the next 90 days and the overdue
follow-ups of each owner, from the one service of the pipeline's figures
(``crm.main.figures``), so it holds only what its reader may see.

``pipeline_pdf`` is called by the download route and by the report job alike; it tells its
progress through ``on_progress(percent, step)``, the step in the reader's language.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from reportlab.lib.pagesizes import A4
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer, Table

from crm.agreements.models import CONFIDENTIALITY, STAGES
from crm.dossiers.charts import bar_chart, column_chart
from crm.dossiers.document import MARGIN, build_pdf
from crm.dossiers.flowables import Text, key_values, table
from crm.formatting import Formatter
from crm.main.figures import EXPIRY_WINDOW_DAYS, PipelineFigures, pipeline_figures
from crm.models import utcnow
from crm.reference import DOMAINS

Progress = Callable[[int, str], None]
WIDTH = A4[0] - 2 * MARGIN  # the frame's width
EXPIRING_SHOWN = 300  # rows of the expiry table; a note tells how many more there are
TABLE_START = 110  # points: a heading, a table's header and a few rows

TITLE = _l("Agreement pipeline report")
STEPS = {
    "figures": _l("Counting the pipeline"),
    "charts": _l("Drawing the charts"),
    "pages": _l("Laying out the pages"),
    "done": _l("Ready"),
}


def pipeline_pdf(
    reader: Any,
    fmt: Formatter,
    *,
    on_progress: Progress | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """The pipeline report as ``reader`` may see it, in ``fmt``'s language, as PDF bytes. A
    report that counts a confidential agreement is marked confidential on every page."""
    now = now or utcnow()
    tell = _Progress(on_progress, fmt)
    tell(5, "figures")
    figures = pipeline_figures(reader, fmt, now=now, limit=EXPIRING_SHOWN)
    tell(30, "charts")
    story = _story(figures, fmt)
    tell(45, "pages")
    marking = fmt.label(CONFIDENTIALITY, "confidential") if figures.confidential_total else None
    pdf = build_pdf(
        story,
        fmt=fmt,
        reader=reader,
        title=fmt.translate(TITLE),
        marking=marking,
        on_build=tell.building,
        now=now,
    )
    tell(100, "done")
    return pdf


class _Progress:
    """Passes progress on in the reader's words, the layout's share (45–95 %) by the flowables
    ReportLab has placed, each percent once."""

    def __init__(self, listener: Progress | None, fmt: Formatter) -> None:
        self.listener, self.fmt = listener, fmt
        self.last, self.size = -1, 1

    def __call__(self, percent: int, step: str) -> None:
        if self.listener is not None and percent > self.last:
            self.last = percent
            self.listener(percent, self.fmt.translate(STEPS[step]))

    def building(self, kind: str, value: int) -> None:
        if kind == "SIZE_EST":
            self.size = max(int(value), 1)
        elif kind == "PROGRESS":
            self(45 + min(50, 50 * int(value) // self.size), "pages")


class _Story:
    """The report's flowables, section by section, in the reader's language and direction."""

    def __init__(self, fmt: Formatter) -> None:
        self.fmt, self.rtl = fmt, fmt.direction == "rtl"
        self.flowables: list[Flowable] = []

    def say(self, text: object) -> str:
        return self.fmt.translate(text)

    def note(self, text: object) -> Text:
        return Text(self.say(text), "muted", self.rtl)

    def section(self, title: object, first: Flowable, *rest: Flowable) -> None:
        """A heading never ends a page: it goes with its chart or note, or with the start of
        its table (which splits over pages, its header repeated)."""
        heading = Text(self.say(title), "heading", self.rtl)
        if isinstance(first, Table):
            self.flowables.extend([CondPageBreak(TABLE_START), heading, first])
        else:
            self.flowables.append(KeepTogether([heading, first]))
        self.flowables.extend(rest)

    def table(self, header: list[object], rows: list[list[str]], widths: list[str]) -> Table:
        return table([[self.say(h) for h in header], *rows], widths, rtl=self.rtl)


def _story(figures: PipelineFigures, fmt: Formatter) -> list[Flowable]:
    story = _Story(fmt)
    number, days = fmt.number, fmt.number(EXPIRY_WINDOW_DAYS)
    story.flowables += [
        Text(story.say(TITLE), "title", story.rtl),
        key_values(
            [
                (story.say(_l("As of")), fmt.date(figures.today, "long")),
                (story.say(_l("Agreements")), number(figures.agreement_total)),
                (
                    story.say(_l("Expiring in the next %(days)s days", days=days)),
                    number(figures.expiring_total),
                ),
                (story.say(_l("Overdue follow-ups")), number(figures.overdue_total)),
            ],
            rtl=story.rtl,
        ),
    ]
    _charts(story, figures)
    _stage_times(story, figures)
    _expiring(story, figures)
    _overdue(story, figures)
    story.flowables.append(Spacer(1, 4))
    return story.flowables


def _charts(story: _Story, figures: PipelineFigures) -> None:
    fmt, rtl = story.fmt, story.rtl
    if not figures.agreement_total:
        story.section(_l("Agreements by stage"), story.note(_l("No agreements yet.")))
        return
    stages, domains = fmt.labels(STAGES), fmt.labels(DOMAINS)
    items = [(stages[code], count) for code, count in figures.by_stage.items()]
    story.section(_l("Agreements by stage"), bar_chart(items, WIDTH, fmt.number, rtl))
    items = [(domains[code], count) for code, count in figures.by_domain.items()]
    story.section(
        _l("Agreements by domain"),
        column_chart(items, WIDTH, fmt.number, rtl),
        story.note(_l("An agreement with parties in more than one domain counts in each.")),
    )


def _stage_times(story: _Story, figures: PipelineFigures) -> None:
    title = _l("Time spent in each stage")
    if not figures.stage_times:
        story.section(title, story.note(_l("No stage history yet.")))
        return
    stages, number = story.fmt.labels(STAGES), story.fmt.number
    rows = [
        [
            stages[row.stage],
            number(row.spells),
            number(round(row.median_days, 1)),
            number(round(row.mean_days, 1)),
        ]
        for row in figures.stage_times
    ]
    header = [_l("Stage"), _l("Times entered"), _l("Median days"), _l("Mean days")]
    story.section(
        title,
        story.table(header, rows, ["37%", "21%", "21%", "21%"]),
        story.note(
            _l(
                "From each move into a stage to the move out of it, in the stage history; "
                "the stage an agreement is in counts up to today."
            )
        ),
    )


def _expiring(story: _Story, figures: PipelineFigures) -> None:
    fmt = story.fmt
    title = _l("Expiring in the next %(days)s days", days=fmt.number(EXPIRY_WINDOW_DAYS))
    if not figures.expiring:
        story.section(title, story.note(_l("No agreement expires in the next 90 days.")))
        return
    confidential = f" ({fmt.label(CONFIDENTIALITY, 'confidential')})"
    rows = [
        [
            item.title + (confidential if item.confidential else ""),
            fmt.list(item.partners),
            fmt.date(item.expires_on),
            fmt.number(item.days_left),
            item.owner,
        ]
        for item in figures.expiring
    ]
    header = [_l("Agreement"), _l("Parties"), _l("Expires"), _l("Days left"), _l("Owner")]
    more: list[Flowable] = []
    if figures.expiring_total > len(figures.expiring):
        listed = _l(
            "The first %(shown)s of %(total)s are listed.",
            shown=fmt.number(len(figures.expiring)),
            total=fmt.number(figures.expiring_total),
        )
        more.append(story.note(listed))
    story.section(title, story.table(header, rows, ["32%", "24%", "15%", "10%", "19%"]), *more)


def _overdue(story: _Story, figures: PipelineFigures) -> None:
    title = _l("Overdue follow-ups by owner")
    if not figures.overdue:
        story.section(title, story.note(_l("Nothing overdue.")))
        return
    fmt = story.fmt
    rows = [
        [owner.owner, fmt.number(owner.count), fmt.date(owner.oldest)] for owner in figures.overdue
    ]
    header = [_l("Owner"), _l("Overdue"), _l("Oldest due date")]
    story.section(title, story.table(header, rows, ["50%", "20%", "30%"]))
