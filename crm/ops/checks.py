"""The readiness checks: the database, Redis, the workers and the reminder sweep.

Only the database makes the app unready (503): without it no page can be served. Redis, the
workers and a late sweep leave it ready but *degraded* (200): sign-in and pages still work
(``crm.jobs`` and the login throttle fall back), and a load balancer that pulled every web
process out because Redis went away would turn a partial outage into a whole one.
"""

import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, timedelta
from typing import Any

import redis
from flask import current_app
from rq import Worker
from sqlalchemy import text

from crm import jobs
from crm.extensions import db
from crm.models import utcnow

log = logging.getLogger(__name__)

# A worker is alive when it has beaten this recently (RQ beats at least every 60 s while it
# waits for jobs, and before each job).
WORKER_SILENCE = timedelta(minutes=3)
# The sweep runs every minute; this much later, reminders are late.
SWEEP_LATE = timedelta(minutes=10)


@dataclass(frozen=True)
class Check:
    status: str  # ok, degraded or down
    detail: str = ""
    ms: float | None = None


def _timed(probe: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    value = probe()
    return value, round((time.perf_counter() - started) * 1000, 1)


def database() -> Check:
    try:
        _value, ms = _timed(lambda: db.session.execute(text("SELECT 1")).scalar())
    except Exception as error:  # any failure to reach it: the answer, not a crash
        db.session.rollback()
        return Check("down", error.__class__.__name__)
    return Check("ok", db.engine.dialect.name, ms)


def redis_server() -> Check:
    if not current_app.config.get("REDIS_URL"):
        return Check("ok", "embedded")  # this process holds the queue (no REDIS_URL)
    try:
        _value, ms = _timed(jobs.connection().ping)
    except redis.RedisError as error:
        return Check("degraded", error.__class__.__name__)
    return Check("ok", "", ms)


def workers() -> Check:
    if current_app.config.get("CRM_EMBEDDED_JOBS"):
        return Check("ok", "embedded")
    try:
        found = Worker.all(queue=jobs.queue())
    except redis.RedisError as error:
        return Check("degraded", error.__class__.__name__)
    now = utcnow()
    alive = [
        w for w in found if w.last_heartbeat and now - _aware(w.last_heartbeat) < WORKER_SILENCE
    ]
    if not alive:
        return Check("degraded", "no worker alive")
    return Check("ok", f"{len(alive)} alive")


def sweep() -> Check:
    from crm.reminders.sweep import last_run

    try:
        last = last_run()
    except Exception as error:  # the database check says why
        db.session.rollback()
        return Check("degraded", error.__class__.__name__)
    if last is None:
        return Check("degraded", "never ran")
    age = utcnow() - last.started_at
    seconds = int(age.total_seconds())
    return Check("ok" if age < SWEEP_LATE else "degraded", f"{seconds} s ago")


def _aware(moment: Any) -> Any:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def all_checks() -> dict[str, Check]:
    """Each dependency's state (the sweep's only when the database answers)."""
    checks = {"database": database()}
    if checks["database"].status == "ok":
        checks["sweep"] = sweep()
    checks["redis"] = redis_server()
    checks["workers"] = workers()
    return checks


def readiness() -> tuple[dict[str, Any], int]:
    """The readiness answer and its HTTP status."""
    from crm.ops.version import running_version

    checks = all_checks()
    if checks["database"].status != "ok":
        status, code = "down", 503
    elif any(check.status != "ok" for check in checks.values()):
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    _log_change(status, checks)
    answer = {
        "status": status,
        **running_version(),
        "checks": {
            name: {k: v for k, v in asdict(c).items() if v not in ("", None)}
            for name, c in checks.items()
        },
    }
    return answer, code


def _log_change(status: str, checks: dict[str, Check]) -> None:
    """One warning line when readiness changes (not one per probe, and no traceback)."""
    seen = current_app.extensions.get("crm_readiness")
    if seen == status:
        return
    current_app.extensions["crm_readiness"] = status
    failing = ", ".join(
        f"{name} {c.status} ({c.detail})" for name, c in checks.items() if c.status != "ok"
    )
    if status != "ok":
        log.warning("readiness: %s: %s", status, failing)
    elif seen is not None:
        log.warning("readiness: ok again")
