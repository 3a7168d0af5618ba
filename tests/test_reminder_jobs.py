"""Reminders through the real services: Redis, ``flask crm worker`` processes and an SMTP
server on loopback (``tests/live_services.py``). Each test has a queue of its own (a uuid) and
removes its keys afterwards; a test that stops Redis runs a ``redis-server`` of its own.

The reminders are due now, by the clock: a meeting in 50 minutes with a reminder an hour
ahead, after a sweep log that ends 15 minutes ago. The digest hour is moved away from now so
that no daily digest joins them."""

import os
import signal
import subprocess
import threading
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

import jdatetime
import pytest
import redis
from rq import Queue
from rq.job import Job
from sqlalchemy import select

from crm import jobs
from crm.extensions import db
from crm.models import utcnow
from crm.notifications.models import Notification
from crm.reminders import ledger
from crm.reminders.models import Reminder, ReminderSetting, SweepRun
from crm.reminders.tasks import deliver_job, sweep_job
from tests.conftest import need_service
from tests.live_services import (
    ROOT,
    RedisServer,
    SmtpSink,
    app_env,
    flask_command,
    remove_queue_keys,
    start_worker,
    stop_process,
    wait_for,
)

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
DELIVERY_WAIT = 90  # seconds: a bound for a stuck test, not a measure (a worker starts in ~2 s)


# --- fixtures -------------------------------------------------------------------------------
@pytest.fixture
def sink():
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def queue_name(redis_url):
    """A queue of the test's own; its keys (and its jobs' and workers') go afterwards."""
    name = f"crm-test-{uuid.uuid4().hex}"
    yield name
    assert remove_queue_keys(redis.Redis.from_url(redis_url), name) == []


@pytest.fixture
def mail_app(app, sink):
    """The test's app, sending mail to the sink; its Redis client closed at the end."""
    app.config.update(sink.config)
    yield app
    found = app.extensions.pop("crm_redis", None)
    if found is not None:
        found.close()


@pytest.fixture
def jobs_app(mail_app, redis_url, queue_name):
    """... enqueueing to the test's queue on the shared Redis."""
    mail_app.config.update(REDIS_URL=redis_url, CRM_QUEUE=queue_name)
    return mail_app


@pytest.fixture
def own_redis(tmp_path):
    """A ``redis-server`` of the test's own, to stop and start."""
    if not RedisServer.available():
        need_service("redis-server", "the test runs a Redis of its own")
    server = RedisServer(tmp_path / "redis")
    yield server.start()
    server.stop()


