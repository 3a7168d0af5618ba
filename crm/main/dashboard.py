"""The dashboard's charts as panels: for each, its rows (a label, the list behind it, the
figures) from ``crm.main.figures``, which the template draws as a chart and, for screen readers
and keyboards, as a table with the same figures and links. Built in a request (the links)."""

from dataclasses import dataclass
from typing import Any

from flask import url_for
from flask_babel import lazy_gettext as _l

from crm.agreements.models import STAGES
from crm.formatting import Formatter
from crm.main.figures import DashboardFigures
from crm.reference import DOMAINS


@dataclass(frozen=True)
class Cell:
    value: float
    href: str | None = None  # the list that shows this many


@dataclass(frozen=True)
class Row:
    label: str
    href: str  # the list behind the row (a bar or a slice of the chart leads there)
    cells: tuple[Cell, ...]  # the first is the chart's value
    label_linked: bool = False  # the label links, not the figures (they are no counts)


@dataclass(frozen=True)
class Panel:
    key: str  # chart-<key>, table-<key>, <key>-heading
    kind: str  # bar, hbar (bars lying down) or doughnut
    title: str
    heading: str  # of the label column
    columns: tuple[str, ...]  # of the figure columns; the first is the chart's series
    rows: tuple[Row, ...]
    empty: str = ""  # said instead of the chart when there are no rows
    note: str = ""
    total: int | None = None

    @property
    def labels(self) -> list[str]:
        return [row.label for row in self.rows]

    @property
    def values(self) -> list[float]:
        return [row.cells[0].value for row in self.rows]

    @property
    def links(self) -> list[str]:
        return [row.href for row in self.rows]


def panels(f: DashboardFigures, fmt: Formatter) -> list[Panel]:
    t = fmt.translate
    p = f.pipeline
    since = {"date_from": fmt.date_input(f.months_first), "date_to": fmt.date_input(f.months_last)}
    activities, agreements, partners = t(_l("Activities")), t(_l("Agreements")), t(_l("Partners"))

    def activity_list(**args: Any) -> str:
        return url_for("activities.index", **args)

    def agreement_list(**args: Any) -> str:
        return url_for("agreements.index", **args)

    months = tuple(
        Row(m.label, href, (Cell(m.count, href),))
        for m in f.months
        for href in [
            activity_list(date_from=fmt.date_input(m.first), date_to=fmt.date_input(m.last))
        ]
    )
    domains = tuple(
        Row(
            fmt.label(DOMAINS, code),
            href,
            (Cell(count, href), Cell(p.by_domain.get(code, 0), agreement_list(domain=code))),
        )
        for code, count in f.activity_by_domain.items()
        for href in [activity_list(domain=code, **since)]
    )
    stages = tuple(
        Row(fmt.label(STAGES, code), href, (Cell(count, href),))
        for code, count in p.by_stage.items()
        for href in [agreement_list(stage=code)]
    )
    times = tuple(
        Row(
            fmt.label(STAGES, s.stage),
            agreement_list(stage=s.stage),
            (Cell(round(s.median_days, 1)), Cell(round(s.mean_days, 1)), Cell(s.spells)),
            label_linked=True,
        )
        for s in p.stage_times
    )
    areas = tuple(
        Row(a.name, href, (Cell(a.count, href),))
        for a in f.by_area
        for href in [agreement_list(area_id=a.id)]
    )
    countries = tuple(
        Row(
            c.name,
            href,
            (Cell(c.partners, href), Cell(c.agreements, agreement_list(country=c.code))),
        )
        for c in f.countries
        for href in [url_for("partners.index", country=c.code)]
    )
    start, end = fmt.date(f.months_first), fmt.date(f.months_last)
    period = t(_l("From %(start)s to %(end)s", start=start, end=end))
    return [
        Panel(
            "months",
            "bar",
            t(_l("Activities per month")),
            t(_l("Month")),
            (activities,),
            months,
        ),
        Panel(
            "domains",
            "doughnut",
            t(_l("Activities by domain")),
            t(_l("Domain")),
            (activities, agreements),
            domains,
            note=period,
        ),
        Panel(
            "stages",
            "bar",
            t(_l("Agreements by stage")),
            t(_l("Stage")),
            (agreements,),
            stages,
            total=p.agreement_total,
        ),
        Panel(
            "times",
            "bar",
            t(_l("Median days in each stage")),
            t(_l("Stage")),
            (t(_l("Median days")), t(_l("Mean days")), t(_l("Times entered"))),
            times,
            empty=t(_l("No agreement has a stage history yet.")),
        ),
        Panel(
            "areas",
            "hbar",
            t(_l("Agreements by cooperation area")),
            t(_l("Cooperation area")),
            (agreements,),
            areas,
        ),
        Panel(
            "countries",
            "hbar",
            t(_l("Top countries")),
            t(_l("Country")),
            (partners, agreements),
            countries,
            empty=t(_l("No partner has a country yet.")),
        ),
    ]
