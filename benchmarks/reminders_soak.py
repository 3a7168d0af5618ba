"""The reminders' soak (``python -m benchmarks.reminders --soak``): 1,000 reminders due at once,
delivered by two ``flask crm worker`` processes through a Redis and an SMTP sink of its own on
loopback (``tests/live_services.py``), on a scratch SQLite file or PostgreSQL database.

First one worker alone delivers ``--rate-reminders`` reminders (an in-app and an e-mail row
each): its delivery rate. Then the soak: ``--reminders`` due at once, two workers; when a
quarter of the e-mails have arrived, one worker is killed with SIGKILL while the sink holds
its message unanswered (the narrow window of e-mail), and started again as a supervisor would;
at half, Redis is stopped and started again (without persistence: its queue is lost). When
the workers fall idle with rows unsent, a sweep 11 minutes on (the reaper's and the
re-queue's timeout is 10) hands them out again, as the periodic sweep would then. Required:
exactly ``--reminders`` distinct Message-IDs at the sink and in-app notifications; the raw
number of e-mails received is reported (a copy per kill in the narrow window).
"""

import os
import signal
import subprocess
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from time import perf_counter
from zoneinfo import ZoneInfo

from rq import Worker
from sqlalchemy import delete, func, select

from benchmarks.common import (
    drop_postgres,
    ensure_schema,
    make_app,
    scratch_folder,
    scratch_postgres,
    scratch_sqlite,
)
from crm import jobs
from crm.activities.models import Activity
from crm.auth.models import User
from crm.extensions import db
from crm.models import utcnow
from crm.notifications.models import Notification
from crm.partners.models import Partner
from crm.reminders.models import Reminder, ReminderSetting, SweepRun
from crm.reminders.sweep import sweep
from crm.reminders.tasks import deliver_job, sweep_job
from tests.live_services import (
    RedisServer,
    SmtpSink,
    app_env,
    start_worker,
    stop_process,
    wait_for,
)

QUEUE = "crm-soak"
ZONES = ("Asia/Tehran", "Europe/Berlin", "America/New_York", "Asia/Tokyo")
USERS = 20
STALL = 5.0  # seconds without progress, the queue empty: the rest waits for a later sweep
TIMEOUT = 900  # seconds for the soak at most


