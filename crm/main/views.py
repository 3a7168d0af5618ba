"""Start page, dashboard, global search, the managers' pipeline report and the health check."""

import io

from flask import render_template, request, send_file
from flask_login import current_user

from crm.dossiers.pipeline import pipeline_pdf
from crm.main import bp, figures, services
from crm.main.dashboard import panels
from crm.security import require
from crm.web import fmt


@bp.route("/")
@require("viewer")
def index():
    return render_template("main/index.html", board=services.dashboard(current_user, fmt()))


@bp.route("/dashboard")
@require("viewer")
def dashboard():
    """The figures of the city's international work, as far as the reader may see them, each
    linked to the list behind it."""
    reader = fmt()
    found = figures.dashboard_figures(current_user, reader)
    return render_template("main/dashboard.html", figures=found, panels=panels(found, reader))


@bp.route("/search")
@require("viewer")
def search():
    text = request.args.get("q", "")[:200]
    results = services.search_everything(current_user, text)
    return render_template("main/search.html", results=results, limit=services.SEARCH_LIMIT)


@bp.route("/reports/pipeline.pdf")
@require("manager")
def pipeline_report():
    """The pipeline report, built in the request and downloaded at once, in the language of
    ``?lang=`` (else the reader's)."""
    reader = fmt()
    pdf = pipeline_pdf(current_user, reader)
    return send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"pipeline-report-{reader.file_date()}.pdf",
        max_age=0,
    )
