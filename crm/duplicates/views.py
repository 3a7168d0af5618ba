"""Duplicates pages: the finder (staff and above may look), the side-by-side review and merge
(managers and administrators), the list of merges and their undo (administrators)."""

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.audit_trail.kinds import KINDS
from crm.duplicates import bp, finder, merging, review
from crm.duplicates.models import Merge
from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.lists import MAX_PAGE
from crm.matching import REASONS
from crm.partners.models import Contact, Partner
from crm.partners.services import get_partner
from crm.permissions import can
from crm.records import get_or_not_found
from crm.security import require
from crm.text import whole_number
from crm.web import fmt, page_of


class ListPage(Pagination):
    """A page of a list computed in Python (``items``), with the list pages' macro."""

    capped = False

    def _query_items(self) -> list[Any]:
        items = self._query_args["items"]
        start = (self.page - 1) * self.per_page
        return items[start : start + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["items"])


def _page(items: list[Any]) -> ListPage:
    per_page = current_app.config["CRM_PAGE_SIZE"]
    last = max(1, -(-len(items) // per_page))
    number = min(max(whole_number(request.args.get("page", "")) or 1, 1), last, MAX_PAGE)
    return ListPage(page=number, per_page=per_page, error_out=False, items=items)


def _user() -> Any:
    return current_user._get_current_object()


@bp.route("")
@require("staff")
def index():
    kind = "contacts" if request.args.get("kind") == "contacts" else "partners"
    rows: list[tuple[Any, Any, str]]
    if kind == "contacts":
        page = _page(finder.contact_pairs(_user()))
        rows = review.load_contact_pairs(list(page.items))
    else:
        page = _page(finder.partner_pairs(_user()))
        rows = review.load_partner_pairs(list(page.items))
    return render_template(
        "duplicates/index.html", kind=kind, page=page, rows=rows, reasons=REASONS
    )


def _two(first_id: int, second_id: int) -> tuple[Partner, Partner]:
    return get_partner(first_id, _user()), get_partner(second_id, _user())


def _review_page(first: Partner, second: Partner, status: int = 200, **extra: Any):
    reader, user = fmt(), _user()
    return render_template(
        "duplicates/review.html",
        first=first,
        second=second,
        rows=review.field_rows(first, second, user, reader),
        counts={p.id: review.counts(p, user) for p in (first, second)},
        agreements={p.id: review.agreement_titles(p, user, reader) for p in (first, second)},
        stamp=merging.stamp(first, second),
        problem=merging.merge_problem(first, second) or merging.merge_problem(second, first),
        may_merge=can(user, "merge", first) and can(user, "merge", second),
        **extra,
    ), status


@bp.route("/partners/<id:first_id>/<id:second_id>")
@require("staff")
def review_partners(first_id: int, second_id: int):
    first, second = _two(first_id, second_id)
    return _review_page(first, second)


@bp.route("/partners/<id:first_id>/<id:second_id>", methods=["POST"])
@require("manager")
def merge_partners(first_id: int, second_id: int):
    first, second = _two(first_id, second_id)
    survivor_id = whole_number(request.form.get("survivor", ""))
    if survivor_id not in (first.id, second.id):
        return _review_page(first, second, 400, error=_("Choose the partner to keep."))
    survivor, other = (first, second) if survivor_id == first.id else (second, first)
    # per field, the id of the partner whose value to keep (the survivor's when not said)
    from_other = {
        name
        for name in merging.PARTNER_FIELDS
        if whole_number(request.form.get(f"keep_{name}", "")) == other.id
    }
    if request.form.get("confirmed") != "1":
        problem = merging.merge_problem(survivor, other)
        if problem is None and request.form.get("stamp") == merging.stamp(first, second):
            return render_template(
                "duplicates/confirm.html",
                first=first,
                second=second,
                survivor=survivor,
                other=other,
                from_other=from_other,
                counts=review.counts(other, _user()),
                stamp=request.form.get("stamp", ""),
            )
    try:
        merging.merge_partners(survivor, other, from_other, request.form.get("stamp", ""), _user())
    except RuleBroken as error:
        db.session.rollback()
        first, second = _two(first_id, second_id)
        return _review_page(first, second, 409, error=error.message)
    db.session.commit()
    flash(
        _(
            "%(other)s was merged into %(survivor)s.",
            other=fmt().name(other),
            survivor=fmt().name(survivor),
        ),
        "success",
    )
    return redirect(url_for("partners.detail", partner_id=survivor.id))


@bp.route("/merges")
@require("manager")
def merges():
    def load(ids: list[int]) -> list[Merge]:
        stmt = select(Merge).where(Merge.id.in_(ids)).options(joinedload(Merge.user))
        return sorted(db.session.scalars(stmt), key=lambda merge: -merge.id)

    page = page_of(select(Merge.id).order_by(Merge.id.desc()), load=load)
    records: dict[str, dict[int, Any]] = {}
    models: tuple[tuple[str, Any], ...] = (("partner", Partner), ("contact", Contact))
    for kind, model in models:
        ids = {i for m in page.items for i in (m.survivor_id, m.merged_id) if m.kind == kind}
        records[kind] = {
            r.id: r for r in db.session.scalars(select(model).where(model.id.in_(ids)))
        }
    return render_template(
        "duplicates/merges.html",
        page=page,
        records=records,
        may_undo=can(_user(), "undo", Merge),
    )


@bp.route("/merges/<id:merge_id>/undo", methods=["POST"])
@require("admin")
def undo(merge_id: int):
    merge = get_or_not_found(Merge, merge_id, _user())
    try:
        kept = merging.undo_merge(merge, _user())
    except RuleBroken as error:
        db.session.rollback()
        flash(str(error.message), "warning")
        return redirect(url_for("duplicates.merges"))
    db.session.commit()
    flash(_("The merge was undone."), "success")
    if kept:
        reader = fmt()
        records = reader.list(
            f"{reader.translate(KINDS[table].label)} {reader.number(record_id)}"
            for table, record_id in kept
        )
        flash(
            ngettext(
                "%(count)s record was changed after the merge and was left as it is: %(records)s.",
                "%(count)s records were changed after the merge and were left as they are: "
                "%(records)s.",
                len(kept),
                count=reader.number(len(kept)),
                records=records,
            ),
            "warning",
        )
    return redirect(url_for("duplicates.merges"))
