"""Views of partners (being built)."""

from flask import render_template

from crm.partners import bp
from crm.security import require


@bp.route("/partners/")
@require("viewer")
def index():
    return render_template("main/index.html")


@bp.route("/contacts/")
@require("viewer")
def contacts():
    return render_template("main/index.html")
