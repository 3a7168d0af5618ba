"""Prepared files' pages: ask for a briefing pack or the pipeline report, watch it being
prepared (``static/js/progress.js`` polls the status), the list of one's files, download."""

from typing import Any

from flask import flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from crm.exceptions import RuleBroken
from crm.extensions import db
from crm.fields import choices
from crm.files import bp, services, tasks
from crm.files.forms import PackForm, PipelineForm
from crm.files.models import PreparedFile
from crm.partners.services import partner_names
from crm.security import require
from crm.templating import register_code_tables, register_globals
from crm.text import parse_id
from crm.web import fmt, page_of, show_errors


@bp.record_once
def _template_globals(state) -> None:
    register_code_tables(
        state.app, file_kind_names=services.KIND_NAMES, file_status_names=services.STATUS_NAMES
    )
    register_globals(state.app, file_error=services.error_message)


def _user() -> Any:
    return current_user._get_current_object()


def _started(prepared: PreparedFile):
    """Commit the request, hand it to the queue, and show its page."""
    db.session.commit()
    if not tasks.start(prepared):  # Redis unreachable: the tidy-up hands it out once it is back
        flash(
            _(
                "The background queue cannot be reached just now. Your request is saved and "
                "the file will be prepared once the queue is back."
            ),
            "warning",
        )
    return redirect(url_for("files.detail", file_id=prepared.id))


@bp.route("")
@require("viewer")
def index():
    page = page_of(services.my_files_query(current_user))
    return render_template("files/index.html", page=page, pipeline_form=_pipeline_form())


def _pipeline_form() -> PipelineForm | None:
    if not current_user.has_role("manager"):
        return None
    form = PipelineForm()
    if not form.is_submitted():
        form.language.data = current_user.locale
    return form


@bp.route("/pack", methods=["GET", "POST"])
@require("viewer")
def pack():
    form = PackForm()
    if not form.is_submitted():
        wanted = [parse_id(v) for v in request.args.getlist("partner_id")]
        chosen: list[int | None] = [i for i in wanted if i]
        form.partner_ids.data = chosen[: services.MAX_PARTNERS]
        form.language.data = current_user.locale
    shown = (form.partner_ids.data or [])[: services.MAX_PARTNERS]
    form.partner_ids.choices = choices(partner_names(shown, fmt()))
    if form.validate_on_submit():
        try:
            prepared = services.request_pack(_user(), form.partner_ids.data, form.language.data)
        except RuleBroken as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            return _started(prepared)
    status = 400 if form.errors else 200
    limit = services.MAX_PARTNERS
    return render_template("files/pack.html", form=form, limit=limit), status


@bp.route("/pipeline", methods=["POST"])
@require("manager")
def pipeline():
    form = PipelineForm()
    if not form.validate_on_submit():
        flash(_("Choose the language of the report."), "danger")
        return redirect(url_for("files.index"))
    try:
        prepared = services.request_pipeline(_user(), form.language.data)
    except RuleBroken as error:
        db.session.rollback()
        flash(str(error), "danger")
        return redirect(url_for("files.index"))
    return _started(prepared)


@bp.route("/<id:file_id>")
@require("viewer")
def detail(file_id: int):
    prepared = services.get_file(file_id, current_user)
    reader = fmt()
    partners = reader.list(services.pack_partners(prepared, current_user, reader))
    return render_template("files/detail.html", file=prepared, partners=partners)


@bp.route("/<id:file_id>/status")
@require("viewer")
def status(file_id: int):
    """The file's state as JSON, in the reader's language and digits, for progress.js."""
    prepared = services.get_file(file_id, current_user)
    reader = fmt()
    return jsonify(
        status=prepared.status,
        done=not prepared.waiting,
        percent=prepared.progress,
        percent_text=_("%(percent)s%%", percent=reader.number(prepared.progress)),
        step=prepared.step,
        status_text=reader.label(services.STATUS_NAMES, prepared.status),
        error=services.error_message(prepared),
        size_text=reader.filesize(prepared.size) if prepared.status == "ready" else "",
    )


@bp.route("/<id:file_id>/download")
@require("viewer")
def download(file_id: int):
    prepared = services.get_file(file_id, current_user)
    if prepared.waiting:
        flash(_("The file is not ready yet."), "info")
        return redirect(url_for("files.detail", file_id=prepared.id))
    path = services.stored_path(prepared)
    if path is None:
        if prepared.status == "failed":
            return redirect(url_for("files.detail", file_id=prepared.id))
        return render_template("files/detail.html", file=prepared, partners="", gone=True), 410
    return send_file(
        path, mimetype="application/pdf", as_attachment=True, download_name=prepared.filename
    )
