"""Signing in and out, throttling, settings and user administration."""

import uuid

import pytest
import redis

from crm import create_app
from crm.auth.models import User
from crm.config import TestConfig
from crm.extensions import db
from tests.conftest import PASSWORD


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/partners/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_wrong_password_shows_translated_message_and_no_session(client, make_user):
    user = make_user("staff")
    response = client.post("/login", data={"email": user.email, "password": "wrong-password"})
    assert response.status_code == 200
    assert "The email or password is not right." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_inactive_user_cannot_sign_in(client, make_user):
    user = make_user("staff", active=False)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_login_redirect_ignores_foreign_next_url(client, make_user):
    user = make_user("viewer")
    response = client.post(
        "/login?next=https://evil.example/x", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_passwords_are_hashed_with_scrypt(ctx, make_user):
    user = db.session.get(User, make_user("staff").id)
    assert user.password_hash.startswith("scrypt:")
    assert PASSWORD not in user.password_hash


def test_logins_are_throttled_after_repeated_failures(client, make_user):
    user = make_user("staff")
    for _ in range(5):
        assert (
            client.post("/login", data={"email": user.email, "password": "nope-nope"}).status_code
            == 200
        )
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_successful_logins_are_not_throttled(client, make_user):
    user = make_user("staff")
    for _ in range(7):
        assert (
            client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code
            == 302
        )
        client.post("/logout")


@pytest.mark.redis
def test_throttle_is_shared_through_redis_across_app_processes(database_url, redis_url, make_user):
    """Two app instances (as two gunicorn workers would be) count failures together."""
    token = uuid.uuid4().hex[:12]
    config = type(
        "RedisConfig",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": redis_url},
    )
    user = make_user("staff", email=f"throttle-{token}@example.org")
    address = {"REMOTE_ADDR": f"198.51.100.{uuid.uuid4().int % 250 + 1}"}
    apps = [create_app(config), create_app(config)]
    first, second = (a.test_client() for a in apps)
    server = redis.Redis.from_url(redis_url)
    try:
        for client in (first, second, first, second, first):
            client.post(
                "/login", data={"email": user.email, "password": "nope-nope"}, environ_base=address
            )
        response = second.post(
            "/login", data={"email": user.email, "password": PASSWORD}, environ_base=address
        )
        assert response.status_code == 429
        assert any(token.encode() in key for key in server.scan_iter("LIMITS:*"))
    finally:
        mine = [
            key
            for key in server.scan_iter("LIMITS:*")
            if token.encode() in key or address["REMOTE_ADDR"].encode() in key
        ]
        if mine:
            server.delete(*mine)
        server.close()
        for each in apps:
            with each.app_context():
                db.engine.dispose()


def test_logout_needs_post_and_ends_the_session(auth, client):
    auth.login("viewer")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_user_changes_own_language_and_sees_persian(auth, client):
    auth.login("viewer")
    client.post("/locale", data={"locale": "fa", "next": "/"})
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in html


def test_change_password_requires_current_password(auth, client):
    auth.login("staff")
    response = client.post(
        "/settings/password",
        data={
            "pw-current": "not-it-at-all",
            "pw-new": "another-long-pass",
            "pw-confirm": "another-long-pass",
        },
    )
    assert "The current password is not right." in response.get_data(as_text=True)
    response = client.post(
        "/settings/password",
        data={
            "pw-current": PASSWORD,
            "pw-new": "another-long-pass",
            "pw-confirm": "another-long-pass",
        },
    )
    assert response.status_code == 302


def test_admin_creates_user_who_can_then_sign_in(auth, client, app):
    auth.login("admin")
    response = client.post(
        "/users/new",
        data={
            "email": "Neda@Example.org",
            "display_name": "ندا رضایی",
            "role": "manager",
            "locale": "fa",
            "timezone": "Asia/Tehran",
            "active": "y",
            "password": "a-long-enough-pass",
        },
    )
    assert response.status_code == 302
    client.post("/logout")
    response = client.post(
        "/login", data={"email": "neda@example.org", "password": "a-long-enough-pass"}
    )
    assert response.status_code == 302


def test_admin_cannot_create_duplicate_email(auth, client, make_user):
    existing = make_user("staff")
    auth.login("admin")
    response = client.post(
        "/users/new",
        data={
            "email": existing.email,
            "display_name": "Copy",
            "role": "staff",
            "locale": "en",
            "timezone": "Asia/Tehran",
            "password": "a-long-enough-pass",
        },
    )
    assert "A user with this email already exists." in response.get_data(as_text=True)


def test_admin_cannot_deactivate_themselves(auth, client):
    admin = auth.login("admin")
    response = client.post(
        f"/users/{admin.id}/edit",
        data={
            "email": admin.email,
            "display_name": admin.display_name,
            "role": "admin",
            "locale": "en",
            "timezone": "Asia/Tehran",
        },
        follow_redirects=True,
    )
    assert "You cannot remove your own administrator role" in response.get_data(as_text=True)


def test_staff_cannot_manage_users(auth, client):
    auth.login("manager")
    assert client.get("/users").status_code == 403
    assert client.post("/users/new", data={}).status_code == 403


def test_create_user_command(runner, app):
    result = runner.invoke(
        args=[
            "crm",
            "create-user",
            "--email",
            "ali@example.org",
            "--name",
            "Ali",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="a-long-enough-pass\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(db.select(User).filter_by(email="ali@example.org")).role == "admin"


def test_create_user_command_refuses_short_password(runner):
    result = runner.invoke(
        args=[
            "crm",
            "create-user",
            "--email",
            "b@example.org",
            "--name",
            "B",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
