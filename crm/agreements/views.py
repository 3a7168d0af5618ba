"""Views of agreements (being built)."""

from flask import render_template

from crm.agreements import bp
from crm.security import require


@bp.route("/")
@require("viewer")
def index():
    return render_template("main/index.html")
