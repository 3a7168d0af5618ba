"""Views of activities: list, my follow-ups, detail, create/edit, complete, cancel, archive."""

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm import i18n
from crm.activities import bp, followups, options, services
from crm.activities.forms import REMIND_CHOICES, ActivityFilterForm, ActivityForm, CompleteForm
from crm.activities.models import ACTIVITY_KINDS, ACTIVITY_STATUSES, Activity
from crm.agreements.models import Agreement
from crm.auth.services import user_choices
from crm.extensions import db
from crm.fields import choices
from crm.history import change_history, form_labels
from crm.lists import csv_download, paginate
from crm.partners.models import Partner
from crm.partners.services import partner_names
from crm.reference import DOMAINS
from crm.security import require


@bp.record_once
def _template_globals(state) -> None:
    """Kind and status labels and icons for every template (macros included)."""
    state.app.jinja_env.globals.update(services.labels(), shows_agreement=shows_agreement)


def shows_agreement(agreement) -> bool:
    """May the signed-in user see this (loaded) agreement's title and link?"""
    return services.sees_agreement(current_user, agreement)


def _safe_next(default: str) -> str:
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return default


def _load(activity_id: int) -> Activity:
    activity = services.get_activity(current_user, activity_id)
    if activity is None:
        abort(404)
    return activity


def _filtered() -> tuple[ActivityFilterForm, dict, str]:
    form = ActivityFilterForm(request.args)
    form.owner.choices = user_choices(_("Anyone"))
    form.validate()
    filters = {name: f.data for name, f in form._fields.items() if not f.errors}
    return form, filters, request.args.get("sort", services.DEFAULT_SORT)


@bp.route("/")
@require("viewer")
def index():
    form, filters, sort = _filtered()
    page = paginate(services.list_query(current_user, filters, sort))
    partner = db.session.get(Partner, int(filters["partner"])) if filters.get("partner") else None
    return render_template(
        "activities/index.html",
        form=form,
        page=page,
        sort=sort,
        partner=partner,
        activities=services.load_page(list(page.items)),
    )


@bp.route("/export.csv")
@require("viewer")
def export():
    """The activities of the list (visible ones, its filters and sort) as a spreadsheet."""
    _form, filters, sort = _filtered()
    columns = [
        (_("Number"), lambda a: a.id),
        (_("Kind"), lambda a: ACTIVITY_KINDS.get(a.kind, a.kind)),
        (_("Subject"), lambda a: a.subject),
        (_("Partner"), lambda a: a.partner.name if a.partner else ""),
        (_("Agreement"), lambda a: a.agreement.title if a.agreement else ""),
        (_("When"), lambda a: i18n.format_datetime(a.starts_at) if a.starts_at else ""),
        (_("Due date"), lambda a: a.due_on),
        (_("Status"), lambda a: ACTIVITY_STATUSES.get(a.status, a.status)),
        (_("Owner"), lambda a: a.owner.display_name if a.owner else ""),
        (_("Location"), lambda a: a.location),
        (_("Outcome"), lambda a: a.outcome),
    ]
    rows = services.iter_activities(services.list_query(current_user, filters, sort))
    return csv_download("activities", columns, rows)


@bp.route("/mine")
@require("viewer")
def mine():
    result = followups.my_followups(current_user)
    return render_template("activities/mine.html", result=result)


@bp.route("/<int:activity_id>")
@require("viewer")
def detail(activity_id: int):
    return _detail_page(_load(activity_id), CompleteForm(formdata=None))


def _detail_page(activity: Activity, complete_form: CompleteForm, status: int = 200):
    return render_template(
        "activities/detail.html",
        activity=activity,
        complete_form=complete_form,
        following=services.following(activity),
        history=change_history(
            activity,
            form_labels(ActivityForm)
            | {
                "starts_at": _("When"),
                "previous_id": _("Previous"),
                "participants": _("Participants"),
                "remind_before_minutes": _("Remind before"),
            },
            {"kind": ACTIVITY_KINDS, "status": ACTIVITY_STATUSES, "domain": DOMAINS},
        ),
        partner_time=services.partner_local_time(activity),
        remind_labels={str(c.value): c.label for c in REMIND_CHOICES},
    ), status


def _initial(activity: Activity) -> dict:
    """The form's values for editing, with the time shown in the user's zone."""
    local = activity.starts_at.astimezone(i18n.user_zone()) if activity.starts_at else None
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
    current = activity or Activity()
    partner_id = form.partner_id.data
    form.partner_id.choices = choices(
        partner_names([partner_id, current.partner_id], keep=[current.partner_id]),
        blank=_("No partner (internal)"),
    )
    form.agreement_id.choices = options.agreement_choices(
        current_user, partner_id, current.agreement_id
    )
    form.participants.choices = options.contact_choices(
        partner_id, [c.id for c in current.participants] if activity else []
    )
    form.owner_id.choices = user_choices(_("Nobody"))


