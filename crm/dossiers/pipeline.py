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


def _story(figures: PipelineFigures, fmt: Formatter) -> list[Flowable]:
    rtl = fmt.direction == "rtl"
    say = fmt.translate
    number = fmt.number
    days, expiring = number(EXPIRY_WINDOW_DAYS), number(figures.expiring_total)
    story: list[Flowable] = [
        Text(say(TITLE), "title", rtl),
        key_values(
            [
                (say(_l("As of")), fmt.date(figures.today, "long")),
                (say(_l("Agreements")), number(figures.agreement_total)),
                (say(_l("Expiring in the next %(days)s days", days=days)), expiring),
                (say(_l("Overdue follow-ups")), number(figures.overdue_total)),
            ],
            rtl=rtl,
        ),
    ]

    def section(title: object, first: Flowable, *rest: Flowable) -> None:
        """A heading never ends a page: it goes with its chart or note, or with the start of
        its table (which splits over pages, its header repeated)."""
        heading = Text(say(title), "heading", rtl)
        if isinstance(first, Table):
            story.extend([CondPageBreak(TABLE_START), heading, first])
        else:
            story.append(KeepTogether([heading, first]))
        story.extend(rest)

    def note(text: object) -> Text:
        return Text(say(text), "muted", rtl)

    stages = fmt.labels(STAGES)
    if figures.agreement_total:
        items = [(stages[code], count) for code, count in figures.by_stage.items()]
        section(_l("Agreements by stage"), bar_chart(items, WIDTH, number, rtl))
        domains = fmt.labels(DOMAINS)
        items = [(domains[code], count) for code, count in figures.by_domain.items()]
        section(
            _l("Agreements by domain"),
            column_chart(items, WIDTH, number, rtl),
            note(_l("An agreement with parties in more than one domain counts in each.")),
        )
    else:
        section(_l("Agreements by stage"), note(_l("No agreements yet.")))

    if figures.stage_times:
        rows: list[list[object]] = [
            [
                say(_l("Stage")),
                say(_l("Times entered")),
                say(_l("Median days")),
                say(_l("Mean days")),
            ]
        ]
        for row in figures.stage_times:
            rows.append(
                [
                    stages[row.stage],
                    number(row.spells),
                    number(round(row.median_days, 1)),
                    number(round(row.mean_days, 1)),
                ]
            )
        stage_table = table(rows, ["37%", "21%", "21%", "21%"], rtl=rtl)
        section(
            _l("Time spent in each stage"),
            stage_table,
            note(
                _l(
                    "From each move into a stage to the move out of it, in the stage history; "
                    "the stage an agreement is in counts up to today."
                )
            ),
        )
    else:
        section(_l("Time spent in each stage"), note(_l("No stage history yet.")))

    heading = _l("Expiring in the next %(days)s days", days=days)
    if figures.expiring:
        confidential = f" ({fmt.label(CONFIDENTIALITY, 'confidential')})"
        rows = [
            [
                say(_l("Agreement")),
                say(_l("Parties")),
                say(_l("Expires")),
                say(_l("Days left")),
                say(_l("Owner")),
            ]
        ]
        for item in figures.expiring:
            rows.append(
                [
                    item.title + (confidential if item.confidential else ""),
                    fmt.list(item.partners),
                    fmt.date(item.expires_on),
                    number(item.days_left),
                    item.owner,
                ]
            )
        body: list[Flowable] = [table(rows, ["32%", "24%", "15%", "10%", "19%"], rtl=rtl)]
        if figures.expiring_total > len(figures.expiring):
            body.append(
                note(
                    _l(
                        "The first %(shown)s of %(total)s are listed.",
                        shown=number(len(figures.expiring)),
                        total=number(figures.expiring_total),
                    )
                )
            )
        section(heading, *body)
    else:
        section(heading, note(_l("No agreement expires in the next 90 days.")))

    if figures.overdue:
        rows = [[say(_l("Owner")), say(_l("Overdue")), say(_l("Oldest due date"))]]
        for owner in figures.overdue:
            rows.append([owner.owner, number(owner.count), fmt.date(owner.oldest)])
        section(_l("Overdue follow-ups by owner"), table(rows, ["50%", "20%", "30%"], rtl=rtl))
    else:
        section(_l("Overdue follow-ups by owner"), note(_l("Nothing overdue.")))
    story.append(Spacer(1, 4))
    return story
