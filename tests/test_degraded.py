"""Redis configured but unreachable: sign-in still works, throttled in this process's memory
with one warning; pages serve; what needs the queue says so; the admin page says what is down."""

import logging
import uuid

import pytest
import redis
from sqlalchemy import select

from crm import create_app
from crm.auth import throttle
from crm.config import TestConfig
from crm.extensions import db, limiter
from crm.files.models import PreparedFile
from crm.imports import services as import_services
from tests.conftest import PASSWORD, _empty_tables
from tests.test_import_jobs import rows
from tests.test_imports import commit, mapped, run_of, text_of, uploaded
from tests.test_login_throttle import attempt, guess_from_many_addresses, hold_the_turn

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def app(database_url, tmp_path):
    """An app whose Redis (jobs and login throttling) does not answer."""
    config = type(
        "RedisDown",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "CRM_INSTANCE_PATH": str(tmp_path / "instance"),
            "REDIS_URL": UNREACHABLE_REDIS,
            "RATELIMIT_STORAGE_URI": UNREACHABLE_REDIS,
        },
    )
    app = create_app(config)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()
        # Flask-Limiter is one object for every app of the tests, and keeps "storage dead"
        # from one init_app to the next: the next test's app starts on its own storage.
        limiter._storage_dead = False


def warnings_of(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING and r.name != "crm.security"]


def test_sign_in_works_and_is_throttled_in_memory_with_one_warning(app, client, make_user, caplog):
    user = make_user("staff")
    with caplog.at_level(logging.INFO):
        wrong = attempt(client, user.email)
        assert wrong.status_code == 200
        assert "The email or password is not right." in text_of(wrong)
        # the account's slow-down still holds, counted in memory
        guess_from_many_addresses(client, user.email, 5)
        hold_the_turn(app, user.email)
        waiting = attempt(client, user.email, PASSWORD, address="198.51.100.5")
        assert waiting.status_code == 429 and int(waiting.headers["Retry-After"]) >= 1
        assert "Too many failed sign-ins for this account" in text_of(waiting)
    said = warnings_of(caplog)
    assert len(said) == 1, [r.getMessage() for r in said]  # one, not one per request
    assert said[0].name == "crm.auth.throttle" and "memory" in said[0].getMessage()
    assert "ConnectionError" in said[0].getMessage()
    assert all(r.exc_info is None for r in caplog.records)
    assert not any(r.name == "flask-limiter" for r in caplog.records)
    with app.test_request_context():
        throttle.succeeded(user.email)  # forgets in memory too
    assert attempt(client, user.email, PASSWORD, address="198.51.100.5").status_code == 302


def test_the_address_limit_still_refuses_in_memory(client, make_user):
    user = make_user("staff")
    for _n in range(5):
        assert attempt(client, user.email, address="192.0.2.77").status_code == 200
    assert attempt(client, user.email, PASSWORD, address="192.0.2.77").status_code == 429
    assert attempt(client, user.email, PASSWORD, address="192.0.2.78").status_code == 302


def test_pages_serve_and_the_admin_page_says_redis_is_down(auth, client):
    auth.login("admin")
    for url in ("/", "/partners/", "/notifications", "/files", "/imports", "/admin/reminders"):
        assert client.get(url).status_code == 200, url
    page = text_of(client.get("/users"))
    assert 'id="what-is-down"' in page
    assert "Redis cannot be reached" in page and "ConnectionError" in page
    ready = client.get("/health/ready")
    assert ready.status_code == 200 and ready.get_json()["checks"]["redis"]["status"] == "degraded"


def test_a_pack_asked_for_is_kept_and_the_user_told_it_waits(app, auth, client, make_partner):
    partner = make_partner(name_en="Kazan")
    auth.login("viewer")
    response = client.post(
        "/files/pack", data={"partner_ids": [partner.id], "language": "en"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "The background queue cannot be reached just now." in text_of(response)
    with app.app_context():
        [prepared] = db.session.scalars(select(PreparedFile))
        assert prepared.status == "queued"  # the tidy-up hands it out once Redis is back


def test_a_large_import_whose_check_cannot_be_queued_stays_at_its_mapping(
    app, auth, client, monkeypatch
):
    monkeypatch.setattr(import_services, "IN_REQUEST", 3)
    auth.login("staff")
    import_id = uploaded(client, rows(6))
    response = mapped(client, import_id)
    assert response.headers["Location"].endswith(f"/imports/{import_id}/map")
    assert run_of(app, import_id).status == "mapping"
    page = text_of(client.get(response.headers["Location"]))
    assert "The background queue cannot be reached just now, so nothing was started" in page


def test_an_undo_that_cannot_be_queued_leaves_the_import_done_and_undoable(
    app, auth, client, monkeypatch
):
    auth.login("staff")
    import_id = uploaded(client, rows(6))
    mapped(client, import_id)
    assert commit(client, import_id).status_code == 302  # six rows: within the request
    monkeypatch.setattr(import_services, "IN_REQUEST", 3)  # an undo for the worker
    response = client.post(f"/imports/{import_id}/undo")
    assert response.headers["Location"].endswith(f"/imports/{import_id}")
    assert run_of(app, import_id).status == "done"
    page = text_of(client.get(response.headers["Location"]))
    assert "nothing was started and nothing changed" in page


@pytest.mark.redis
def test_counting_goes_back_to_redis_once_it_answers(database_url, redis_url, caplog):
    config = type(
        "RedisUp",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": redis_url},
    )
    app = create_app(config)
    now = [1000.0]
    counters = app.extensions["crm_throttle"] = throttle.Counters(clock=lambda: now[0])
    counters.down_since = counters.tried_at = now[0]  # an outage seen a moment ago
    email = f"back-{uuid.uuid4().hex[:12]}@example.org"
    server = redis.Redis.from_url(redis_url)
    try:
        with app.test_request_context(), caplog.at_level(logging.INFO, "crm.auth.throttle"):
            counters.memory = throttle.MemoryStorage()
            throttle.failed(email)  # still within the retry interval: memory
            assert not [k for k in server.scan_iter("*") if email.encode() in k]
            now[0] += throttle.RETRY_EVERY
            throttle.failed(email)  # Redis is asked again, answers, and counts
            assert not counters.fallen_back
            assert [k for k in server.scan_iter("*") if email.encode() in k]
        assert any("answers again" in r.getMessage() for r in caplog.records)
    finally:
        mine = [k for k in server.scan_iter("*") if email.encode() in k]
        if mine:
            server.delete(*mine)
        server.close()
        with app.app_context():
            db.engine.dispose()


def test_clearing_a_slowdown_from_a_shell_says_it_cannot_reach_the_processes(
    app, make_user, caplog
):
    user = make_user("staff")
    result = app.test_cli_runner().invoke(args=["crm", "clear-slowdown", user.email])
    assert result.exit_code == 1
    assert "(Redis) cannot be reached" in result.output and "is cleared" not in result.output
