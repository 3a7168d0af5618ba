"""Prepared files: asking for one, a run's claim, progress and result, and the tidy-up that
removes files past their keep time and hands out again the runs a dead worker left behind.

A row is ``queued`` when asked for, ``running`` once a worker claimed it (``attempt`` + 1),
then ``ready`` (its file in ``CRM_FILES_FOLDER``) or ``failed``; a ready file becomes
``expired`` when its keep time has passed and the file is removed. Services flush; the views
and the jobs commit, except where a write must not wait for the builder's transaction
(``record_progress`` commits on its own connection).
"""

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, Select, func, select, update

from crm.exceptions import Forbidden, RuleBroken
from crm.extensions import db
from crm.files.models import WAITING, PreparedFile
from crm.formatting import Formatter
from crm.i18n import LANGUAGE_NAMES
from crm.models import utcnow
from crm.partners.models import Partner
from crm.permissions import visible
from crm.records import get_or_not_found

log = logging.getLogger(__name__)

MAX_PARTNERS = 50  # partners in one briefing pack
MAX_WAITING = 5  # files one user may have waiting at once
STUCK_AFTER = timedelta(minutes=10)  # no sign of life for this long: the worker is gone
MAX_ATTEMPTS = 3  # runs of one file before it is given up

# What ``error`` holds is a code; the reader is told this, in the language of the page.
ERRORS = {
    "build": _l("The file could not be prepared. Please try again, or ask for fewer partners."),
    "gave_up": _l("The file could not be prepared after several tries. Please try again later."),
    "owner": _l("The file was not prepared: the account that asked for it is no longer active."),
}
KIND_NAMES = {"pack": _l("Briefing pack"), "pipeline": _l("Pipeline report")}
STATUS_NAMES = {
    "queued": _l("Waiting for its turn"),
    "running": _l("Being prepared"),
    "ready": _l("Ready"),
    "failed": _l("Failed"),
    "expired": _l("Expired"),
}


def folder() -> Path:
    """Where the prepared files are kept (``CRM_FILES_FOLDER``), made when missing."""
    path = Path(current_app.config["CRM_FILES_FOLDER"])
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- asking -------------------------------------------------------------------------------------
def _check_waiting(user: Any) -> None:
    stmt = select(func.count()).where(visible(PreparedFile, user), PreparedFile.status.in_(WAITING))
    if (db.session.scalar(stmt) or 0) >= MAX_WAITING:
        raise RuleBroken(
            _l(
                "You have %(count)s files being prepared. Wait until one is ready.",
                count=MAX_WAITING,
            )
        )


def _language(language: str | None, user: Any) -> str:
    if not language:
        return str(user.locale)
    if language not in LANGUAGE_NAMES:
        raise RuleBroken(_l("Choose from the list."), "language")
    return language


def pack_problems(user: Any, partner_ids: Sequence[int | None]) -> dict[str, Any]:
    """What is wrong with a pack of ``partner_ids`` for ``user``, by field."""
    wanted = {i for i in partner_ids if i}
    reader = Formatter.for_user(user)
    if not wanted:
        return {"partner_ids": _l("Choose at least one partner.")}
    if len(wanted) > MAX_PARTNERS:
        message = _l(
            "A briefing pack holds at most %(max)s partners; you chose %(count)s.",
            max=reader.number(MAX_PARTNERS),
            count=reader.number(len(wanted)),
        )
        return {"partner_ids": message}
    found = db.session.scalar(
        select(func.count()).where(Partner.id.in_(wanted), visible(Partner, user))
    )
    if found != len(wanted):
        return {"partner_ids": _l("Choose partners from the list.")}
    return {}


def request_pack(
    user: Any, partner_ids: Sequence[int | None], language: str | None
) -> PreparedFile:
    """Ask for a briefing pack of ``partner_ids`` (in the order given, each once) in
    ``language`` (default: the user's). Raises ``RuleBroken``; the caller commits, then
    enqueues (``crm.files.tasks.start``)."""
    problems = pack_problems(user, partner_ids)
    if problems:
        raise RuleBroken(errors=problems)
    language = _language(language, user)
    _check_waiting(user)
    ids = list(dict.fromkeys(i for i in partner_ids if i))
    return _add(user, "pack", {"partner_ids": ids, "language": language})


def request_pipeline(user: Any, language: str | None) -> PreparedFile:
    """Ask for the pipeline report (managers and admins); ``Forbidden`` for anyone else."""
    if not user.has_role("manager"):
        raise Forbidden()
    language = _language(language, user)
    _check_waiting(user)
    return _add(user, "pipeline", {"language": language})


def _add(user: Any, kind: str, parameters: dict[str, Any]) -> PreparedFile:
    prepared = PreparedFile(kind=kind, owner_id=user.id, parameters=parameters)
    db.session.add(prepared)
    db.session.flush()
    log.info("file %s: %s asked for by user %s", prepared.id, kind, user.id)
    return prepared


# --- reading ------------------------------------------------------------------------------------
def my_files_query(user: Any) -> Select:
    """``user``'s files, newest first."""
    return select(PreparedFile).where(visible(PreparedFile, user)).order_by(PreparedFile.id.desc())


def get_file(file_id: int, user: Any) -> PreparedFile:
    """One of ``user``'s files, else ``NotFound`` (another user's file does not exist to them)."""
    return get_or_not_found(PreparedFile, file_id, user)


def pack_partners(prepared: PreparedFile, user: Any, reader: Formatter) -> list[str]:
    """The names of a pack's partners that ``user`` may see, in the pack's order."""
    ids = [int(i) for i in prepared.parameters.get("partner_ids") or []]
    if prepared.kind != "pack" or not ids:
        return []
    stmt = select(Partner).where(Partner.id.in_(ids), visible(Partner, user))
    names = {partner.id: reader.name(partner) for partner in db.session.scalars(stmt)}
    return [names[i] for i in ids if i in names]


