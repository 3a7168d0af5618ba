"""The import's job: commit a large import in a worker, as its owner, with its progress kept
in Redis (the import's own row is locked by the commit's transaction until it ends)."""

import logging
from typing import Any

from flask import current_app
from sqlalchemy import update

from crm import jobs
from crm.auth.models import User
from crm.exceptions import DomainError
from crm.extensions import db
from crm.formatting import Formatter
from crm.imports import services
from crm.imports.models import ImportRun
from crm.models import utcnow
from crm.permissions import acting_as

log = logging.getLogger(__name__)
PROGRESS_TTL = 3600  # seconds a run's progress is kept in Redis


def start(run: ImportRun) -> bool:
    """Hand a committed ``queued`` import to the queue."""
    return jobs.enqueue(import_job, run.id, job_id=f"import-{run.id}")


def unqueue(run_id: int) -> None:
    """Back to its preview an import the queue did not take (no worker can have claimed it)."""
    db.session.execute(
        update(ImportRun)
        .where(ImportRun.id == run_id, ImportRun.status == "queued")
        .values(status="mapping", touched_at=utcnow())
    )
    db.session.commit()


def _progress_key(run_id: int) -> str:
    return f"{current_app.config['CRM_QUEUE']}:import-progress:{run_id}"


def write_progress(run_id: int, percent: int) -> None:
    try:
        jobs.connection().set(_progress_key(run_id), int(percent), ex=PROGRESS_TTL)
    except Exception:  # noqa: BLE001 - progress is a courtesy; the import goes on
        log.warning("import %s: progress not written", run_id)


def read_progress(run: ImportRun) -> int:
    """The percentage a running import has reached (100 once done)."""
    if not run.waiting:
        return 100 if run.status in ("done", "undone") else run.progress
    try:
        value = jobs.connection().get(_progress_key(run.id))
    except Exception:  # noqa: BLE001
        return 0
    return max(0, min(100, int(value))) if value is not None else 0


def claim(run_id: int) -> int | None:
    stmt = (
        update(ImportRun)
        .where(ImportRun.id == run_id, ImportRun.status == "queued")
        .values(status="running", attempt=ImportRun.attempt + 1, touched_at=utcnow())
        .returning(ImportRun.attempt)
    )
    attempt = db.session.execute(stmt).scalar()
    db.session.commit()
    return attempt


def _fail(run_id: int, message: str) -> None:
    now = utcnow()
    db.session.execute(
        update(ImportRun)
        .where(ImportRun.id == run_id)
        .values(status="failed", error=message[:500], finished_at=now, touched_at=now)
    )
    db.session.commit()


def run_import(run_id: int) -> str:
    """Commit one queued import: ``done``, ``failed`` or ``not claimed``. All or nothing: a
    failure rolls back every row."""
    if claim(run_id) is None:
        return "not claimed"
    run = db.session.get_one(ImportRun, run_id)
    owner = db.session.get(User, run.owner_id)
    if owner is None or not owner.active:
        _fail(run_id, "")
        return "failed"
    reader = Formatter.for_user(owner)
    write_progress(run_id, 0)
    try:
        with acting_as(owner, via="job"):
            services.commit(run, progress=lambda percent: write_progress(run_id, percent))
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        _fail(run_id, reader.translate(error.message))
        return "failed"
    except Exception:  # noqa: BLE001 - the user is told it failed; the log keeps the why
        db.session.rollback()
        log.exception("import %s failed", run_id)
        _fail(run_id, "")
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
