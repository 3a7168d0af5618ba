"""The reminders' jobs, as RQ runs them: in a worker that holds the app context
(``flask crm worker``, or the embedded worker thread). They take plain values only."""

from crm import jobs
from crm.reminders.delivery import deliver
from crm.reminders.sweep import sweep


def sweep_job() -> dict:
    """Sweep now and hand each reminder due to the queue."""
    result = sweep()
    for reminder_id in result.ready:
        jobs.enqueue(deliver_job, reminder_id, job_id=f"deliver-{reminder_id}")
    return {"written": result.written, "skipped": result.skipped, "ready": len(result.ready)}


def deliver_job(reminder_id: int) -> str:
    return deliver(reminder_id)
