"""Background work on RQ: one place that builds the connection and the queue, enqueues after a
commit, and runs workers.

With ``REDIS_URL`` set (production), jobs go to that Redis; workers (``flask crm worker``) and
the schedule (``rq cron crm/jobs/schedule.py`` or ``flask crm scheduler``) are processes of their
own. Without it (the embedded default, ``make run``), the queue lives in this process on one
shared fakeredis server, and a worker and the periodic sweep run in background threads: the same
jobs, queue and worker code as production. A thread cannot use RQ's signal-based job timeout,
so the embedded worker uses ``TimerDeathPenalty`` and installs no signal handlers; it does not
use RQ's scheduler, which forks and would lose the in-memory server.
"""

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask, current_app, has_app_context
from rq import Queue, SimpleWorker
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)
SWEEP_EVERY = 60  # seconds between sweeps
TIDY_EVERY = 300  # seconds between tidy-ups of the prepared files and the imports (their tidy_job)
# When the nightly relationship health runs (crm.health.tasks.health_job): a cron line in the
# scheduler's local time; the embedded schedule runs it once per day of the application's zone.
HEALTH_CRON = "15 0 * * *"
_embedded: dict[str, Any] = {}  # the fake server of this process, made once
_lock = threading.Lock()


def connection(app: Flask | None = None) -> redis.Redis:
    """The Redis the jobs go through: ``REDIS_URL``'s, or this process's embedded one."""
    app = app or current_app
    url = app.config.get("REDIS_URL")
    if url:
        found = app.extensions.get("crm_redis")
        if found is None:
            found = app.extensions["crm_redis"] = redis.Redis.from_url(
                url, socket_connect_timeout=2, socket_timeout=10, health_check_interval=30
            )
        return found
    import fakeredis

    with _lock:
        server = _embedded.setdefault("server", fakeredis.FakeServer(server_type="redis"))
    return fakeredis.FakeRedis(server=server)


def queue(app: Flask | None = None) -> Queue:
    app = app or current_app
    return Queue(app.config["CRM_QUEUE"], connection=connection(app), default_timeout=300)


def enqueue(func: Callable[..., Any], *args: Any, job_id: str | None = None) -> bool:
    """Put a job on the queue; False (logged, not raised) when Redis cannot be reached: what
    the job would do is in the database, and the next sweep hands it out again.

    ``job_id`` is made the queue's own (its name first): RQ keeps a job under its id alone, so
    two deployments sharing one Redis under different ``CRM_QUEUE`` names would otherwise
    overwrite each other's ``deliver-7``, and the expiry of one's would drop the other's."""
    try:
        jobs = queue()
        if job_id:
            job_id = f"{re.sub(r'[^A-Za-z0-9_-]', '_', jobs.name)}-{job_id}"
        jobs.enqueue(func, *args, job_id=job_id, result_ttl=600, failure_ttl=7 * 86400)
    except redis.RedisError as error:
        log.warning("could not enqueue %s: %s", func.__name__, error.__class__.__name__)
        return False
    return True


AFTER_COMMIT = "crm_enqueue_after_commit"  # the session's jobs waiting for its commit


def enqueue_after_commit(func: Callable[..., Any], *args: Any, job_id: str | None = None) -> None:
    """Put a job on the queue once the session's transaction commits, so that the job finds
    the rows it was given; dropped if the transaction is rolled back. (Like ``enqueue``, a job
    that cannot be queued is logged: what it would do must be found again, as the sweep finds
    pending reminders.)"""
    from crm.extensions import db

    db.session().info.setdefault(AFTER_COMMIT, []).append((func, args, job_id))


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    waiting = session.info.pop(AFTER_COMMIT, [])
    if waiting and has_app_context():
        for func, args, job_id in waiting:
            enqueue(func, *args, job_id=job_id)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(AFTER_COMMIT, None)


class ThreadWorker(SimpleWorker):
    """A worker that runs in a thread: no signal handlers, a timer for job timeouts."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        return None


def start_embedded(app: Flask) -> None:
    """Start the in-process worker and the periodic sweep (once per process)."""
    with _lock:
        if _embedded.get("started"):
            return
        _embedded["started"] = True
    from crm.files.tasks import tidy_job
    from crm.health.services import health_day
    from crm.health.tasks import health_job
    from crm.imports.tasks import tidy_job as tidy_imports_job
    from crm.models import utcnow
    from crm.reminders.tasks import sweep_job

    def work() -> None:
        with app.app_context():
            worker = ThreadWorker([queue(app)], connection=connection(app))
            worker.work(logging_level="WARNING")

    def schedule() -> None:
        tidied, scored = float("-inf"), None
        while True:
            with app.app_context():
                enqueue(sweep_job, job_id="sweep")
                if time.monotonic() - tidied >= TIDY_EVERY:
                    enqueue(tidy_job, job_id="tidy-files")
                    enqueue(tidy_imports_job, job_id="tidy-imports")
                    tidied = time.monotonic()
                if scored != (today := health_day(utcnow())):
                    enqueue(health_job, job_id="health")
                    scored = today
            time.sleep(SWEEP_EVERY)

    for target, name in ((work, "crm-worker"), (schedule, "crm-sweep")):
        threading.Thread(target=target, name=name, daemon=True).start()
    log.info("jobs: embedded queue, worker, sweep, tidy-up and health started in this process")
