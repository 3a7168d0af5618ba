"""Reminders without a worker process: the embedded queue of ``make run`` (a process of its
own), the ``flask crm`` commands, and the connection to the mail server (an SMTP sink on
loopback, ``tests/live_services.py``)."""

import ssl
import subprocess
import sys
import time
from email.message import EmailMessage

import pytest

from crm.reminders import mail
from tests.live_services import ROOT, SmtpSink, app_env, free_port, wait_for
from tests.test_reminder_jobs import DELIVERY_WAIT, all_sent, due_meeting, notifications, read


@pytest.fixture
def sink():
    with SmtpSink() as sink:
        yield sink


# --- the embedded default: no Redis, a worker thread and the sweep in the web process -------
EMBEDDED = """
import sys, time
from crm import create_app
from crm.config import TestConfig

url, folder = sys.argv[1], sys.argv[2]
config = type("Embedded", (TestConfig,), {
    "SQLALCHEMY_DATABASE_URI": url, "CRM_EMBEDDED_JOBS": True, "REDIS_URL": None,
    "CRM_INSTANCE_PATH": folder, "CRM_OUTBOX": folder + "/outbox",
})
app = create_app(config)
app.test_client().get("/login")  # the first request starts the worker and the sweep
print("started", flush=True)
time.sleep(120)
"""


def test_the_embedded_queue_delivers_a_due_reminder_without_redis(
    app, database_url, make_user, make_activity, tmp_path
):
    """In a process of its own: the embedded worker and sweep are once per process and run
    until it ends."""
    owner, activity = due_meeting(app, make_user, make_activity, locale="en")
    log, started = tmp_path / "embedded.log", time.monotonic()
    with open(log, "ab") as out:
        child = subprocess.Popen(
            [sys.executable, "-c", EMBEDDED, database_url, str(tmp_path / "embedded")],
            cwd=ROOT,
            env=app_env(tmp_path),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: all_sent(app), DELIVERY_WAIT, f"embedded delivery:\n{read(log)}")
        print(f"embedded: delivered {time.monotonic() - started:.1f} s after the start")  # -s
    finally:
        child.kill()
        child.wait(timeout=10)
    assert len(notifications(app, owner)) == 1
    [eml] = (tmp_path / "embedded" / "outbox").glob("*.eml")
    assert eml.name.startswith(f"reminder.activity_due.activity.{activity.id}.")
    assert "Traceback" not in read(log)


# --- the commands ---------------------------------------------------------------------------
def test_the_sweep_command_delivers_what_it_found_and_says_so(
    app, runner, sink, make_user, make_activity
):
    app.config.update(sink.config)
    owner, _activity = due_meeting(app, make_user, make_activity)
    result = runner.invoke(args=["crm", "sweep"])
    assert result.exit_code == 0, result.output
    assert "2 reminders written (0 skipped as too old)" in result.output
    assert "0 taken back from stopped workers; delivered: 2 sent." in result.output
    assert len(notifications(app, owner)) == 1 and len(sink.messages()) == 1
    again = runner.invoke(args=["crm", "sweep"])
    assert "0 reminders written" in again.output and "delivered: nothing." in again.output
    assert len(sink.messages()) == 1


@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_the_worker_and_the_scheduler_refuse_to_start_without_redis(runner, command):
    result = runner.invoke(args=["crm", command])
    assert result.exit_code == 2
    assert "REDIS_URL is not set" in result.output
    assert "Traceback" not in result.output


# --- the mail server connection -------------------------------------------------------------
@pytest.fixture
def fresh_tls_context():
    """``mail.tls_context`` made anew in the test, and forgotten after it."""
    mail.tls_context.cache_clear()
    yield
    mail.tls_context.cache_clear()


def test_plain_smtp_reads_no_certificates(
    app, runner, sink, make_user, make_activity, monkeypatch, fresh_tls_context
):
    """A TLS context reads the system's certificate authorities: that took longer than the
    rest of a delivery, and a plain connection has no use for it."""

    def refuse():
        raise AssertionError("a TLS context for a plain connection")

    monkeypatch.setattr(ssl, "create_default_context", refuse)
    app.config.update(sink.config)
    due_meeting(app, make_user, make_activity)
    assert "delivered: 2 sent." in runner.invoke(args=["crm", "sweep"]).output
    assert len(sink.messages()) == 1


def test_the_tls_context_is_made_once_per_process(app, monkeypatch, fresh_tls_context):
    made = []
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda: made.append(1) or real())
    port = free_port()  # nothing listens: each send fails, after making its TLS context
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_SECURITY="ssl")
    message = EmailMessage()
    message["To"] = "someone@example.org"
    message.set_content("A reminder")
    with app.app_context():
        for _ in range(2):
            with pytest.raises(ConnectionRefusedError):
                mail.send(message)
    assert len(made) == 1
