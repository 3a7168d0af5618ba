"""The schedule of the periodic jobs, for ``rq cron crm.jobs.schedule --url $REDIS_URL`` (or
``flask crm scheduler``). A worker started with ``flask crm worker`` runs what it enqueues."""

import os

from rq import cron

from crm.jobs import SWEEP_EVERY
from crm.reminders.tasks import sweep_job

# The queue the workers of this deployment take their jobs from (CRM_QUEUE, as the app reads it).
cron.register(sweep_job, os.environ.get("CRM_QUEUE") or "crm", interval=SWEEP_EVERY, name="sweep")
