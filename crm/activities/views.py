"""Views of activities: list, export, my follow-ups, detail, create/edit, complete, cancel,
archive and restore."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm.activities import bp, followups, lists, options, services
from crm.activities.forms import REMIND_CHOICES, ActivityFilterForm, ActivityForm, CompleteForm
from crm.activities.models import ACTIVITY_KINDS, ACTIVITY_STATUSES, KIND_ICONS, Activity
from crm.agreements.services import get_agreement
from crm.audit_trail.kinds import record_history
from crm.auth.services import NO_ONE, colleague_choices, user_choices
from crm.exceptions import NotFound, RuleBroken
from crm.extensions import db
from crm.fields import choices, form_values
from crm.lists import Column, label_of
from crm.models import utcnow
from crm.partners.services import get_partner, partner_names
from crm.reminders.settings import load as reminder_settings
from crm.security import require
from crm.templating import register_code_tables, register_globals
from crm.text import parse_id
from crm.web import (
    archive_or_restore,
    export_download,
    fmt,
    page_of,
    safe_next,
    show_errors,
    submit,
)

EXPORT_COLUMNS = [
    Column(_l("Number"), "id"),
    Column(_l("Kind"), "kind", label_of(ACTIVITY_KINDS)),
    Column(_l("Subject"), "subject"),
    Column(_l("Partner"), "partner"),
    Column(_l("Agreement"), "agreement"),
    Column(_l("When"), "starts_at", dated=True),
    Column(_l("Due date"), "due_on", dated=True),
    Column(_l("Status"), "status", label_of(ACTIVITY_STATUSES)),
    Column(_l("Owner"), "owner"),
    Column(_l("Location"), "location"),
    Column(_l("Outcome"), "outcome"),
]


@bp.record_once
def _template_globals(state) -> None:
    """Kind and status labels and icons for every template (other pages' timelines too)."""
    register_code_tables(
        state.app, ACTIVITY_KINDS=ACTIVITY_KINDS, ACTIVITY_STATUSES=ACTIVITY_STATUSES
    )
    register_globals(
        state.app,
        KIND_ICONS=KIND_ICONS,
        activity_overdue=_is_overdue,
    )


def _is_overdue(activity: Activity) -> bool:
    """For templates: is ``activity`` overdue for the reader, now (the badge on every page)?"""
    return lists.is_overdue(activity, utcnow())


def _filters() -> tuple[ActivityFilterForm, lists.ActivityFilters]:
    form = ActivityFilterForm(request.args)
    form.owner.choices = colleague_choices(_("Anyone"), NO_ONE)
    form.validate()
    sort = request.args.get("sort", lists.DEFAULT_SORT)
    return form, form_values(form, lists.ActivityFilters, sort=sort)


@bp.route("/")
@require("viewer")
def index():
    form, filters = _filters()
    stmt, many = lists.list_plans(current_user, filters, fmt())
    page = page_of(stmt, many=many)
    partner = agreement = None
    if filters.partner:
        try:
            partner = get_partner(filters.partner, current_user)
        except NotFound:
            partner = None
    if filters.agreement:
        try:
            agreement = get_agreement(filters.agreement, current_user)
        except NotFound:
            agreement = None
    return render_template(
        "activities/index.html",
        form=form,
        page=page,
        sort=filters.sort,
        partner=partner,
        agreement=agreement,
        activities=lists.load_page(list(page.items)),
    )


@bp.route("/export.xlsx", defaults={"file_format": "xlsx"})
@bp.route("/export.csv", defaults={"file_format": "csv"})
@require("viewer")
def export(file_format: str):
    """The activities of the list (visible ones, its filters and sort) as a spreadsheet."""
    _form, filters = _filters()
    reader, user = fmt(), current_user._get_current_object()
    return export_download(
        "activities",
        EXPORT_COLUMNS,
        lambda: lists.export_rows(user, filters, reader),
        file_format,
        _l("Activities"),
    )


@bp.route("/mine")
@require("viewer")
def mine():
    result = followups.my_followups(current_user, fmt())
    return render_template(
        "activities/mine.html", result=result, complete_form=CompleteForm(formdata=None)
    )


@bp.route("/<id:activity_id>")
@require("viewer")
def detail(activity_id: int):
    return _detail_page(
        services.get_activity(activity_id, current_user), CompleteForm(formdata=None)
    )


def _detail_page(activity: Activity, complete_form: CompleteForm, status: int = 200):
    reader = fmt()
    previous, following = services.chain(activity, current_user)
    return render_template(
        "activities/detail.html",
        activity=activity,
        complete_form=complete_form,
        previous=previous,
        following=following,
        history=record_history(activity, current_user, reader),
        partner_time=services.partner_local_time(activity, reader),
        remind_labels={str(c.value): c.label for c in REMIND_CHOICES},
    ), status


def _initial(activity: Activity) -> dict:
    """The form's values for editing, with the time shown in the reader's zone."""
    local = fmt().local(activity.starts_at) if activity.starts_at else None
    return {
        "kind": activity.kind,
        "subject": activity.subject,
        "partner_id": activity.partner_id,
        "domain": activity.domain,
        "agreement_id": activity.agreement_id,
        "participants": [c.id for c in activity.participants],
        "owner_id": activity.owner_id,
        "on_date": local.date() if local else None,
        "at_time": local.time() if local else None,
        "due_on": activity.due_on,
        "location": activity.location,
        "status": activity.status,
        "remind_before": activity.remind_before_minutes,
        "notes": activity.notes,
        "outcome": activity.outcome,
    }


def _set_choices(form: ActivityForm, activity: Activity | None) -> None:
    reader = fmt()
    current = activity or Activity()
    partner_id = form.partner_id.data
    form.partner_id.choices = choices(
        partner_names([partner_id, current.partner_id], reader, keep=[current.partner_id]),
        blank=_("No partner (internal)"),
    )
    form.agreement_id.choices = options.agreement_choices(
        current_user, reader, partner_id, current.agreement_id
    )
    form.participants.choices = options.contact_choices(
        partner_id, reader, [c.id for c in current.participants] if activity else []
    )
    form.owner_id.choices = user_choices(NO_ONE, keep=current.owner_id)


def _form_page(form: ActivityForm, activity: Activity | None):
    """Shared by create and edit: validate, save, or show the errors."""
    _set_choices(form, activity)
    status = 200
    if request.method == "POST" and "reload" not in request.form:
        status = 400
        saved = submit(
            form,
            services.ActivityData,
            lambda data: services.save_activity(activity, data),
            lambda data: services.activity_problems(activity, data),
            zone=fmt().zone.key,
        )
        if saved:
            db.session.commit()
            flash(
                _("The activity was saved.") if activity else _("The activity was created."),
                "success",
            )
            if saved.status == "done" and (form.next_subject.data or "").strip():
                flash(_("The next step was planned."), "success")
            return redirect(url_for("activities.detail", activity_id=saved.id))
    return render_template("activities/form.html", form=form, activity=activity), status


def _prefill() -> dict:
    """A new activity's form, filled from ``?partner_id=`` and ``?agreement_id=`` as far as the
    user may see them: an agreement they may not see fills in nothing."""
    remind = reminder_settings().activity_remind_minutes
    initial: dict = {"owner_id": current_user.id, "remind_before": remind or None}
    agreement = partner = None
    try:
        agreement = get_agreement(request.args.get("agreement_id", type=parse_id), current_user)
    except NotFound:
        pass
    else:
        if not agreement.archived:
            initial["agreement_id"] = agreement.id
    partner_id = request.args.get("partner_id", type=parse_id)
    if partner_id is None and agreement is not None and len(agreement.parties) == 1:
        partner_id = agreement.parties[0].id
    try:
        partner = get_partner(partner_id, current_user)
    except NotFound:
        pass
    else:
        if not partner.archived:
            initial.update(partner_id=partner.id, domain=partner.domain)
    return initial


@bp.route("/new", methods=["GET", "POST"])
@require("staff")
def new():
    return _form_page(ActivityForm(data=_prefill() if request.method == "GET" else None), None)


@bp.route("/<id:activity_id>/edit", methods=["GET", "POST"])
@require("staff")
def edit(activity_id: int):
    activity = services.get_activity(activity_id, current_user)
    if activity.archived:
        flash(_("This activity is archived. Restore it before editing."), "warning")
        return redirect(url_for("activities.detail", activity_id=activity.id))
    form = ActivityForm(data=_initial(activity) if request.method == "GET" else None)
    return _form_page(form, activity)


@bp.route("/<id:activity_id>/complete", methods=["POST"])
@require("staff")
def complete(activity_id: int):
    activity = services.get_activity(activity_id, current_user)
    form = CompleteForm()
    if not form.validate():
        return _detail_page(activity, form, 400)
    next_step = services.NextStep(
        form.next_subject.data or "", form.next_kind.data, form.next_due_on.data
    )
    try:
        follow = services.complete(activity, form.outcome.data or "", next_step)
    except RuleBroken as error:
        db.session.rollback()
        if error.field in form:
            show_errors(form, error)
            return _detail_page(services.get_activity(activity_id, current_user), form, 400)
        flash(str(error), "warning")
        return redirect(url_for("activities.detail", activity_id=activity.id))
    db.session.commit()
    back = request.form.get("next")  # e.g. my follow-ups, to carry on down the list
    if follow is not None:
        flash(_("Done. The next step was planned."), "success")
        return redirect(safe_next(back, url_for("activities.detail", activity_id=follow.id)))
    flash(_("The activity was marked as done."), "success")
    return redirect(safe_next(back, url_for("activities.detail", activity_id=activity.id)))


@bp.route("/<id:activity_id>/cancel", methods=["POST"])
@require("staff")
def cancel(activity_id: int):
    activity = services.get_activity(activity_id, current_user)
    try:
        services.cancel(activity)
    except RuleBroken as error:
        db.session.rollback()
        flash(str(error), "warning")
    else:
        db.session.commit()
        flash(_("The activity was cancelled."), "success")
    return redirect(url_for("activities.detail", activity_id=activity.id))


@bp.route("/<id:activity_id>/archive", methods=["POST"])
@require("staff")
def archive(activity_id: int):
    activity = services.get_activity(activity_id, current_user)
    archive_or_restore(activity, True, _("The activity was archived."))
    return redirect(url_for("activities.detail", activity_id=activity.id))


@bp.route("/<id:activity_id>/restore", methods=["POST"])
@require("staff")
def restore(activity_id: int):
    activity = services.get_activity(activity_id, current_user)
    archive_or_restore(activity, False, _("The activity was restored."))
    return redirect(url_for("activities.detail", activity_id=activity.id))
