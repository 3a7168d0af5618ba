"""Import pages: upload, map the columns, preview (the dry run), commit, follow a large
import's progress, see what it did, undo it; and the template to download."""

from typing import Any

from flask import Response, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from crm.exceptions import NotFound, RuleBroken
from crm.extensions import db
from crm.formatting import Formatter
from crm.i18n import LANGUAGE_NAMES
from crm.imports import bp, services, tasks
from crm.imports.fields import FIELDS, fields_of
from crm.imports.forms import (
    ACTION_NAMES,
    IMPORT_KINDS,
    JOB_STATES,
    ON_MATCH,
    STATUS_NAMES,
    CommitForm,
    MappingForm,
    UploadForm,
)
from crm.imports.models import KINDS, ImportRun
from crm.imports.preview import PREVIEW_ROWS, Preview, dry_run, from_stored, shown_rows
from crm.imports.reading import ENCODINGS
from crm.imports.template import template_xlsx
from crm.security import require
from crm.templating import register_code_tables
from crm.web import fmt, page_of


@bp.record_once
def _template_globals(state) -> None:
    register_code_tables(
        state.app,
        import_kind_names=IMPORT_KINDS,
        import_status_names=STATUS_NAMES,
        import_action_names=ACTION_NAMES,
        import_on_match_names=ON_MATCH,
        import_running_names={job: states["running"] for job, states in JOB_STATES.items()},
    )


def _user() -> Any:
    return current_user._get_current_object()


def _open(import_id: int) -> ImportRun:
    return services.get_import(import_id, current_user)


@bp.route("", methods=["GET", "POST"])
@require("staff")
def index():
    form = UploadForm()
    if form.validate_on_submit():
        upload = request.files.get("file")
        data = upload.read() if upload else b""
        try:
            run = services.upload(
                _user(),
                form.kind.data,
                data,
                (upload.filename or "") if upload else "",
                form.encoding.data,
            )
        except RuleBroken as error:
            db.session.rollback()
            form.file.errors = [str(message) for message in error.errors.values()]
        else:
            db.session.commit()
            return redirect(url_for("imports.mapping", import_id=run.id))
    page = page_of(services.imports_query(current_user))
    status = 400 if form.errors else 200
    return render_template("imports/index.html", form=form, page=page), status


