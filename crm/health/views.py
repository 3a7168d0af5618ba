"""The partners whose relationship health is falling, and its export."""

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l

from crm.health import bp
from crm.health.lists import FALLING_SORTS, compared_day, export_falling, falling_ids, load_falling
from crm.health.score import BAND_STYLES, BANDS, band, reason_texts, signed_points
from crm.lists import Column, clean_sort
from crm.security import require
from crm.templating import register_code_tables, register_globals
from crm.web import export_download, fmt, page_of

EXPORT_COLUMNS = [
    Column(_l("Number"), "id"),
    Column(_l("Name in English"), "name_en"),
    Column(_l("Name in Persian"), "name_fa"),
    Column(_l("Country"), "country", lambda f: f.country),
    Column(_l("Health 30 days earlier"), "before"),
    Column(_l("Health now"), "score"),
    Column(_l("Drop"), "drop"),
    Column(_l("Band"), "score", lambda f: lambda score: f.label(BANDS, band(score))),
    Column(_l("Reasons"), "reasons"),
]


@bp.record_once
def _template_globals(state) -> None:
    app: Flask = state.app
    register_code_tables(app, HEALTH_BANDS=BANDS)
    register_globals(
        app,
        health_band=band,
        HEALTH_BAND_STYLES=BAND_STYLES,
        health_reasons=lambda reasons: reason_texts(reasons, fmt()),
        health_points=lambda points: signed_points(points, fmt()),
    )


def _sort() -> str:
    return clean_sort(request.args.get("sort"), FALLING_SORTS, "-drop")


@bp.route("/partners/health/falling")
@require("viewer")
def falling():
    """Current partners whose score is lower than 30 days earlier, the biggest drop first."""
    sort = _sort()
    page = page_of(falling_ids(sort, fmt()), load_falling)
    return render_template("health/falling.html", page=page, sort=sort, day=compared_day())


@bp.route("/partners/health/falling.xlsx", defaults={"file_format": "xlsx"})
@bp.route("/partners/health/falling.csv", defaults={"file_format": "csv"})
@require("viewer")
def export(file_format: str):
    sort, reader = _sort(), fmt()
    return export_download(
        "falling-health",
        EXPORT_COLUMNS,
        lambda: export_falling(sort, reader),
        file_format,
        _l("Falling health"),
    )
