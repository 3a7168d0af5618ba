"""The import's jobs: the dry run, the commit and the undo of a large import in a worker, as
its owner and in their language, with its progress kept in Redis (the import's own row is
locked by the commit's and the undo's transaction until it ends)."""

import logging
from datetime import datetime
from typing import Any, cast

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import CursorResult, select, update

from crm import jobs
from crm.auth.models import User
from crm.exceptions import DomainError
from crm.extensions import db
from crm.files.services import MAX_ATTEMPTS, STUCK_AFTER
from crm.formatting import Formatter
from crm.imports import preview, services
from crm.imports.models import WAITING, ImportRun
from crm.models import utcnow
from crm.notifications.models import Notification
from crm.permissions import acting_as

log = logging.getLogger(__name__)
Progress = services.Progress
PROGRESS_TTL = 3600  # seconds a run's progress is kept in Redis


def start(run: ImportRun) -> bool:
    """Hand a committed ``queued`` import to the queue (its job is ``run.job``)."""
    return jobs.enqueue(import_job, run.id, job_id=f"import-{run.id}-{run.job}")


def unqueue(run_id: int, status: str) -> None:
    """Back to ``status`` (``mapping``, or ``done`` for an undo) an import the queue did not
    take: no worker can have claimed it."""
    db.session.execute(
        update(ImportRun)
        .where(ImportRun.id == run_id, ImportRun.status == "queued")
        .values(status=status, touched_at=utcnow())
    )
    db.session.commit()


def _progress_key(run_id: int) -> str:
    return f"{current_app.config['CRM_QUEUE']}:import-progress:{run_id}"


def write_progress(run_id: int, percent: int) -> None:
    try:
        jobs.connection().set(_progress_key(run_id), int(percent), ex=PROGRESS_TTL)
    except Exception:  # noqa: BLE001 - progress is a courtesy; the import goes on
        log.warning("import %s: progress not written", run_id)


def outcome(run: ImportRun) -> str:
    """How the import's last job stands: ``queued``, ``running``, ``ready`` or ``failed``."""
    if run.waiting:
        return run.status
    return "failed" if run.status == "failed" or run.error else "ready"


def read_progress(run: ImportRun) -> int:
    """The percentage a running import has reached (100 once done)."""
    if not run.waiting:
        return run.progress if outcome(run) == "failed" else 100
    try:
        value = jobs.connection().get(_progress_key(run.id))
    except Exception:  # noqa: BLE001
        return 0
    return max(0, min(100, int(value))) if value is not None else 0


def claim(run_id: int) -> int | None:
    """Take a queued import for this run and commit; the run's number, or None when it is not
    queued (another run has it, or it is finished)."""
    stmt = (
        update(ImportRun)
        .where(ImportRun.id == run_id, ImportRun.status == "queued")
        .values(status="running", attempt=ImportRun.attempt + 1, touched_at=utcnow())
        .returning(ImportRun.attempt)
    )
    attempt = db.session.execute(stmt).scalar()
    db.session.commit()
    return attempt


# Where each job leaves an import it could not do: a commit wrote nothing, an undo changed
# nothing, a dry run can be made again.
FAILED = {"preview": "mapping", "commit": "failed", "undo": "done"}
FAILURES = {
    "preview": _l("The preview failed. Please try again."),
    "commit": _l("The import failed; nothing was imported."),
    "undo": _l("The undo failed; nothing was changed."),
}
# A job no worker finished after MAX_ATTEMPTS runs is given up, and the owner told this.
GAVE_UP = {
    "preview": _l("The preview stopped after several tries. Please try again later."),
    "commit": _l("The import stopped after several tries; nothing was imported."),
    "undo": _l("The undo stopped after several tries; nothing was changed."),
}
OWNER_GONE = _l("The account that started this import is no longer active.")


def notify(run: ImportRun, outcome: str, reader: Formatter) -> None:
    """Tell the owner that a worker has committed or undone their import (``outcome``
    ``done`` or ``failed``), in their language, with a link to it; the caller commits. A dry
    run is followed on its page and tells nobody."""
    if run.job not in ("commit", "undo"):
        return
    db.session.add(
        Notification(
            user_id=run.owner_id,
            kind="import",
            subject=_told(run, outcome, reader)[:500],
            record_kind="import",
            record_id=run.id,
        )
    )


def _told(run: ImportRun, outcome: str, reader: Formatter) -> str:
    file = run.filename or f"#{run.id}"
    if outcome == "failed":
        if run.job == "undo":
            failed = _l(
                "The undo of your import of %(file)s failed; nothing was changed.", file=file
            )
        else:
            failed = _l("Your import of %(file)s failed; nothing was imported.", file=file)
        return reader.translate(failed)
    counts = run.counts or {}
    if run.job == "commit":
        return reader.translate(
            _l(
                "Your import of %(file)s is done: %(created)s new, %(updated)s updated, "
                "%(skipped)s skipped.",
                file=file,
                created=reader.number(counts.get("created", 0)),
                updated=reader.number(counts.get("updated", 0)),
                skipped=reader.number(counts.get("skipped", 0) + counts.get("left_out", 0)),
            )
        )
    told = reader.translate(_l("Your import of %(file)s was undone.", file=file))
    if run.kept:
        kept = lazy_ngettext(
            "%(count)s record was edited since the import and was left as it is.",
            "%(count)s records were edited since the import and were left as they are.",
            len(run.kept),
            count=reader.number(len(run.kept)),
        )
        told += " " + reader.translate(kept)
    return told