class Soak:
    def __init__(self, url: str, folder: Path, sink_delay: float):
        self.folder, self.sink_delay = folder, sink_delay
        self.redis = RedisServer(folder / "redis").start()
        self.sink = SmtpSink().start()
        self.app = make_app(url)
        ensure_schema(self.app)
        self.app.config.update(REDIS_URL=self.redis.url, CRM_QUEUE=QUEUE, **self.sink.config)
        self.env = app_env(
            folder, DATABASE_URL=url, REDIS_URL=self.redis.url, CRM_QUEUE=QUEUE, **self.sink.env
        )
        self.log = folder / "workers.log"
        self.workers: list[subprocess.Popen] = []

    def close(self) -> None:
        for worker in self.workers:
            stop_process(worker)
        self.sink.stop()
        self.redis.stop()
        with self.app.app_context():
            db.engine.dispose()

    # --- data ---------------------------------------------------------------------------
    def prepare(self) -> None:
        """Users in four zones, in Persian and English, and the digest hour far from now."""
        with self.app.app_context():
            for n in range(USERS):
                db.session.add(
                    User(
                        email=f"soak{n}@example.org",
                        display_name=f"Soak {n}",
                        password_hash="!",
                        locale=("fa", "en")[n % 2],
                        timezone=ZONES[n % len(ZONES)],
                    )
                )
            db.session.add(
                Partner(
                    kind="city",
                    domain="cities",
                    name_en="Istanbul",
                    name_fa="استانبول",
                    country="TR",
                    relationship_type="sister_city",
                )
            )
            db.session.add(ReminderSetting(key="digest_hour", value=str(quiet_hour())))
            db.session.commit()

    def due_now(self, count: int) -> int:
        """``count`` meetings whose reminder is due now; the sweep log ends 15 minutes ago.
        Returns the largest ledger id before them."""
        now = utcnow()
        with self.app.app_context():
            users = list(db.session.scalars(select(User.id)))
            partner = db.session.scalars(select(Partner)).first()
            assert partner is not None
            starts = (now + timedelta(minutes=50)).replace(second=0, microsecond=0)
            db.session.add_all(
                Activity(
                    kind="meeting",
                    subject=f"جلسه {n}" if n % 2 else f"Meeting {n}",
                    domain=partner.domain,
                    partner_id=partner.id,
                    owner_id=users[n % len(users)],
                    status="planned",
                    starts_at=starts,
                    due_on=None,
                    remind_before_minutes=60,
                )
                for n in range(count)
            )
            db.session.execute(delete(SweepRun))
            db.session.add(SweepRun(started_at=now, until=now - timedelta(minutes=15)))
            db.session.commit()
            return db.session.scalar(select(func.coalesce(func.max(Reminder.id), 0)))

    def ledger(self, base: int) -> Counter:
        with self.app.app_context():
            stmt = (
                select(Reminder.status, func.count())
                .where(Reminder.id > base)
                .group_by(Reminder.status)
            )
            return Counter(dict(db.session.execute(stmt).all()))

    # --- workers ------------------------------------------------------------------------
    def start_workers(self, count: int) -> None:
        for _ in range(count):
            self.workers.append(start_worker(self.env, self.log))
        with self.app.app_context():
            queue = jobs.queue()
            wait_for(lambda: Worker.count(queue=queue) >= count, 60, f"{count} workers", step=0.2)

    def stop_workers(self) -> None:
        for worker in self.workers:
            stop_process(worker)
        self.workers = []

    def kill_in_the_window(self) -> str:
        """SIGKILL a worker while the sink holds its e-mail unanswered (or, failing that
        within ten seconds, the first worker, wherever it is)."""
        with self.app.app_context():
            queue = jobs.queue()
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                waiting = {m.strip("<>").split("@")[0] for m in self.sink.waiting()}
                for worker in Worker.all(queue=queue):
                    job_id = worker.get_current_job_id() or ""
                    reminder_id = job_id.rsplit("-", 1)[-1]
                    if not waiting or not reminder_id.isdigit():
                        continue
                    reminder = db.session.get(Reminder, int(reminder_id))
                    if reminder is not None and reminder.message_id in waiting:
                        os.kill(worker.pid, signal.SIGKILL)
                        return f"pid {worker.pid}, in the narrow window ({reminder.message_id})"
                db.session.rollback()
                time.sleep(0.005)
        pid = self.workers[0].pid
        os.kill(pid, signal.SIGKILL)
        return f"pid {pid}, at a random moment (the window was not caught)"

    def supervise(self) -> int:
        """Start again each worker that has ended; how many were."""
        restarted = 0
        for n, worker in enumerate(self.workers):
            if worker.poll() is not None:
                time.sleep(1)  # as systemd's RestartSec=1
                self.workers[n] = start_worker(self.env, self.log)
                restarted += 1
        return restarted

    # --- the phases ---------------------------------------------------------------------
    def rate(self, count: int) -> tuple[float, float]:
        """One worker delivers ``count`` reminders; (deliveries a second, e-mails a second)."""
        base = self.due_now(count)
        self.sink.delay = 0
        self.start_workers(1)
        with self.app.app_context():
            started = perf_counter()
            assert jobs.enqueue(sweep_job, job_id="sweep-rate")
        wait_for(
            lambda: self.ledger(base)["sent"] == 2 * count,
            TIMEOUT,
            f"one worker's {2 * count} deliveries",
            step=0.05,
        )
        elapsed = perf_counter() - started
        self.stop_workers()
        return 2 * count / elapsed, count / elapsed

    def soak(self, count: int) -> dict:
        base = self.due_now(count)
        before = len(self.sink.messages())
        self.sink.delay = self.sink_delay
        self.start_workers(2)
        with self.app.app_context():
            started = perf_counter()
            assert jobs.enqueue(sweep_job, job_id="sweep-soak")
        facts: dict = {"restarted": 0, "catch-up sweeps": []}
        clock, last_sent, quiet_since = utcnow(), -1, time.monotonic()
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            received, ledger = len(self.sink.messages()) - before, self.ledger(base)
            if ledger["sent"] == 2 * count:
                break
            if "killed" not in facts and received >= count // 4:
                facts["killed"] = self.kill_in_the_window() + f" after {received} e-mails"
            elif "killed" in facts and "redis" not in facts and received >= count // 2:
                self.redis.stop()
                time.sleep(2)
                self.redis.start()
                facts["redis"] = f"stopped and started again after {received} e-mails"
            facts["restarted"] += self.supervise()
            if ledger["sent"] != last_sent:
                last_sent, quiet_since = ledger["sent"], time.monotonic()
            elif time.monotonic() - quiet_since > STALL and self.queue_is_empty():
                clock = max(clock, utcnow()) + timedelta(minutes=11)
                facts["catch-up sweeps"].append(self.catch_up(clock))
                quiet_since = time.monotonic()
            time.sleep(0.1)
        facts["seconds"] = perf_counter() - started
        self.stop_workers()
        facts["ledger"] = dict(self.ledger(base))
        ids = [m.message_id for m in self.sink.messages()[before:]]
        facts["raw"], facts["distinct"] = len(ids), len(set(ids))
        facts["twice"] = sum(1 for n in Counter(ids).values() if n > 1)
        with self.app.app_context():
            found = select(func.count(), func.count(func.distinct(Notification.reminder_id)))
            facts["in-app"], facts["in-app reminders"] = db.session.execute(
                found.where(Notification.reminder_id > base)
            ).one()
        return facts

    def queue_is_empty(self) -> bool:
        try:
            with self.app.app_context():
                return jobs.queue().count == 0
        except Exception:  # noqa: BLE001 - Redis down for the moment
            return False

    def catch_up(self, clock: datetime) -> str:
        """The sweep ``clock`` says (11 minutes on): it reaps and hands out again."""
        with self.app.app_context():
            result = sweep(clock)
            enqueued = sum(
                jobs.enqueue(deliver_job, i, job_id=f"deliver-{i}") for i in result.ready
            )
        return f"reaped {result.reaped}, handed out {len(result.ready)}, enqueued {enqueued}"