class Processes:
    """``flask crm worker`` and ``scheduler`` processes on the test's database, and the Redis,
    queue and SMTP server of its app's settings when they start; their output goes to
    ``log``."""

    def __init__(self, app, database_url: str, folder, sink: SmtpSink):
        self.app, self.database_url, self.folder, self.sink = app, database_url, folder, sink
        self.log = folder / "processes.log"
        self.started: list[subprocess.Popen] = []

    def env(self) -> dict[str, str]:
        return app_env(
            self.folder,
            DATABASE_URL=self.database_url,
            REDIS_URL=self.app.config["REDIS_URL"],
            CRM_QUEUE=self.app.config["CRM_QUEUE"],
            **self.sink.env,
        )

    def worker(self, burst: bool = False) -> subprocess.Popen:
        process = start_worker(self.env(), self.log, burst=burst)
        self.started.append(process)
        return process

    def scheduler(self) -> subprocess.Popen:
        with open(self.log, "ab") as out:
            process = subprocess.Popen(
                flask_command("crm", "scheduler"),
                cwd=ROOT,
                env=self.env(),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.started.append(process)
        return process

    def output(self) -> str:
        return read(self.log)


@pytest.fixture
def processes(mail_app, database_url, tmp_path, sink):
    """Start ``flask crm`` processes (``Processes``); all are stopped at the end."""
    found = Processes(mail_app, database_url, tmp_path, sink)
    yield found
    for process in found.started:
        stop_process(process)


# --- helpers --------------------------------------------------------------------------------
def quiet_digest(app, zone: str) -> None:
    """Move the digest hour twelve hours away from now in ``zone``: no digest joins in."""
    hour = (utcnow().astimezone(ZoneInfo(zone)).hour + 12) % 24
    with app.app_context():
        db.session.add(ReminderSetting(key="digest_hour", value=str(hour)))
        db.session.commit()


def due_meeting(app, make_user, make_activity, **owner):
    """An owner with a meeting in 50 minutes, reminded an hour ahead: due now. The sweep log
    ends 15 minutes ago."""
    owner = make_user("staff", **owner)
    quiet_digest(app, owner.timezone)
    now = utcnow()
    activity = make_activity(
        subject="دیدار با شهردار استانبول",
        owner_id=owner.id,
        starts_at=(now + timedelta(minutes=50)).replace(second=0, microsecond=0),
        due_on=None,
        remind_before_minutes=60,
    )
    with app.app_context():
        db.session.add(SweepRun(started_at=now, until=now - timedelta(minutes=15)))
        db.session.commit()
    return owner, activity


def ledger_rows(app) -> dict[str, tuple[str, int]]:
    """channel -> (status, attempts) of the reminder rows."""
    with app.app_context():
        db.session.expire_all()
        return {
            r.channel: (r.status, r.attempts)
            for r in db.session.scalars(select(Reminder).order_by(Reminder.id))
        }


def statuses(app) -> dict[str, str]:
    return {channel: status for channel, (status, _n) in ledger_rows(app).items()}


def notifications(app, user) -> list[Notification]:
    with app.app_context():
        stmt = select(Notification).where(Notification.user_id == user.id)
        found = list(db.session.scalars(stmt))
        db.session.expunge_all()
        return found


def all_sent(app):
    return statuses(app) == {"in_app": "sent", "email": "sent"}


def idle(app) -> bool:
    """Nothing waits in the test's queue (a worker stopped then has nothing left to do)."""
    with app.app_context():
        return jobs.queue().count == 0


def delivered(app, processes) -> None:
    """Wait until both rows are sent and no job waits: stop the workers before counting."""
    wait_for(lambda: all_sent(app), DELIVERY_WAIT, f"delivery; output:\n{processes.output()}")
    wait_for(lambda: idle(app), DELIVERY_WAIT, "an idle queue")


def read(path) -> str:
    return path.read_text(errors="replace")[-4000:] if path.exists() else "(no output)"


def persian(text: str) -> str:
    return text.translate(PERSIAN_DIGITS)


# --- a worker process, the real Redis and SMTP ----------------------------------------------
@pytest.mark.redis
def test_a_worker_process_sends_a_due_meeting_once_by_email_and_in_app_in_the_owners_language(
    jobs_app, processes, sink, make_user, make_activity
):
    app = jobs_app
    owner, activity = due_meeting(
        app, make_user, make_activity, locale="fa", timezone="Asia/Tehran"
    )
    worker = processes.worker()
    with app.app_context():
        assert jobs.enqueue(sweep_job, job_id="sweep")
    delivered(app, processes)
    with app.app_context():
        sweep = Job.fetch(f"{app.config['CRM_QUEUE']}-sweep", connection=jobs.connection())
        assert sweep.return_value() == {"written": 2, "skipped": 0, "ready": 2}
    stop_process(worker)
    assert worker.returncode == 0, processes.output()

    [received] = sink.messages()
    [notification] = notifications(app, owner)
    local = activity.starts_at.astimezone(ZoneInfo("Asia/Tehran"))
    jalali = jdatetime.date.fromgregorian(date=local.date()).strftime("%Y/%m/%d")
    when = f"{persian(jalali)}، {persian(local.strftime('%H:%M'))}"
    assert received.to == (owner.email,)
    assert received.subject == notification.subject
    assert "دیدار با شهردار استانبول" in received.subject and when in received.subject
    assert local.strftime("%H:%M") not in received.subject  # Persian digits, not Latin
    assert received.message_id == (
        f"<reminder.activity_due.activity.{activity.id}."
        f"{activity.starts_at:%Y%m%dT%H%MZ}-60.{owner.id}@127.0.0.1>"
    )
    message = received.message
    assert message["Content-Language"] == "fa"
    text = message.get_body(("plain",)).get_content()
    assert f"زمان: {when}" in text and f"/activities/{activity.id}" in text  # "When"
    assert 'dir="rtl"' in message.get_body(("html",)).get_content()
    assert (notification.kind, notification.record_id, notification.late) == (
        "activity_due",
        activity.id,
        False,
    )
    assert ledger_rows(app) == {"in_app": ("sent", 1), "email": ("sent", 1)}


@pytest.mark.redis
def test_a_worker_killed_while_the_mail_server_receives_is_replaced_and_the_reminder_sent_once(
    jobs_app, processes, sink, make_user, make_activity, monkeypatch
):
    app = jobs_app
    owner, _activity = due_meeting(app, make_user, make_activity)
    sink.delay = 120  # the server takes the message and keeps the worker waiting for its reply
    first = processes.worker()
    with app.app_context():
        assert jobs.enqueue(sweep_job, job_id="sweep")
    assert sink.receiving.wait(DELIVERY_WAIT), processes.output()
    assert statuses(app) == {"in_app": "sent", "email": "sending"}
    os.kill(first.pid, signal.SIGKILL)
    assert first.wait(timeout=10) == -signal.SIGKILL
    sink.delay = 0

    second = processes.worker()
    with app.app_context():  # a sweep before the reaper's timeout leaves the row to its worker
        assert sweep_job()["ready"] == 0
    assert statuses(app)["email"] == "sending"
    later = utcnow() + ledger.CLAIM_TIMEOUT + timedelta(minutes=1)
    monkeypatch.setattr("crm.reminders.sweep.utcnow", lambda: later)
    with app.app_context():
        assert sweep_job() == {"written": 0, "skipped": 0, "ready": 1}
    delivered(app, processes)
    stop_process(second)

    ids = sink.message_ids()
    print(f"raw e-mails received: {len(ids)}")  # seen with -s
    assert len(set(ids)) == 1  # the same Message-ID: a mail system drops the second copy
    assert len(ids) == 2  # the one narrow window: taken by the server, the worker killed
    assert len(notifications(app, owner)) == 1
    assert ledger_rows(app) == {"in_app": ("sent", 1), "email": ("sent", 2)}


@pytest.mark.redis
def test_two_sweeps_at_once_write_each_reminder_once_and_deliver_it_once(
    jobs_app, processes, sink, make_user, make_activity, monkeypatch
):
    """Two sweep jobs in two threads, held until both have found the reminders (the same
    span: neither has logged its run yet), then writing at the same moment."""
    app = jobs_app
    owner, _activity = due_meeting(app, make_user, make_activity)
    write, found = ledger.write, []
    both_found = threading.Barrier(2)

    def write_together(rows):
        rows = list(rows)
        found.append(len(rows))
        both_found.wait(timeout=20)
        return write(rows)

    monkeypatch.setattr(ledger, "write", write_together)
    results: list[dict] = []
    errors: list[BaseException] = []

    def sweep_now() -> None:
        with app.app_context():
            try:
                results.append(sweep_job())
            except BaseException as error:  # noqa: BLE001 - reported by the test
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sweep_now) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and len(results) == 2
    assert found == [2, 2]  # each sweep found the in-app and the e-mail reminder
    assert sorted(r["written"] for r in results) == [0, 2]  # and the ledger took them once
    burst = processes.worker(burst=True)
    assert burst.wait(timeout=DELIVERY_WAIT) == 0, processes.output()
    assert ledger_rows(app) == {"in_app": ("sent", 1), "email": ("sent", 1)}
    assert len(notifications(app, owner)) == 1 and len(sink.messages()) == 1


