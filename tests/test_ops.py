"""What operators and load balancers ask the app (``crm.ops``): liveness, readiness with each
dependency's state, the running version; always JSON, 503 only without the database."""

import logging
import uuid
from datetime import timedelta

import pytest
import redis
from rq import Worker
from sqlalchemy import text

from crm import create_app, jobs
from crm.config import TestConfig
from crm.extensions import db
from crm.models import utcnow
from crm.ops.version import running_version
from crm.reminders.models import SweepRun
from tests.live_services import remove_queue_keys

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def swept(app, ago: timedelta) -> None:
    with app.app_context():
        db.session.add(SweepRun(started_at=utcnow() - ago, until=utcnow() - ago))
        db.session.commit()


def test_liveness_answers_json_without_a_sign_in(client):
    response = client.get("/health/live")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_ready_with_embedded_jobs_and_a_recent_sweep(app, client):
    app.config.update(CRM_EMBEDDED_JOBS=True)
    swept(app, timedelta(seconds=30))
    for url in ("/health/ready", "/health"):
        response = client.get(url)
        answer = response.get_json()
        assert response.status_code == 200 and answer["status"] == "ok", answer
        assert answer["checks"]["database"]["status"] == "ok"
        assert answer["checks"]["redis"] == {"status": "ok", "detail": "embedded"}
        assert answer["checks"]["sweep"]["detail"].endswith("s ago")
        assert response.headers["Cache-Control"] == "no-store"
    assert {answer["version"], answer["commit"]} == set(running_version().values())


def test_a_late_sweep_or_none_is_degraded_but_ready(app, client):
    app.config.update(CRM_EMBEDDED_JOBS=True)
    answer = client.get("/health/ready").get_json()
    assert answer["status"] == "degraded" and answer["checks"]["sweep"]["detail"] == "never ran"
    swept(app, timedelta(hours=2))
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.get_json()["checks"]["sweep"]["status"] == "degraded"


def test_unreachable_redis_is_degraded_not_unready(app, client, caplog):
    app.config.update(REDIS_URL=UNREACHABLE_REDIS, CRM_EMBEDDED_JOBS=False)
    swept(app, timedelta(seconds=10))
    with caplog.at_level(logging.WARNING, logger="crm.ops.checks"):
        for _probe in range(3):
            response = client.get("/health/ready")
            assert response.status_code == 200
    checks = response.get_json()["checks"]
    assert checks["redis"]["status"] == checks["workers"]["status"] == "degraded"
    assert checks["redis"]["detail"] == "ConnectionError"
    assert checks["database"]["status"] == "ok"
    lines = [r for r in caplog.records if r.name == "crm.ops.checks"]
    assert len(lines) == 1 and "redis degraded" in lines[0].getMessage()  # once, not per probe
    assert all(r.exc_info is None for r in caplog.records)


def test_an_unreachable_database_answers_503_in_json_without_a_traceback(tmp_path, caplog):
    config = type(
        "Down",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:1/none",
            "CRM_INSTANCE_PATH": str(tmp_path),
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}},
        },
    )
    app = create_app(config)
    with caplog.at_level(logging.WARNING):
        for url in ("/health/ready", "/health"):
            response = app.test_client().get(url)
            assert response.status_code == 503 and response.is_json
            answer = response.get_json()
            assert answer["status"] == "down"
            assert answer["checks"]["database"] == {"status": "down", "detail": "OperationalError"}
        assert app.test_client().get("/health/live").status_code == 200
    assert all(r.exc_info is None for r in caplog.records)
    assert "Traceback" not in caplog.text


def test_workers_alive_on_the_real_redis(app, client, redis_url):
    name = f"crm-test-{uuid.uuid4().hex}"
    app.config.update(REDIS_URL=redis_url, CRM_QUEUE=name, CRM_EMBEDDED_JOBS=False)
    swept(app, timedelta(seconds=10))
    connection = redis.Redis.from_url(redis_url)
    try:
        answer = client.get("/health/ready").get_json()
        assert answer["checks"]["redis"]["status"] == "ok"
        assert answer["checks"]["workers"] == {"status": "degraded", "detail": "no worker alive"}
        with app.app_context():
            worker = Worker([jobs.queue()], connection=connection, name=f"{name}-w")
            worker.register_birth()
            worker.heartbeat()
        answer = client.get("/health/ready").get_json()
        assert answer["checks"]["workers"] == {"status": "ok", "detail": "1 alive"}
        assert answer["status"] == "ok"
        worker.register_death()
    finally:
        app.extensions.pop("crm_redis", connection).close()
        assert remove_queue_keys(connection, name) == []
        connection.close()


def test_the_version_comes_from_the_environment_when_set(monkeypatch):
    running_version.cache_clear()
    monkeypatch.setenv("CRM_COMMIT", "abc123def456")
    try:
        assert running_version()["commit"] == "abc123def456"
        assert running_version()["version"] == "0.1.0"
    finally:
        running_version.cache_clear()


def test_admins_see_the_running_version(auth, client):
    auth.login("admin", locale="fa")
    page = client.get("/users").get_data(as_text=True)
    assert running_version()["commit"] in page and 'href="/health/ready"' in page


def test_check_config_prints_the_settings_with_secrets_hidden(app, runner):
    app.config.update(
        SMTP_PASSWORD="mail-secret-pw",
        REDIS_URL="redis://:redis-secret-pw@127.0.0.1:6379/2",
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://crm:db-secret-pw@db.example:5432/crm",
    )
    result = runner.invoke(args=["crm", "check-config"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(None, 1) for line in result.output.splitlines()[1:])
    assert lines["SECRET_KEY"] == lines["SMTP_PASSWORD"] == "set (hidden)"
    assert lines["REDIS_URL"] == "redis://:***@127.0.0.1:6379/2"
    assert lines["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://crm:***@db.example:5432/crm"
    assert lines["CRM_PAGE_SIZE"] == "10" and lines["SMTP_HOST"] == "not set"
    for secret in ("mail-secret-pw", "redis-secret-pw", "db-secret-pw", app.config["SECRET_KEY"]):
        assert secret not in result.output
    assert result.output.startswith(f"sister-city-crm {running_version()['version']} (commit ")


@pytest.mark.postgres
def test_postgresql_sessions_plan_without_jit(postgres_database, tmp_path):
    config = {"SQLALCHEMY_DATABASE_URI": postgres_database, "CRM_INSTANCE_PATH": str(tmp_path)}
    app = create_app(type("PostgresConfig", (TestConfig,), config))
    with app.app_context():
        assert db.session.scalar(text("SHOW jit")) == "off"
        db.session.remove()
        db.engine.dispose()