def _fail(
    run_id: int, job: str, message: str, attempt: int | None = None, reader: Formatter | None = None
) -> bool:
    now = utcnow()
    values: dict[str, Any] = {"status": FAILED[job], "error": message[:500], "touched_at": now}
    if job == "commit":
        values["finished_at"] = now
    where = [ImportRun.id == run_id, ImportRun.status == "running"]
    if attempt is not None:
        where.append(ImportRun.attempt == attempt)
    result = db.session.execute(update(ImportRun).where(*where).values(values))
    failed = cast(CursorResult, result).rowcount == 1
    if failed and reader is not None:
        notify(db.session.get_one(ImportRun, run_id), "failed", reader)
    db.session.commit()
    return failed


def _touch(run_id: int, attempt: int) -> bool:
    """A sign of life of a dry run, in a transaction of its own (the dry run's session only
    reads); False when the import is no longer this run's."""
    stmt = (
        update(ImportRun)
        .where(ImportRun.id == run_id, ImportRun.status == "running", ImportRun.attempt == attempt)
        .values(touched_at=utcnow())
    )
    with db.engine.begin() as connection:
        return connection.execute(stmt).rowcount == 1


def _preview(run: ImportRun, attempt: int, reader: Formatter, progress: Progress) -> bool:
    """The dry run, kept for the preview page in the owner's language; nothing is written
    but the run itself (False when it is no longer this run's)."""

    def told(percent: int) -> None:
        progress(percent)
        if percent and percent % 10 == 0:
            _touch(run.id, attempt)

    stored = preview.to_stored(preview.dry_run(run, told), reader)
    db.session.rollback()  # the dry run wrote nothing; nothing of it is kept
    stmt = (
        update(ImportRun)
        .where(ImportRun.id == run.id, ImportRun.status == "running", ImportRun.attempt == attempt)
        .values(status="mapping", preview=stored, progress=100, touched_at=utcnow())
    )
    return cast(CursorResult, db.session.execute(stmt)).rowcount == 1


def _commit(run: ImportRun, attempt: int, reader: Formatter, progress: Progress) -> bool:
    services.commit(run, progress=progress)
    return True


def _undo(run: ImportRun, attempt: int, reader: Formatter, progress: Progress) -> bool:
    run.touched_at = utcnow()  # the import's row is this transaction's until it ends
    db.session.flush()
    services.undo(run, progress=progress)
    return True


JOBS = {"preview": _preview, "commit": _commit, "undo": _undo}


def run_import(run_id: int) -> str:
    """Do one queued import's job (its dry run, commit or undo): ``done``, ``failed`` or
    ``not claimed``. All or nothing: a failure rolls back every row."""
    attempt = claim(run_id)
    if attempt is None:
        return "not claimed"
    run = db.session.get_one(ImportRun, run_id)
    job = run.job
    owner = db.session.get(User, run.owner_id)
    reader = Formatter.for_user(owner) if owner else Formatter(run_locale())
    if owner is None or not owner.active:
        _fail(run_id, job, reader.translate(OWNER_GONE), attempt)
        return "failed"
    write_progress(run_id, 0)
    try:
        with acting_as(owner, via="job"):
            ours = JOBS[job](run, attempt, reader, lambda p: write_progress(run_id, p))
        if not ours:
            db.session.rollback()
            return "not claimed"
        notify(run, "done", reader)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        _fail(run_id, job, reader.translate(error.message), attempt, reader)
        return "failed"
    except Exception:  # noqa: BLE001 - the user is told it failed; the log keeps the why
        db.session.rollback()
        log.exception("import %s: the %s failed", run_id, job)
        _fail(run_id, job, reader.translate(FAILURES[job]), attempt, reader)
        return "failed"
    write_progress(run_id, 100)
    return "done"


def import_job(run_id: int) -> Any:
    """``run_import`` in a session of its own."""
    db.session.remove()
    try:
        return run_import(run_id)
    finally:
        db.session.remove()


# --- the tidy-up ----------------------------------------------------------------------------------
def tidy(now: datetime | None = None) -> tuple[list[ImportRun], int]:
    """Find the imports queued or running without a sign of life for ``STUCK_AFTER`` (a worker
    died, or Redis lost the job), as the prepared files' tidy-up finds theirs: each is queued
    again (returned, to enqueue once committed), or given up after ``MAX_ATTEMPTS`` runs,
    its owner told in their language. A commit or undo that is running holds its import's row
    (skipped here). The caller commits."""
    now = now or utcnow()
    again, given_up = [], 0
    stuck = select(ImportRun).where(
        ImportRun.status.in_(WAITING), ImportRun.touched_at < now - STUCK_AFTER
    )
    for run in db.session.scalars(stuck.with_for_update(skip_locked=True)):
        if run.attempt >= MAX_ATTEMPTS:
            owner = db.session.get(User, run.owner_id)
            reader = Formatter.for_user(owner) if owner else Formatter(run_locale())
            run.status, run.error = FAILED[run.job], reader.translate(GAVE_UP[run.job])[:500]
            if run.job == "commit":
                run.finished_at = now
            notify(run, "failed", reader)
            given_up += 1
            log.warning("import %s: its %s given up after %s runs", run.id, run.job, run.attempt)
        else:
            run.status = "queued"
            again.append(run)
            log.warning("import %s: no sign of life since %s", run.id, run.touched_at)
        run.touched_at = now
    db.session.flush()
    return again, given_up


def run_locale() -> str:
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def tidy_job() -> dict:
    """Queue again the imports a dead worker left (or Redis lost); give up the hopeless."""
    db.session.remove()
    try:
        again, given_up = tidy()
        db.session.commit()
        for run in again:
            start(run)
        return {"again": len(again), "given_up": given_up}
    finally:
        db.session.remove()
