"""Real services on loopback for the job tests and the soak benchmark: an SMTP sink that keeps
every message it accepts, a ``redis-server`` of one's own (to stop and start without touching
the shared one), ``flask crm worker`` processes, and the removal of an RQ queue's keys.

Nothing here imports the app: the benchmark scripts use it as well."""

import asyncio
import email
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
# What the app reads from the environment; a worker gets only the values given to it.
APP_VARIABLES = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "FLASK_", "CRM_", "SMTP_", "MAIL_")


def free_port() -> int:
    """A TCP port nothing listens on at the moment, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], object], timeout: float, what: str, step: float = 0.1):
    """Call ``check`` until it returns something true; its value, or AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s for {what}")
        time.sleep(step)


# --- an SMTP server that keeps what it receives ---------------------------------------------
@dataclass(frozen=True)
class Received:
    message_id: str
    to: tuple[str, ...]  # the envelope's recipients
    subject: str
    raw: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=policy.default)  # type: ignore[return-value]


class SmtpSink:
    """An aiosmtpd server on a free loopback port. Every message is kept the moment its data
    has arrived, before the reply: as a mail system that has taken it, so that a client killed
    while waiting for the reply has still sent it (the narrow window of e-mail). ``delay``:
    seconds to wait before replying (a slow server); ``receiving`` is set when a message has
    arrived and its reply is pending."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.port = 0
        self.received: list[Received] = []
        self.receiving = threading.Event()
        self._waiting: set[str] = set()  # Message-IDs received, their reply not sent yet
        self._lock = threading.Lock()
        self._controller = None

    # aiosmtpd's handler hook
    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=policy.default)
        message_id = str(parsed["Message-ID"] or "")
        to, subject = tuple(envelope.rcpt_tos), str(parsed["Subject"] or "")
        with self._lock:
            self.received.append(Received(message_id, to, subject, raw))
            self._waiting.add(message_id)
        self.receiving.set()
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:  # replied, or the sender has gone (aiosmtpd cancels the handler)
            with self._lock:
                self._waiting.discard(message_id)
        return "250 Message accepted for delivery"

    def start(self) -> "SmtpSink":
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def config(self) -> dict:
        """The app's settings that send mail here."""
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port, "SMTP_SECURITY": "none"}

    @property
    def env(self) -> dict[str, str]:
        return {key: str(value) for key, value in self.config.items()}

    def messages(self) -> list[Received]:
        with self._lock:
            return list(self.received)

    def message_ids(self) -> list[str]:
        return [m.message_id for m in self.messages()]

    def waiting(self) -> set[str]:
        """The Message-IDs received whose sender still waits for the reply."""
        with self._lock:
            return set(self._waiting)


# --- a redis-server of one's own ------------------------------------------------------------
class RedisServer:
    """``redis-server`` on a free loopback port, without persistence: stopping it loses its
    queues, as a crash of a Redis without disk would."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.folder / "redis.log", "ab")  # noqa: SIM115 - the server's, closed by it
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)

        def up() -> bool:
            try:
                return bool(client.ping())
            except redis.RedisError:
                return False

        wait_for(up, 10, f"redis-server on port {self.port}")
        client.close()
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


# --- workers --------------------------------------------------------------------------------
def app_env(folder: Path, **settings: str) -> dict[str, str]:
    """This process's environment without the app's settings, then ``settings``: what a
    ``flask --app app …`` process of a test or a benchmark reads."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(APP_VARIABLES)}
    env.update(
        SECRET_KEY="worker-secret-key-that-is-long-enough-0123456789",
        CRM_INSTANCE_PATH=str(folder / "instance"),
        CRM_EMBEDDED_JOBS="0",
        PYTHONUNBUFFERED="1",
    )
    env.update(settings)
    return env


def flask_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", "app", *args]


def start_worker(env: dict[str, str], log: Path, burst: bool = False) -> subprocess.Popen:
    """``flask --app app crm worker`` in the checkout, its output appended to ``log``."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            flask_command("crm", "worker", *(["--burst"] if burst else [])),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_process(process: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM (a worker's warm shutdown: it finishes its job), then SIGKILL if it lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


# --- RQ's keys ------------------------------------------------------------------------------
def remove_queue_keys(connection: redis.Redis, name: str) -> list[str]:
    """Remove what RQ keeps in Redis for the queue ``name`` and nothing else: the queue, its
    registries, its jobs (those waiting and those its registries name) with their results and
    executions, and the records of the workers that served it. Returns the keys about it that
    are left (none, normally)."""
    from rq import Queue

    queue = Queue(name, connection=connection)
    registries = (
        queue.started_job_registry,
        queue.finished_job_registry,
        queue.failed_job_registry,
        queue.deferred_job_registry,
        queue.scheduled_job_registry,
        queue.canceled_job_registry,
    )
    ids = set(queue.get_job_ids())
    for registry in registries:
        ids.update(registry.get_job_ids(cleanup=False))
    workers = {key.decode() for key in connection.smembers(f"rq:workers:{name}")}
    for key in connection.scan_iter(match="rq:worker:*", count=1000, _type="hash"):
        if connection.hget(key, "queues") == name.encode():  # a worker gone, its record kept
            workers.add(key.decode())

    def ours(key: str) -> bool:
        if name in key or any(key.startswith(worker) for worker in workers):
            return True
        return any(part in ids for part in key.split(":"))

    doomed = [key for key in connection.scan_iter(count=1000) if ours(key.decode())]
    if doomed:
        connection.delete(*doomed)
    if workers:
        connection.srem("rq:workers", *workers)
    connection.srem("rq:queues", f"rq:queue:{name}")
    return [key.decode() for key in connection.scan_iter(count=1000) if ours(key.decode())]