def stored_path(prepared: PreparedFile) -> Path | None:
    """The ready file on disk, or None (not ready, expired or missing)."""
    if prepared.status != "ready" or not prepared.stored_name:
        return None
    path = folder() / prepared.stored_name
    return path if path.is_file() else None


def error_message(prepared: PreparedFile) -> str:
    return str(ERRORS.get(prepared.error, ERRORS["build"])) if prepared.error else ""


# --- a run --------------------------------------------------------------------------------------
def claim(file_id: int, now: datetime | None = None) -> int | None:
    """Take a queued file for this run and commit; the run's number, or None when it is not
    queued (another run has it, or it is finished)."""
    now = now or utcnow()
    stmt = (
        update(PreparedFile)
        .where(PreparedFile.id == file_id, PreparedFile.status == "queued")
        .values(
            status="running", attempt=PreparedFile.attempt + 1, touched_at=now, progress=0, step=""
        )
        .returning(PreparedFile.attempt)
    )
    attempt = db.session.execute(stmt).scalar()
    db.session.commit()
    return attempt


def _ours(file_id: int, attempt: int) -> tuple:
    """The row, while it is this run's (``attempt``) and running."""
    row = PreparedFile
    return (row.id == file_id, row.status == "running", row.attempt == attempt)


def record_progress(file_id: int, attempt: int, percent: int, step: str) -> bool:
    """Write a run's progress at once, in a transaction of its own on its own connection (the
    builder's session keeps reading); False when the file is no longer this run's."""
    percent = max(0, min(100, int(percent)))
    values = {"progress": percent, "step": step[:200], "touched_at": utcnow()}
    with db.engine.begin() as connection:
        stmt = update(PreparedFile).where(*_ours(file_id, attempt)).values(values)
        result = connection.execute(stmt)
    return result.rowcount == 1


def write_file(file_id: int, attempt: int, data: bytes) -> str:
    """Write ``data`` into the files folder atomically (a partial file, then renamed): a
    reader never finds half a file under the name. Returns the stored name."""
    name = f"{file_id}-{attempt}-{os.urandom(8).hex()}.pdf"
    target = folder() / name
    partial = target.with_suffix(".part")
    with open(partial, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(target)
    return name


def finish(
    file_id: int, attempt: int, stored_name: str, filename: str, size: int, now: datetime
) -> bool:
    """Mark the run's file ready, kept for ``CRM_FILES_KEEP_HOURS``; False (nothing changed)
    when the file is no longer this run's. The caller adds the notification and commits."""
    expires = now + timedelta(hours=current_app.config["CRM_FILES_KEEP_HOURS"])
    values = {
        "status": "ready",
        "progress": 100,
        "stored_name": stored_name,
        "filename": filename[:200],
        "size": size,
        "finished_at": now,
        "expires_at": expires,
        "touched_at": now,
        "error": "",
    }
    result = db.session.execute(update(PreparedFile).where(*_ours(file_id, attempt)).values(values))
    return cast(CursorResult, result).rowcount == 1


def fail(file_id: int, attempt: int | None, code: str, now: datetime | None = None) -> bool:
    """Mark the file failed with the reader's message ``code`` (of ``ERRORS``)."""
    now = now or utcnow()
    where = _ours(file_id, attempt) if attempt is not None else (PreparedFile.id == file_id,)
    values = {"status": "failed", "error": code, "finished_at": now, "touched_at": now}
    result = db.session.execute(update(PreparedFile).where(*where).values(values))
    return cast(CursorResult, result).rowcount == 1


# --- the tidy-up --------------------------------------------------------------------------------
@dataclass
class Tidy:
    expired: int = 0  # ready files past their keep time, removed
    again: list[int] = field(default_factory=list)  # files to hand out again
    given_up: int = 0  # files that failed too many runs


def tidy(now: datetime | None = None) -> Tidy:
    """Remove the files past their keep time (the rows stay, ``expired``), and find the files
    queued or running without a sign of life for ``STUCK_AFTER`` (a worker died, or Redis
    lost the job): each is queued again (``again``: to enqueue once committed), or failed
    after ``MAX_ATTEMPTS`` runs. The caller commits."""
    now = now or utcnow()
    result = Tidy()
    old = select(PreparedFile).where(PreparedFile.status == "ready", PreparedFile.expires_at < now)
    for prepared in db.session.scalars(old):
        if prepared.stored_name:
            (folder() / prepared.stored_name).unlink(missing_ok=True)
        prepared.status, prepared.stored_name, prepared.touched_at = "expired", "", now
        result.expired += 1
    stuck = select(PreparedFile).where(
        PreparedFile.status.in_(WAITING), PreparedFile.touched_at < now - STUCK_AFTER
    )
    for prepared in db.session.scalars(stuck.with_for_update(skip_locked=True)):
        if prepared.attempt >= MAX_ATTEMPTS:
            prepared.status, prepared.error, prepared.finished_at = "failed", "gave_up", now
            result.given_up += 1
            log.warning("file %s: given up after %s runs", prepared.id, prepared.attempt)
        else:
            prepared.status, prepared.progress, prepared.step = "queued", 0, ""
            result.again.append(prepared.id)
            log.warning("file %s: no sign of life since %s", prepared.id, prepared.touched_at)
        prepared.touched_at = now
    for partial in folder().glob("*.part"):  # left by a worker killed while writing
        if partial.stat().st_mtime < (now - STUCK_AFTER).timestamp():
            partial.unlink(missing_ok=True)
    db.session.flush()
    return result
