"""The nightly job, as RQ runs it (``crm.jobs.schedule``): relationship health recomputed, then
the database's statistics refreshed for its planner (``crm.maintenance``)."""

from crm.health.services import recompute_all
from crm.maintenance import refresh_statistics


def health_job() -> dict:
    """Score every current partner again and trim the history, then analyse the database;
    what it did, for RQ's result."""
    done: dict[str, int | str] = dict(recompute_all())
    done["statistics"] = refresh_statistics()
    return done
