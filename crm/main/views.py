"""Start page, global search and the health check."""

from flask import jsonify, render_template

from crm.extensions import db
from crm.main import bp
from crm.security import require


@bp.route("/")
@require("viewer")
def index():
    return render_template("main/index.html")


@bp.route("/search")
@require("viewer")
def search():
    return render_template("main/search.html")


@bp.route("/health")
def health():
    """For the load balancer: the app answers and the database is reachable."""
    db.session.execute(db.text("SELECT 1"))
    return jsonify(status="ok")
