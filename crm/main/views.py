"""Start page, global search and the health check."""

from flask import jsonify, render_template, request
from flask_login import current_user

from crm.extensions import db
from crm.main import bp, services
from crm.security import require
from crm.web import fmt


@bp.route("/")
@require("viewer")
def index():
    return render_template("main/index.html", board=services.dashboard(current_user, fmt()))


@bp.route("/search")
@require("viewer")
def search():
    text = request.args.get("q", "")[:200]
    results = services.search_everything(current_user, text)
    return render_template("main/search.html", results=results, limit=services.SEARCH_LIMIT)


@bp.route("/health")
def health():
    """For the load balancer: the app answers and the database is reachable."""
    db.session.execute(db.text("SELECT 1"))
    return jsonify(status="ok")
