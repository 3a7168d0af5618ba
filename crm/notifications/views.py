"""The notification centre: the list, marking one or all read, and the bell's count.

An item links to its record with a plain link, and an unread one has its own "Mark as read"
button (a small form): reading the record and clearing the item are two acts, both without a
script.
"""

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from crm.extensions import db
from crm.notifications import bp, services
from crm.security import require
from crm.templating import register_globals
from crm.web import fmt, page_of, safe_next

BELL_CAP = 100  # the bell counts this far; 100 or more shows as "99+"


@bp.record_once
def _template_globals(state) -> None:
    register_globals(state.app, unread_notifications=unread_notifications, BELL_CAP=BELL_CAP)


def unread_notifications() -> int:
    """For the navbar: the signed-in user's unread notifications, counted up to ``BELL_CAP``
    once per request, with one statement on the index of (user, read, id). When that fails
    (the error page of a database that is down) the bell shows no count, and the page the
    user was told about still renders."""
    if "unread_notifications" not in g:
        try:
            g.unread_notifications = services.unread_count(current_user, cap=BELL_CAP)
        except SQLAlchemyError:
            db.session.rollback()
            current_app.logger.exception("The unread notifications could not be counted")
            g.unread_notifications = 0
    return g.unread_notifications


def _back() -> str:
    """The list the form was sent from (its filter and page), else the unread ones."""
    return safe_next(request.form.get("next"), url_for("notifications.index"))


@bp.route("")
@require("viewer")
def index():
    only_unread = request.args.get("show") != "all"
    page = page_of(services.notifications_query(current_user, only_unread))
    return render_template(
        "notifications/index.html",
        page=page,
        only_unread=only_unread,
        records=services.linked_records(current_user, page.items),
        links=services.RECORD_LINKS,
        record_models=services.RECORD_MODELS,
    )


@bp.route("/<id:notification_id>/read", methods=["POST"])
@require("viewer")
def read(notification_id: int):
    if services.mark_read(current_user, notification_id):
        db.session.commit()
        flash(_("The notification was marked as read."), "success")
    return redirect(_back())


@bp.route("/read-all", methods=["POST"])
@require("viewer")
def read_all():
    count = services.mark_all_read(current_user)
    db.session.commit()
    if count:
        message = ngettext(
            "%(count)s notification was marked as read.",
            "%(count)s notifications were marked as read.",
            count,
            count=fmt().number(count),
        )
        flash(message, "success")
    else:
        flash(_("There were no unread notifications."), "info")
    return redirect(_back())
