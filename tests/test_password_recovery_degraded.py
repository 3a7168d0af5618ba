"""Asking for a reset link while Redis is down: the same answer, no error (the per-address and
per-account counts go on in this process's memory; the message cannot be queued, and says so in
the log)."""

import logging

from tests.test_degraded import app  # noqa: F401 - an app whose Redis does not answer
from tests.test_password_recovery import SAME_ANSWER, ask


def test_asking_for_a_link_answers_the_same_while_redis_is_down(client, make_user, caplog):
    user = make_user("staff")
    caplog.set_level(logging.WARNING, logger="crm")
    for email in (user.email, "nobody@example.org"):
        response = ask(client, email)
        assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert SAME_ANSWER in client.get("/login").get_data(as_text=True)
    assert any("could not enqueue reset_link_job" in r.getMessage() for r in caplog.records)
