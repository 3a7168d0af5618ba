"""Logs an operator can use (``crm.logs``): a JSON line per request with its id (also a
response header), errors with that id and their traceback, sign-in events; and nothing secret
or personal in any line."""

import json
import logging

import pytest

from crm.extensions import db
from crm.logs import JsonLines
from tests.conftest import PASSWORD
from tests.test_login_throttle import attempt, guess_from_many_addresses, hold_the_turn


@pytest.fixture
def lines(caplog):
    """Every record of the app's loggers while the test runs, formatted as the app writes
    them (JSON lines)."""
    caplog.set_level(logging.INFO, logger="crm")
    formatter = JsonLines()

    def read() -> list[dict]:
        return [json.loads(formatter.format(r)) for r in caplog.records if r.name.startswith("crm")]

    return read


def test_each_request_has_an_id_in_its_header_and_its_log_line(auth, client, lines):
    user = auth.login("staff", locale="en")
    response = client.get("/partners/?q=Maryam+Ahmadi&country=IR")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32
    [line] = [
        line for line in lines() if line["logger"] == "crm.requests" and line["status"] == 200
    ]
    assert line["request_id"] == request_id and line["user_id"] == user.id
    assert (line["method"], line["path"]) == ("GET", "/partners/")  # no query string
    assert isinstance(line["ms"], float) and line["level"] == "info"
    assert "Maryam" not in json.dumps(lines())


def test_a_proxys_request_id_is_kept_and_a_strange_one_replaced(client):
    kept = client.get("/login", headers={"X-Request-ID": "edge-7f3a.42"})
    assert kept.headers["X-Request-ID"] == "edge-7f3a.42"
    replaced = client.get("/login", headers={"X-Request-ID": "<script>" * 20})
    assert replaced.headers["X-Request-ID"] != "<script>" * 20
    assert len(replaced.headers["X-Request-ID"]) == 32


def test_an_error_is_logged_with_its_request_id_and_traceback(app, auth, client, lines):
    name = "Mar" + "yam"  # not in the traceback's source lines: only a parameter could show it

    def broken():
        db.session.execute(db.text("SELECT * FROM no_such_table WHERE name = :n"), {"n": name})

    app.add_url_rule("/broken", "broken", broken)
    app.view_functions["broken"].required_role = "viewer"
    app.config["PROPAGATE_TEST_ERRORS"] = False
    auth.login("viewer")
    response = client.get("/broken")
    assert response.status_code == 500
    [error] = [line for line in lines() if line["level"] == "error"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert "Traceback" in error["traceback"] and "no_such_table" in error["traceback"]
    assert "Maryam" not in error["traceback"]  # the SQL, never its parameters


def test_sign_in_events_name_the_account_by_id_never_its_email_or_password(
    client, make_user, lines
):
    user = make_user("staff", email="shirin@example.org")
    attempt(client, user.email, "a-wrong-password-123")
    attempt(client, "nobody@example.org", "another-wrong-one")
    attempt(client, user.email, PASSWORD)
    events = [(line["event"], line.get("user_id")) for line in lines() if "event" in line]
    assert events == [("sign_in_failed", user.id), ("sign_in_failed", None), ("sign_in", user.id)]
    assert all(line["address"] == "192.0.2.1" for line in lines() if "event" in line)
    text = json.dumps(lines())
    for secret in ("shirin@example.org", "nobody@example.org", "a-wrong-password", PASSWORD):
        assert secret not in text


def test_slowed_and_refused_sign_ins_are_security_events(app, client, make_user, lines):
    user = make_user("staff")
    guess_from_many_addresses(client, user.email, 6)
    hold_the_turn(app, user.email)
    assert attempt(client, user.email, PASSWORD, address="198.51.100.5").status_code == 429
    slowed = [line for line in lines() if line.get("event") == "sign_in_slowed"]
    assert slowed and slowed[0]["user_id"] == user.id and slowed[0]["wait"] >= 1
    for _ in range(6):  # one address over its limit
        response = attempt(client, "someone@example.org", address="198.51.100.77")
    assert response.status_code == 429
    refused = [line for line in lines() if line.get("event") == "sign_in_refused_address"]
    assert refused and refused[-1]["address"] == "198.51.100.77"


def test_a_calendar_feed_token_is_masked_in_the_request_line(client, lines):
    client.get("/calendar/feed/abcdefghijklmnopqrstuvwxyz012345.ics")
    [line] = [line for line in lines() if line["logger"] == "crm.requests"]
    assert line["path"] == "/calendar/feed/abcd….ics" and "abcdefghijk" not in json.dumps(line)


def test_the_workers_and_schedulers_lines_are_json_lines_too(monkeypatch):
    """RQ's worker and scheduler write through the app's handler, not a colour handler of
    their own (``flask crm worker`` and ``flask crm scheduler`` build the app first)."""
    import io

    from rq.logutils import setup_loghandlers

    from crm.logs import adopt

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines())
    crm, rq = logging.getLogger("crm"), logging.getLogger("rq")
    monkeypatch.setattr(crm, "handlers", [handler])
    monkeypatch.setattr(rq, "handlers", [])
    monkeypatch.setattr(rq, "propagate", True)
    monkeypatch.setattr(logging.getLogger("rq.worker"), "handlers", [])
    adopt("rq")
    setup_loghandlers("INFO", name="rq.worker")  # what a worker does as it starts
    assert logging.getLogger("rq.worker").handlers == []
    logging.getLogger("rq.worker").info("Worker %s: started", "w1")
    [line] = [json.loads(text) for text in stream.getvalue().splitlines()]
    assert line["logger"] == "rq.worker" and line["message"] == "Worker w1: started"
    assert line["level"] == "info"
