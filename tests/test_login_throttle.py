"""Login throttling: the per-address limit refuses; the per-account one only slows down, so
nobody can lock a colleague out by guessing at their email."""

import re
import time
import uuid

import pytest
import redis

from crm import create_app
from crm.auth import services, throttle
from crm.config import TestConfig
from crm.extensions import db
from tests.conftest import PASSWORD


def attempt(client, email, password="wrong-password", address="192.0.2.1"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def guess_from_many_addresses(client, email, times):
    for n in range(times):
        response = attempt(client, email, address=f"203.0.113.{n + 10}")
        assert response.status_code == 200, n  # wrong, not refused: no address is over


def hold_the_turn(app, email):
    """A guesser's next try takes the account's turn, for as long as its failures say. Taken
    here at once: on a loaded machine the turn a guess took can run out while the next
    request is still checking a password, and the test would then see no wait at all."""
    with app.test_request_context():
        throttle.counters().run(lambda storage: storage.clear(throttle._key("turn", email)))
        assert throttle.wait_before_attempt(email) == 0


def test_the_delay_doubles_after_the_free_failures_and_stays_short():
    assert [throttle.delay(n, 5) for n in range(4, 10)] == [0, 1, 2, 4, 8, 16]
    assert throttle.delay(6, 5) == 2
    assert throttle.delay(1000, 5) == throttle.MAX_WAIT <= 30


def test_guessing_at_a_colleagues_email_slows_it_down_but_the_right_password_gets_in(
    app, client, make_user
):
    """Six wrong passwords from six addresses: the colleague waits a second, not 15 minutes."""
    user = make_user("staff")
    guess_from_many_addresses(client, user.email, 6)
    hold_the_turn(app, user.email)
    waiting = attempt(client, user.email, PASSWORD, address="198.51.100.5")
    assert waiting.status_code == 429
    assert "Too many failed sign-ins for this account. Try again in" in waiting.get_data(
        as_text=True
    )
    wait = int(waiting.headers["Retry-After"])
    assert 1 <= wait <= 2
    time.sleep(wait + 0.1)
    assert attempt(client, user.email, PASSWORD, address="198.51.100.5").status_code == 302


def test_however_many_failures_the_wait_is_at_most_half_a_minute(app, client, make_user):
    user = make_user("staff")
    with app.test_request_context():
        for _ in range(200):
            throttle.failed(user.email)
    attempt(client, user.email, address="198.51.100.9")  # takes the account's turn
    waiting = attempt(client, user.email, PASSWORD, address="198.51.100.5")
    assert waiting.status_code == 429
    assert 1 <= int(waiting.headers["Retry-After"]) <= 30


def test_while_waiting_no_password_is_checked_and_the_address_is_not_charged(
    app, client, make_user, monkeypatch
):
    user = make_user("staff")
    guess_from_many_addresses(client, user.email, 6)
    with app.test_request_context():
        for _ in range(3):  # a wait of 16 seconds, longer than the eight refusals below take
            throttle.failed(user.email)
    hold_the_turn(app, user.email)
    checked: list[str] = []
    real = services.authenticate
    monkeypatch.setattr(services, "authenticate", lambda e, p: checked.append(e) or real(e, p))
    for _ in range(8):  # more than the address's limit of 5
        assert attempt(client, user.email, PASSWORD, address="198.51.100.5").status_code == 429
    assert checked == []
    with app.test_request_context():
        throttle.succeeded(user.email)  # as if the wait were over
    assert attempt(client, user.email, PASSWORD, address="198.51.100.5").status_code == 302


def test_the_wait_is_said_in_persian_with_persian_digits(app, client, make_user):
    user = make_user("staff")
    guess_from_many_addresses(client, user.email, 6)
    hold_the_turn(app, user.email)
    response = client.post(
        "/login?lang=fa",
        data={"email": user.email, "password": PASSWORD},
        headers={"Accept-Language": "fa"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "ورود ناموفق" in html and re.search("[۱۲] ثانیه", html)


def test_one_address_is_still_refused_after_its_failures(client, make_user):
    """The hard limit is the address's: five wrong passwords for different accounts."""
    user = make_user("staff")
    for n in range(5):
        attempt(client, f"someone{n}@example.org")
    response = attempt(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_a_right_password_forgets_the_accounts_failures(client, make_user):
    user = make_user("staff")
    for n in range(4):
        attempt(client, user.email, address=f"203.0.113.{n + 10}")
    assert attempt(client, user.email, PASSWORD, address="198.51.100.5").status_code == 302
    client.post("/logout")
    for n in range(4):
        assert attempt(client, user.email, address=f"203.0.113.{n + 20}").status_code == 200
    assert attempt(client, user.email, PASSWORD, address="198.51.100.5").status_code == 302


@pytest.mark.redis
def test_the_account_delay_is_shared_through_redis_across_processes(
    database_url, redis_url, make_user
):
    token = uuid.uuid4().hex[:12]
    config = type(
        "RedisConfig",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": redis_url},
    )
    user = make_user("staff", email=f"slow-{token}@example.org")
    apps = [create_app(config), create_app(config)]
    first, second = (a.test_client() for a in apps)
    server = redis.Redis.from_url(redis_url)
    try:
        for n in range(6):
            client = (first, second)[n % 2]
            assert attempt(client, user.email, address=f"203.0.113.{n + 10}").status_code == 200
        hold_the_turn(apps[0], user.email)  # through the first process: the second sees it
        assert attempt(second, user.email, PASSWORD, address="198.51.100.5").status_code == 429
    finally:
        mine = [key for key in server.scan_iter("LIMITS:*") if token.encode() in key]
        if mine:
            server.delete(*mine)
        server.close()
        for each in apps:
            with each.app_context():
                db.engine.dispose()