@bp.route("/template/<kind>.xlsx")
@require("staff")
def template(kind: str):
    if kind not in KINDS:
        raise NotFound()
    language = request.args.get("lang") or current_user.locale
    reader = Formatter(language if language in LANGUAGE_NAMES else current_user.locale)
    name = f"{kind}-template-{reader.locale}.xlsx"
    return Response(
        template_xlsx(kind, reader),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/<id:import_id>/map", methods=["GET", "POST"])
@require("staff")
def mapping(import_id: int):
    run = _open(import_id)
    if run.status != "mapping":
        return redirect(url_for("imports.detail", import_id=run.id))
    form = MappingForm()
    chosen = list(run.mapping)
    if form.is_submitted():
        chosen = [request.form.get(f"column-{i}") or None for i in range(len(run.headers))]
    if form.validate_on_submit():
        try:
            services.set_mapping(run, chosen, form.on_match.data)
        except RuleBroken as error:
            db.session.rollback()
            run = _open(import_id)
            form.on_match.errors = [str(m) for m in error.errors.values()]
        else:
            if services.in_request(run):
                db.session.commit()
                return redirect(url_for("imports.preview", import_id=run.id))
            return _queue(run, "preview")
    elif not form.is_submitted():
        form.on_match.data = run.on_match
    samples = [row for row in run.rows[:3]]
    return render_template(
        "imports/mapping.html",
        run=run,
        form=form,
        chosen=chosen,
        fields=FIELDS[run.kind],
        samples=samples,
        encoding_names=ENCODINGS,
        in_request=services.IN_REQUEST,
    ), (400 if form.errors else 200)


@bp.route("/<id:import_id>/preview", methods=["GET", "POST"])
@require("staff")
def preview(import_id: int):
    run = _open(import_id)
    if run.status != "mapping":
        return redirect(url_for("imports.detail", import_id=run.id))
    if not services.in_request(run) and run.preview is None:  # its dry run is a worker's
        return redirect(url_for("imports.mapping", import_id=run.id))
    form = CommitForm()
    if form.validate_on_submit():
        choices = {key[4:]: value for key, value in request.form.items() if key.startswith("row-")}
        services.set_choices(run, choices, form.on_match.data, form.skip_bad.data)
        return _commit(run, form)
    if not form.is_submitted():
        form.on_match.data, form.skip_bad.data = run.on_match, run.skip_bad
    return _show_preview(run, form)


def _queue(run: ImportRun, job: str):
    """Hand ``run``'s ``job`` to a worker and show its progress; with the queue unreachable,
    the import goes back to where it was, with a message, since nothing would ever take it."""
    before = run.status
    services.queue(run, job)
    db.session.commit()
    if not tasks.start(run):
        tasks.unqueue(run.id, before)
        flash(
            _(
                "The background queue cannot be reached just now, so nothing was started and "
                "nothing changed; try again in a few minutes."
            ),
            "danger",
        )
        back = {"preview": "imports.mapping", "commit": "imports.preview"}
        return redirect(url_for(back.get(job, "imports.detail"), import_id=run.id))
    return redirect(url_for("imports.detail", import_id=run.id))


def _show_preview(run: ImportRun, form: CommitForm, status: int = 200):
    result: Preview
    if run.preview is not None:  # a worker's dry run of a large file
        result, hidden = from_stored(run.preview)
        shown = result.rows
    else:
        result = dry_run(run)
        shown, hidden = shown_rows(result, PREVIEW_ROWS)
        db.session.rollback()  # the dry run wrote nothing; nothing of it is kept
    columns = [key for key in run.mapping if key]
    return render_template(
        "imports/preview.html",
        run=run,
        form=form,
        preview=result,
        shown=shown,
        hidden=hidden,
        columns=columns,
        fields=fields_of(run.kind),
        in_request=services.IN_REQUEST,
    ), status


def _commit(run: ImportRun, form: CommitForm):
    if not services.in_request(run):
        try:  # as its preview found it; the worker checks every row again
            services.check_errors(run, from_stored(run.preview or {})[0])
        except RuleBroken as error:
            db.session.rollback()
            run = _open(run.id)
            flash(str(error), "danger")
            return _show_preview(run, form, 400)
        return _queue(run, "commit")
    try:
        counts = services.commit(run)
    except RuleBroken as error:
        db.session.rollback()
        run = _open(run.id)
        flash(str(error) + " " + _("Nothing was imported."), "danger")
        return _show_preview(run, form, 400)
    db.session.commit()
    flash(
        _(
            "Imported: %(created)s new, %(updated)s updated, %(skipped)s skipped.",
            created=fmt().number(counts["created"]),
            updated=fmt().number(counts["updated"]),
            skipped=fmt().number(counts["skipped"] + counts["left_out"]),
        ),
        "success",
    )
    return redirect(url_for("imports.detail", import_id=run.id))


@bp.route("/<id:import_id>")
@require("staff")
def detail(import_id: int):
    run = _open(import_id)
    wrote = run.status in ("done", "undone")
    page = page_of(services.items_query(run)) if wrote else None
    keys = [(item.object_type, item.object_id) for item in page.items] if page else []
    keys += [(item["type"], item["id"]) for item in run.kept]
    return render_template(
        "imports/detail.html",
        run=run,
        page=page,
        records=services.records_of(current_user, keys),
        percent=tasks.read_progress(run),
        state=tasks.outcome(run),
        state_text=_state_text(run),
        failure=_failure(run),
    )


def _state_text(run: ImportRun) -> str:
    """How the import's last job stands, in the reader's words."""
    state = tasks.outcome(run)
    if state == "queued":
        return fmt().label(STATUS_NAMES, "queued")
    return fmt().label(JOB_STATES[run.job], state)


def _failure(run: ImportRun) -> str:
    if tasks.outcome(run) != "failed":
        return ""
    return run.error or fmt().translate(tasks.FAILURES[run.job])


@bp.route("/<id:import_id>/status")
@require("staff")
def status(import_id: int):
    """The import's state as JSON for static/js/progress.js (its "ready" is our "done")."""
    run = _open(import_id)
    reader = fmt()
    percent = tasks.read_progress(run)
    return jsonify(
        status=tasks.outcome(run),
        done=not run.waiting,
        percent=percent,
        percent_text=_("%(percent)s%%", percent=reader.number(percent)),
        step="",
        status_text=_state_text(run),
        error=_failure(run),
        size_text="",
    )


@bp.route("/<id:import_id>/undo", methods=["POST"])
@require("staff")
def undo(import_id: int):
    run = _open(import_id)
    if not services.in_request(run):
        try:
            return _queue(run, "undo")
        except RuleBroken as error:
            db.session.rollback()
            flash(str(error), "danger")
            return redirect(url_for("imports.detail", import_id=import_id))
    try:
        kept = services.undo(run)
    except RuleBroken as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("imports.detail", import_id=import_id))
    db.session.commit()
    flash(_("The import was undone."), "success")
    if kept:
        flash(
            ngettext(
                "%(count)s record was edited since the import and was left as it is.",
                "%(count)s records were edited since the import and were left as they are.",
                len(kept),
                count=fmt().number(len(kept)),
            ),
            "warning",
        )
    return redirect(url_for("imports.detail", import_id=import_id))
