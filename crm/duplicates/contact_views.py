"""The side-by-side review and merge of two contacts (managers and administrators merge)."""

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.duplicates import bp, contact_merging, merging, review
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.partners.contacts import get_contact
from crm.partners.models import Contact
from crm.permissions import can
from crm.security import require
from crm.text import whole_number
from crm.web import fmt


def _user() -> Any:
    return current_user._get_current_object()


def _two(first_id: int, second_id: int) -> tuple[Contact, Contact]:
    return get_contact(first_id, _user()), get_contact(second_id, _user())


def _page(first: Contact, second: Contact, status: int = 200, **extra: Any):
    user = _user()
    problem = contact_merging.contact_problem(first, second)
    return render_template(
        "duplicates/review_contacts.html",
        first=first,
        second=second,
        rows=review.contact_rows(first, second, fmt()),
        counts={c.id: review.contact_counts(c, user) for c in (first, second)},
        stamp=merging.stamp(first, second),
        problem=problem,
        may_merge=can(user, "merge", first) and can(user, "merge", second),
        **extra,
    ), status


@bp.route("/contacts/<id:first_id>/<id:second_id>")
@require("staff")
def review_contacts(first_id: int, second_id: int):
    return _page(*_two(first_id, second_id))


@bp.route("/contacts/<id:first_id>/<id:second_id>", methods=["POST"])
@require("manager")
def merge_contacts(first_id: int, second_id: int):
    first, second = _two(first_id, second_id)
    survivor_id = whole_number(request.form.get("survivor", ""))
    if survivor_id not in (first.id, second.id):
        return _page(first, second, 400, error=_("Choose the contact to keep."))
    if request.form.get("confirmed") != "1":
        return _page(first, second, 400, error=_("Tick the box to confirm the merge."))
    survivor, other = (first, second) if survivor_id == first.id else (second, first)
    from_other = {
        name
        for name in contact_merging.CONTACT_FIELDS
        if whole_number(request.form.get(f"keep_{name}", "")) == other.id
    }
    try:
        contact_merging.merge_contacts(
            survivor, other, from_other, request.form.get("stamp", ""), _user()
        )
    except RuleBroken as error:
        db.session.rollback()
        return _page(*_two(first_id, second_id), 409, error=error.message)
    db.session.commit()
    flash(
        _(
            "%(other)s was merged into %(survivor)s.",
            other=fmt().name(other),
            survivor=fmt().name(survivor),
        ),
        "success",
    )
    return redirect(url_for("partners.contact", contact_id=survivor.id))
