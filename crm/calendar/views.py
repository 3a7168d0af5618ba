"""The calendar page, the feed, and the feed's address on the settings page."""

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.calendar import bp, feed, grid, tokens
from crm.calendar.entries import Entry, collect_per_day
from crm.extensions import db
from crm.formatting import Formatter
from crm.security import require
from crm.web import fmt


@bp.route("")
@require("viewer")
def index():
    reader = fmt()
    view = request.args.get("view", "month")
    problem = None
    if view not in grid.VIEWS:
        view, problem = "month", _("There is no such calendar view; here is the month.")
    asked = request.args.get("date")
    anchor = grid.parse_day(asked) if asked else reader.today()
    if anchor is None:
        anchor = reader.today()
        problem = _(
            "That date could not be read (use a date such as %(example)s); here is today.",
            example=reader.today().isoformat(),
        )
    mine = request.args.get("mine") == "1"
    period = grid.period(reader, view, anchor)
    user = current_user._get_current_object()
    per_day = grid.PER_CELL if view == "month" else None
    entries, totals = collect_per_day(
        user, reader, period.grid_first, period.grid_end, mine, per_day
    )
    grid.place(period, entries, totals)
    page = render_template("calendar/index.html", period=period, mine=mine, problem=problem)
    return page, 400 if problem else 200


def _entry_url(entry: Entry, **extra: Any) -> str:
    return url_for(entry.endpoint, **entry.args, _anchor=entry.anchor or None, **extra)


@bp.route("/feed/<token>.ics")
def feed_ics(token: str):
    """The feed: no sign-in, the token is the key. An unknown or revoked token, or a
    deactivated user, is "not found"."""
    user = tokens.feed_user(token)
    if user is None:
        abort(404)
    reader = Formatter.for_user(user)
    body = feed.build(user, reader, request.host, lambda e: _entry_url(e, _external=True))
    response = Response(body, content_type="text/calendar; charset=utf-8")
    response.headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def feed_panel() -> dict[str, Any]:
    """What the settings page shows of the signed-in user's feed."""
    return {"calendar_feed": tokens.live_feed(current_user._get_current_object())}


@bp.route("/feed/new", methods=["POST"])
@require("viewer")
def new_feed():
    """Make a new feed address (revoking the old one) and show it, once: only its hash is
    kept. The page is rendered here rather than after a redirect, so the token never sits in
    a session cookie."""
    from crm.auth.views import settings_page

    user = current_user._get_current_object()
    had_one = tokens.live_feed(user) is not None
    token = tokens.issue(user)
    db.session.commit()
    address = url_for("calendar.feed_ics", token=token, _external=True)
    if had_one:
        flash(_("Your calendar has a new address. The old one no longer works."), "success")
    else:
        flash(_("Your calendar has an address: copy it into your calendar program."), "success")
    return settings_page(new_feed_url=address)


@bp.route("/feed/new", methods=["GET"])
@require("viewer")
def new_feed_page():
    """The address of the page that showed a new feed address, asked again (a language switch,
    a bookmark): the settings, where the address can be made anew; never a second address."""
    return redirect(url_for("auth.settings", _anchor="calendar-feed"))


@bp.route("/feed/revoke", methods=["POST"])
@require("viewer")
def revoke_feed():
    if tokens.revoke(current_user._get_current_object()):
        db.session.commit()
        flash(
            _("Your calendar address was revoked: calendars subscribed to it stop updating."),
            "success",
        )
    return redirect(url_for("auth.settings"))