@pytest.mark.redis
def test_with_redis_stopped_enqueueing_fails_quietly_and_after_its_restart_nothing_is_lost(
    mail_app, own_redis, processes, sink, make_user, make_activity, monkeypatch, caplog
):
    app = mail_app
    app.config.update(REDIS_URL=own_redis.url, CRM_QUEUE="crm-restart")
    owner, _activity = due_meeting(app, make_user, make_activity)
    own_redis.stop()
    with app.app_context():
        assert jobs.enqueue(sweep_job) is False  # logged, not raised
        assert sweep_job() == {"written": 2, "skipped": 0, "ready": 2}  # none enqueued
    assert "could not enqueue deliver_job: ConnectionError" in caplog.text
    assert statuses(app) == {"in_app": "pending", "email": "pending"}

    own_redis.start()  # empty: what was queued before is gone with it
    with app.app_context():
        assert sweep_job()["ready"] == 0  # handed out lately: a worker may hold it yet
    later = utcnow() + ledger.REQUEUE_AFTER + timedelta(minutes=1)
    monkeypatch.setattr("crm.reminders.sweep.utcnow", lambda: later)
    with app.app_context():
        assert sweep_job()["ready"] == 2
        assert jobs.queue().count == 2
    burst = processes.worker(burst=True)
    assert burst.wait(timeout=DELIVERY_WAIT) == 0, processes.output()
    assert ledger_rows(app) == {"in_app": ("sent", 1), "email": ("sent", 1)}
    assert len(notifications(app, owner)) == 1 and len(sink.messages()) == 1


@pytest.mark.redis
def test_the_scheduler_and_a_worker_sweep_and_deliver_as_in_production(
    mail_app, own_redis, processes, sink, make_user, make_activity
):
    """``flask crm scheduler`` enqueues the sweep at once, then every minute, on CRM_QUEUE
    (on a Redis of the test's own: the scheduler keeps records under the sweep's name)."""
    app = mail_app
    app.config.update(REDIS_URL=own_redis.url, CRM_QUEUE=f"crm-{uuid.uuid4().hex}")
    owner, _activity = due_meeting(app, make_user, make_activity)
    processes.scheduler()
    processes.worker()
    delivered(app, processes)
    assert len(notifications(app, owner)) == 1 and len(sink.messages()) == 1
    with app.app_context():
        [run] = [r for r in db.session.scalars(select(SweepRun)) if r.written]
        assert run.written == 2


@pytest.mark.redis
def test_queues_sharing_one_redis_keep_their_jobs_apart(app, redis_url):
    """Two deployments (CRM_QUEUE) on one Redis: the same job id never crosses over."""
    connection = redis.Redis.from_url(redis_url)
    names = [f"crm-test-{uuid.uuid4().hex}" for _ in range(2)]
    try:
        app.config["REDIS_URL"] = redis_url
        for number, name in enumerate(names, start=1):
            app.config["CRM_QUEUE"] = name
            with app.app_context():
                assert jobs.enqueue(deliver_job, number, job_id="deliver-1")
        for number, name in enumerate(names, start=1):
            [job] = Queue(name, connection=connection).jobs
            assert (job.id, job.origin, job.args) == (f"{name}-deliver-1", name, (number,))
    finally:
        app.extensions.pop("crm_redis", connection).close()
        for name in names:
            assert remove_queue_keys(connection, name) == []
        connection.close()
