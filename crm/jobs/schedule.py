"""The schedule of the periodic jobs (the reminder sweep, the prepared files' and the imports'
tidy-ups, the nightly relationship health), for
``rq cron crm.jobs.schedule --url $REDIS_URL`` (or ``flask crm scheduler``). A worker started
with ``flask crm worker`` runs what it enqueues."""

import os

from rq import cron

from crm.files.tasks import tidy_job
from crm.health.tasks import health_job
from crm.imports.tasks import tidy_job as tidy_imports_job
from crm.jobs import HEALTH_CRON, SWEEP_EVERY, TIDY_EVERY
from crm.reminders.tasks import sweep_job

# The queue the workers of this deployment take their jobs from (CRM_QUEUE, as the app reads it).
QUEUE = os.environ.get("CRM_QUEUE") or "crm"
cron.register(sweep_job, QUEUE, interval=SWEEP_EVERY, name="sweep")
# Prepared files: remove those past their keep time, hand out again those a dead worker left.
cron.register(tidy_job, QUEUE, interval=TIDY_EVERY, name="tidy-files")
# Imports: queue again those a dead worker left (or Redis lost), give up after a few runs.
cron.register(tidy_imports_job, QUEUE, interval=TIDY_EVERY, name="tidy-imports")
# Relationship health: every current partner scored again, once a night.
cron.register(health_job, QUEUE, cron=HEALTH_CRON, name="health")
