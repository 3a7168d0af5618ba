"""Stage-approval requests: a manager's "awaiting my approval" list (grant or refuse each) and
a staff member's own requests; the navbar's count of what waits for a manager."""

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from crm.agreements import bp
from crm.agreements import requests as stage_requests
from crm.agreements.forms import DecisionForm
from crm.agreements.models import StageRequest
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.permissions import can
from crm.security import require
from crm.templating import register_globals
from crm.web import page_of, show_errors

NAV_CAP = 100  # the navbar counts this far; 100 or more shows as "99+"


@bp.record_once
def _template_globals(state) -> None:
    register_globals(state.app, pending_requests=pending_requests)


def pending_requests() -> int:
    """For a manager's navbar: the requests waiting for a decision, once per request (0 for
    anyone else, or when the database fails on an error page)."""
    if "pending_requests" not in g:
        try:
            g.pending_requests = stage_requests.pending_count(current_user, NAV_CAP)
        except SQLAlchemyError:
            db.session.rollback()
            current_app.logger.exception("The pending stage requests could not be counted")
            g.pending_requests = 0
    return g.pending_requests


def _page(forms: dict[int, DecisionForm] | None = None, status: int = 200):
    manager = can(current_user, "decide", StageRequest)
    page = page_of(stage_requests.pending_query(current_user)) if manager else None
    forms = forms or {}
    if page is not None:
        for item in page.items:
            forms.setdefault(item.id, DecisionForm(formdata=None, prefix=f"r{item.id}"))
    return render_template(
        "agreements/requests.html",
        page=page,
        forms=forms,
        mine=stage_requests.my_requests(current_user),
    ), status


@bp.route("/requests")
@require("staff")
def requests():
    return _page()


@bp.route("/requests/<id:request_id>", methods=["POST"])
@require("manager")
def decide(request_id: int):
    """Grant or refuse one request (the button pressed says which)."""
    stage_request = stage_requests.get_request(request_id, current_user)
    form = DecisionForm(prefix=f"r{request_id}")
    granting = request.form.get("decision") == "grant"
    if form.validate_on_submit():
        try:
            if granting:
                stage_requests.grant(stage_request, form.reason.data)
            else:
                stage_requests.refuse(stage_request, form.reason.data)
        except RuleBroken as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(
                _("The request was granted; the agreement moved.")
                if granting
                else _("The request was refused; the requester is told why."),
                "success",
            )
            return redirect(url_for("agreements.requests"))
    flash(_("The request was not decided; please correct the marked fields."), "danger")
    return _page({request_id: form}, status=400)