def quiet_hour() -> int:
    """A digest hour at least three hours from now in every zone of the soak's users."""
    now = utcnow()
    hours = [now.astimezone(ZoneInfo(zone)).hour for zone in ZONES]
    return next(h for h in range(24) if all(min((h - x) % 24, (x - h) % 24) >= 3 for x in hours))


def run_soak(args) -> bool:
    pg_name = None
    if args.postgres:
        pg_name, url = scratch_postgres(suffix="soak")
    else:
        url = scratch_sqlite("soak")
    folder = Path(scratch_folder("crm-soak-"))
    soak = Soak(url, folder, args.sink_delay)
    try:
        soak.prepare()
        per_second, emails = soak.rate(args.rate_reminders)
        dialect = url.split(":")[0].split("+")[0]
        print(f"\none worker, {args.rate_reminders:,} reminders on {dialect}, the sink at once:")
        print(f"  {per_second:,.1f} deliveries a second ({emails:,.1f} e-mails and as many in-app)")
        facts = soak.soak(args.reminders)
        print(f"\nsoak: {args.reminders:,} reminders due at once, two workers, {dialect},")
        print(f"  the sink replying after {args.sink_delay * 1000:.0f} ms")
        print(f"  killed: {facts.get('killed', 'nobody (it ended first)')}")
        print(f"  Redis: {facts.get('redis', 'not restarted (it ended first)')}")
        gave_up = soak.log.read_text(errors="replace").count("unhandled exception, quitting")
        print(
            f"  workers started again after they ended: {facts['restarted']} "
            f"({gave_up} quit on an error of their own, such as Redis gone as a job ended)"
        )
        for n, done in enumerate(facts["catch-up sweeps"], start=1):
            print(f"  sweep {11 * n} minutes on: {done}")
        print(f"  ledger: {facts['ledger']}, in {facts['seconds']:.1f} s")
        print(f"  distinct Message-IDs at the sink: {facts['distinct']:,}")
        print(f"  raw e-mails received: {facts['raw']:,} ({facts['twice']} received twice)")
        print(
            f"  in-app notifications: {facts['in-app']:,} "
            f"(of {facts['in-app reminders']:,} distinct reminders)"
        )
        ok = facts["distinct"] == facts["in-app"] == facts["in-app reminders"] == args.reminders
        print("  " + ("exactly once: yes" if ok else "FLAG: not exactly once"))
        if not ok:
            print(f"  the workers' output: {soak.log}")
        return ok
    finally:
        soak.close()
        if pg_name:
            drop_postgres(pg_name)
