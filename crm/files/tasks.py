"""The prepared files' jobs, as RQ runs them in a worker that holds the app context: build one
file (``prepare_job``) and the periodic tidy-up (``tidy_job``). They take plain values only."""

import logging
import time
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from crm import jobs
from crm.auth.models import User
from crm.extensions import db
from crm.files import services
from crm.files.models import PreparedFile
from crm.formatting import Formatter
from crm.models import utcnow
from crm.notifications.models import Notification
from crm.permissions import acting_as

log = logging.getLogger(__name__)
PROGRESS_EVERY = 0.5  # seconds: the least time between two writes of the same percentage
READY_SUBJECTS = {
    "pack": _l("Your briefing pack is ready to download."),
    "pipeline": _l("Your pipeline report is ready to download."),
}
FILE_NAMES = {"pack": "briefing-pack", "pipeline": "pipeline-report"}


def start(prepared: PreparedFile) -> bool:
    """Hand a committed file to the queue (False, logged, when Redis cannot be reached: the
    tidy-up hands it out again)."""
    return jobs.enqueue(prepare_job, prepared.id, job_id=f"file-{prepared.id}")


class Progress:
    """The builder's ``on_progress(percent, step)``: written to the row when the percentage
    changes, or when the step changes and ``PROGRESS_EVERY`` has passed since the last write."""

    def __init__(self, file_id: int, attempt: int, clock: Callable[[], float] = time.monotonic):
        self.file_id, self.attempt, self.clock = file_id, attempt, clock
        self.percent, self.step, self.written_at = -1, "", float("-inf")

    def __call__(self, percent: float, step: Any = "") -> None:
        percent, step = max(0, min(100, int(percent))), str(step or "")
        if percent == self.percent and (
            step == self.step or self.clock() - self.written_at < PROGRESS_EVERY
        ):
            return
        self.percent, self.step, self.written_at = percent, step, self.clock()
        services.record_progress(self.file_id, self.attempt, percent, step)


def build(prepared: PreparedFile, owner: User, reader: Formatter, progress: Progress) -> bytes:
    """The file's bytes, made by its builder for ``owner`` in ``reader``'s language."""
    if prepared.kind == "pack":
        from crm.dossiers.pack import pack_pdf

        ids = [int(i) for i in prepared.parameters.get("partner_ids", [])]
        return pack_pdf(ids, owner, reader, on_progress=progress)
    from crm.dossiers.pipeline import pipeline_pdf

    return pipeline_pdf(owner, reader, on_progress=progress)


def prepare(file_id: int) -> str:
    """Build one file, if it is queued: ``ready``, ``failed`` or ``not claimed``."""
    attempt = services.claim(file_id)
    if attempt is None:
        return "not claimed"
    prepared = db.session.get_one(PreparedFile, file_id)
    owner = db.session.get(User, prepared.owner_id)
    if owner is None or not owner.active:
        services.fail(file_id, attempt, "owner")
        db.session.commit()
        return "failed"
    language = prepared.parameters.get("language") or owner.locale
    reader = Formatter(language, owner.timezone)
    progress = Progress(file_id, attempt)
    try:
        with acting_as(owner, via="job"):
            progress(0, reader.translate(_l("Starting")))
            data = build(prepared, owner, reader, progress)
        stored = services.write_file(file_id, attempt, data)
    except Exception:  # noqa: BLE001 - the user is told it failed; the log keeps the why
        db.session.rollback()
        log.exception("file %s (%s) could not be prepared", file_id, prepared.kind)
        services.fail(file_id, attempt, "build")
        db.session.commit()
        return "failed"
    now = utcnow()
    filename = f"{FILE_NAMES[prepared.kind]}-{reader.file_date()}.pdf"
    if not services.finish(file_id, attempt, stored, filename, len(data), now):
        (services.folder() / stored).unlink(missing_ok=True)  # another run has it now
        db.session.rollback()
        return "not claimed"
    own = Formatter.for_user(owner)  # the notification speaks its reader's language
    db.session.add(
        Notification(
            user_id=owner.id,
            kind="file",
            subject=own.translate(READY_SUBJECTS[prepared.kind]),
            record_kind="file",
            record_id=file_id,
            created_at=now,
        )
    )
    db.session.commit()
    log.info("file %s ready: %s bytes", file_id, len(data))
    return "ready"


def prepare_job(file_id: int) -> str:
    """``prepare`` in a session of its own: a worker runs one job after another in one app
    context, and a session kept between them would hold the rows of the last one as they were
    read (and a pack's thousands of records)."""
    db.session.remove()
    try:
        return prepare(file_id)
    finally:
        db.session.remove()


def tidy_job() -> dict:
    """Remove the files past their keep time; queue again the runs a dead worker left."""
    db.session.remove()
    result = services.tidy()
    db.session.commit()
    for file_id in result.again:
        jobs.enqueue(prepare_job, file_id, job_id=f"file-{file_id}")
    return {"expired": result.expired, "again": len(result.again), "given_up": result.given_up}
