"""The nightly recompute of relationship health, as RQ runs it (``crm.jobs.schedule``)."""

from crm.health.services import recompute_all


def health_job() -> dict:
    """Score every current partner again and trim the history; what it did, for RQ's result."""
    return recompute_all()