def _form_page(form: ActivityForm, activity: Activity | None):
    """Shared by create and edit: validate, check the links, save, or show the errors."""
    _set_choices(form, activity)
    status = 200
    if request.method == "POST" and "reload" not in request.form:
        status = 400
        if form.validate():
            errors = services.check_links(
                current_user,
                partner_id=form.partner_id.data,
                agreement_id=form.agreement_id.data,
                participant_ids=form.participants.data,
                domain=form.domain.data,
                current=activity,
            )
            for name, message in errors.items():
                form[name].errors.append(message)
            if not errors:
                data = services.ActivityData(
                    **{
                        name: form[name].data
                        for name in (
                            "kind",
                            "subject",
                            "domain",
                            "partner_id",
                            "agreement_id",
                            "owner_id",
                            "on_date",
                            "at_time",
                            "due_on",
                            "location",
                            "status",
                            "remind_before",
                            "notes",
                            "outcome",
                        )
                    },
                    participant_ids=form.participants.data,
                )
                saved = services.save_activity(activity or Activity(), data)
                db.session.commit()
                flash(
                    _("The activity was saved.") if activity else _("The activity was created."),
                    "success",
                )
                return redirect(url_for("activities.detail", activity_id=saved.id))
    return render_template("activities/form.html", form=form, activity=activity), status


@bp.route("/new", methods=["GET", "POST"])
@require("staff")
def new():
    initial = None
    if request.method == "GET":
        initial = {
            "owner_id": current_user.id,
            "partner_id": request.args.get("partner_id", type=int),
            "agreement_id": request.args.get("agreement_id", type=int),
        }
        agreement = db.session.get(Agreement, initial["agreement_id"] or 0)
        if agreement is not None and not initial["partner_id"] and len(agreement.parties) == 1:
            initial["partner_id"] = agreement.parties[0].id
        partner = db.session.get(Partner, initial["partner_id"] or 0)
        if partner is None or partner.archived:
            initial["partner_id"] = None
        else:
            initial["domain"] = partner.domain
    return _form_page(ActivityForm(data=initial), None)


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@require("staff")
def edit(activity_id: int):
    activity = _load(activity_id)
    if activity.archived:
        flash(_("This activity is archived. Restore it before editing."), "warning")
        return redirect(url_for("activities.detail", activity_id=activity.id))
    form = ActivityForm(data=_initial(activity) if request.method == "GET" else None)
    return _form_page(form, activity)


def _refuse_unless_planned(activity: Activity):
    if activity.archived:
        flash(_("This activity is archived. Restore it first."), "warning")
    elif activity.status != "planned":
        flash(_("Only a planned activity can be completed or cancelled."), "warning")
    else:
        return None
    return redirect(url_for("activities.detail", activity_id=activity.id))


@bp.route("/<int:activity_id>/complete", methods=["POST"])
@require("staff")
def complete(activity_id: int):
    activity = _load(activity_id)
    refused = _refuse_unless_planned(activity)
    if refused:
        return refused
    form = CompleteForm()
    if not form.validate():
        return _detail_page(activity, form, 400)
    follow = services.complete(
        activity,
        form.outcome.data or "",
        form.next_subject.data,
        form.next_kind.data,
        form.next_due_on.data,
    )
    db.session.commit()
    if follow is not None:
        flash(_("Done. The next step was planned."), "success")
        return redirect(url_for("activities.detail", activity_id=follow.id))
    flash(_("The activity was marked as done."), "success")
    return redirect(_safe_next(url_for("activities.detail", activity_id=activity.id)))


@bp.route("/<int:activity_id>/cancel", methods=["POST"])
@require("staff")
def cancel(activity_id: int):
    activity = _load(activity_id)
    refused = _refuse_unless_planned(activity)
    if refused:
        return refused
    services.cancel(activity)
    db.session.commit()
    flash(_("The activity was cancelled."), "success")
    return redirect(url_for("activities.detail", activity_id=activity.id))


@bp.route("/<int:activity_id>/archive", methods=["POST"])
@require("staff")
def archive(activity_id: int):
    activity = _load(activity_id)
    if not activity.archived:
        activity.archive()
        db.session.commit()
        flash(_("The activity was archived."), "success")
    return redirect(url_for("activities.detail", activity_id=activity.id))


@bp.route("/<int:activity_id>/restore", methods=["POST"])
@require("staff")
def restore(activity_id: int):
    activity = _load(activity_id)
    if activity.archived:
        activity.restore()
        db.session.commit()
        flash(_("The activity was restored."), "success")
    return redirect(url_for("activities.detail", activity_id=activity.id))
