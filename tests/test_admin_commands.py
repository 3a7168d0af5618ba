"""Administration from a shell (``flask crm …``), without the database shell: list the users,
reset a password (asked for, or read from standard input; never on the command line), clear
an account's login slow-down; create-user refuses an e-mail already taken."""

import uuid

import pytest
import redis

from crm import create_app
from crm.auth import sessions, throttle
from crm.auth.models import User, UserSession
from crm.auth.services import authenticate
from crm.config import TestConfig
from crm.extensions import db
from tests.conftest import PASSWORD
from tests.test_login_throttle import attempt, guess_from_many_addresses, hold_the_turn

NEW_PASSWORD = "violet-tram-harbour-91"


def test_list_users_shows_every_user_with_role_and_state(runner, make_user):
    make_user("manager", email="maryam@example.org", display_name="Maryam")
    make_user("viewer", email="gone@example.org", display_name="Gone", active=False)
    result = runner.invoke(args=["crm", "list-users"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:5] == ["E-MAIL", "ROLE", "LANGUAGE", "ACTIVE", "LAST"]
    maryam = next(line for line in lines if line.startswith("maryam@example.org"))
    assert maryam.split()[:5] == ["maryam@example.org", "manager", "en", "yes", "never"]
    assert lines[-2].startswith("gone@example.org") and " no " in lines[-2]  # inactive last
    assert lines[-1] == "2 users."


def test_reset_password_from_standard_input_signs_out_and_clears_the_slowdown(
    app, runner, client, make_user
):
    user = make_user("staff", email="sara@example.org")
    with app.test_request_context():
        sessions.start(db.session.get(User, user.id))
        db.session.commit()
        for _ in range(8):
            throttle.failed(user.email)
    args = ["crm", "reset-password", "SARA@example.org", "--password-stdin"]
    result = runner.invoke(args=args, input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "New password set for sara@example.org" in result.output
    assert NEW_PASSWORD not in result.output
    with app.test_request_context():
        assert authenticate(user.email, NEW_PASSWORD) is not None
        assert authenticate(user.email, PASSWORD) is None
        assert not db.session.scalar(db.select(db.func.count()).select_from(UserSession))
        assert throttle.wait_before_attempt(user.email) == 0  # no slow-down left


def test_reset_password_asks_twice_and_refuses_a_weak_one(app, runner, make_user):
    user = make_user("staff", email="reza@example.org")
    typed = "password\npassword\n"
    result = runner.invoke(args=["crm", "reset-password", user.email], input=typed)
    assert result.exit_code == 2 and "Error:" in result.output
    result = runner.invoke(
        args=["crm", "reset-password", user.email], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    with app.test_request_context():
        assert authenticate(user.email, NEW_PASSWORD) is not None


def test_an_unknown_email_is_a_clear_error(runner):
    for command in ("reset-password", "clear-slowdown"):
        result = runner.invoke(args=["crm", command, "nobody@example.org"], input="x\nx\n")
        assert result.exit_code == 2
        assert "No user has the e-mail address 'nobody@example.org'." in result.output


def test_clear_slowdown_lets_the_account_in_at_once(app, runner, client, make_user):
    user = make_user("staff")
    guess_from_many_addresses(client, user.email, 6)
    hold_the_turn(app, user.email)
    assert attempt(client, user.email, PASSWORD, address="198.51.100.5").status_code == 429
    result = runner.invoke(args=["crm", "clear-slowdown", user.email])
    assert result.exit_code == 0, result.output
    assert attempt(client, user.email, PASSWORD, address="198.51.100.5").status_code == 302


def test_create_user_refuses_an_email_already_taken(runner, make_user):
    make_user("staff", email="taken@example.org")
    args = ["crm", "create-user", "--email", "taken@example.org", "--name", "Again"]
    result = runner.invoke(args=[*args, "--password-stdin"], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 2
    assert "A user with this email already exists." in result.output


def test_clear_slowdown_of_an_address_lets_it_sign_in_again(runner, client, make_user):
    user = make_user("staff")
    for _ in range(5):  # the address's limit: 5 per 15 minutes
        assert attempt(client, "someone@example.org", address="192.0.2.44").status_code == 200
    refused = attempt(client, user.email, PASSWORD, address="192.0.2.44")
    assert refused.status_code == 429
    other = attempt(client, user.email, "wrong-password", address="192.0.2.45")
    assert other.status_code == 200  # another address is not refused
    result = runner.invoke(args=["crm", "clear-slowdown", "--address", " 192.0.2.44 "])
    assert result.exit_code == 0, result.output
    assert "The login limit of the address 192.0.2.44 is cleared." in result.output
    assert attempt(client, user.email, PASSWORD, address="192.0.2.44").status_code == 302


def test_clear_slowdown_of_an_address_also_clears_its_reset_link_requests(app, runner, client):
    app.config["CRM_QUEUE"] = f"crm-test-{id(app)}"  # the jobs queued stay apart
    for _ in range(5):
        client.post(
            "/password/forgot",
            data={"email": "nobody@example.org"},
            environ_base={"REMOTE_ADDR": "2001:db8::1"},
        )
    again = {"data": {"email": "x@example.org"}, "environ_base": {"REMOTE_ADDR": "2001:db8::1"}}
    assert client.post("/password/forgot", **again).status_code == 429
    result = runner.invoke(args=["crm", "clear-slowdown", "--address", "2001:DB8:0::1"])
    assert result.exit_code == 0, result.output
    assert client.post("/password/forgot", **again).status_code == 302


def test_clear_slowdown_needs_an_account_or_a_real_address(runner):
    assert runner.invoke(args=["crm", "clear-slowdown"]).exit_code == 2
    result = runner.invoke(args=["crm", "clear-slowdown", "--address", "1.2.3"])
    assert result.exit_code == 2 and "'1.2.3' is not an IP address." in result.output


@pytest.mark.redis
def test_clear_slowdown_of_an_address_works_on_redis(database_url, redis_url, make_user):
    """Production's storage: the keys cleared are the ones Flask-Limiter counts under."""
    address = f"2001:db8::0{uuid.uuid4().hex[:3]}"  # a leading zero, as an operator may type it
    config = type(
        "RedisConfig",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": redis_url},
    )
    user = make_user("staff")
    app = create_app(config)
    client, server = app.test_client(), redis.Redis.from_url(redis_url)
    try:
        for _ in range(5):
            assert attempt(client, "someone@example.org", address=address).status_code == 200
        assert attempt(client, user.email, PASSWORD, address=address).status_code == 429
        assert any(address.encode() in key for key in server.scan_iter("LIMITS:*"))
        result = app.test_cli_runner().invoke(args=["crm", "clear-slowdown", "--address", address])
        assert result.exit_code == 0, result.output
        assert attempt(client, user.email, PASSWORD, address=address).status_code == 302
    finally:
        mine = [
            key
            for key in server.scan_iter("LIMITS:*")
            if address.encode() in key or b"someone@example.org" in key
        ]
        if mine:
            server.delete(*mine)
        server.close()
        with app.app_context():
            db.engine.dispose()
