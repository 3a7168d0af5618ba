"""Views of activities (being built)."""

from flask import render_template

from crm.activities import bp
from crm.security import require


@bp.route("/")
@require("viewer")
def index():
    return render_template("main/index.html")


@bp.route("/mine")
@require("viewer")
def mine():
    return render_template("main/index.html")
