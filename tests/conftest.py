"""Shared fixtures.

The suite runs on SQLite by default and on PostgreSQL when ``TEST_DATABASE_URL`` names a server:
then it creates a database of its own there and drops it at the end. Tests marked ``postgres``
or ``redis`` need those servers; on a laptop without them they are skipped with a reason, under
CI (``CI=true``) they fail.

The ``app`` fixture does not push an application context around requests (Flask-Login keeps the
user in ``g``, which would leak between requests); factories open their own context and return
detached objects whose columns are loaded. Tests that call services directly use ``ctx``.
"""

import os
import shutil
import threading
import uuid
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from crm import create_app
from crm.config import TestConfig
from crm.extensions import db, limiter

ROOT = Path(__file__).resolve().parent.parent
ON_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
PASSWORD = "correct-horse-battery"


def need_service(name: str, reason: str) -> None:
    """Skip on a laptop, fail under CI: CI must test against the real services."""
    message = f"{name} is not reachable: {reason}"
    if ON_CI:
        pytest.fail(message + " (CI=true: the service must run)")
    pytest.skip(message)


def _pg_url(url: str) -> str:
    return (
        url.replace("postgresql://", "postgresql+psycopg://", 1)
        if url.startswith("postgresql://")
        else url
    )


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> None:
    """Compile a message catalogue whose .mo is missing or older than its .po, as
    ``make translations`` does, so a plain ``pytest`` sees the current Persian texts."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in (ROOT / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            # Written aside and renamed, so parallel test workers never read half a file.
            partial = mo.with_suffix(f".mo.{os.getpid()}")
            with partial.open("wb") as target:
                write_mo(target, catalog)
            partial.replace(mo)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The URL of a reachable PostgreSQL server (its maintenance database)."""
    url = _pg_url(os.environ.get("TEST_DATABASE_URL") or POSTGRES_URL)
    try:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        need_service("PostgreSQL", f"{url}: {error.__class__.__name__}")
    return url


def create_scratch_database(server_url: str) -> str:
    """Create an empty database of our own on the server; returns its URL."""
    name = f"crm_test_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_scratch_database(server_url: str, url: str) -> None:
    name = make_url(url).database
    engine = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """The database the whole suite runs on, with the schema built once."""
    if os.environ.get("TEST_DATABASE_URL"):
        server = _pg_url(os.environ["TEST_DATABASE_URL"])
        try:
            url = create_scratch_database(server)
        except Exception as error:  # noqa: BLE001
            pytest.exit(f"TEST_DATABASE_URL is set but PostgreSQL is not usable: {error}", 3)
    else:
        server = None
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'crm-test.db'}"
    app = create_app(type("SchemaConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        db.create_all()
        from crm.reference import ensure_cooperation_areas

        ensure_cooperation_areas()
        db.session.commit()
        db.engine.dispose()
    yield url
    if server:
        drop_scratch_database(server, url)


KEEP_TABLES = {"cooperation_areas"}


def _empty_tables() -> None:
    tables = [t for t in reversed(db.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
        # a test that analysed the shared database (the large demo set, crm.maintenance) would
        # leave the next tests planned for its rows: the query-plan tests expect none
        for stats in ("sqlite_stat1", "sqlite_stat4"):
            db.session.execute(sa.text(f"DROP TABLE IF EXISTS {stats}"))
    db.session.commit()


@contextmanager
def scratch_app(database_url: str, folder: Path):
    """An app on the suite's database, its files in ``folder``; its rows go at the end."""
    config = type(
        "Config",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "CRM_INSTANCE_PATH": str(folder / "instance"),
        },
    )
    app = create_app(config)
    limiter.reset()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            _empty_tables()
            db.engine.dispose()


@pytest.fixture
def app(database_url, tmp_path):
    with scratch_app(database_url, tmp_path) as app:
        yield app


@pytest.fixture
def ctx(app):
    """An application context for tests that call services and models directly."""
    with app.test_request_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@contextmanager
def count_queries(app):
    """Collect the SQL statements the app sends while the block runs (for N+1 checks)."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _detach(obj):
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


@pytest.fixture
def make_user(app):
    """``make_user(role="staff", **fields)`` → a saved user whose password is PASSWORD."""
    counter = iter(range(1, 10_000))

    def make(role: str = "staff", **fields):
        from crm.auth.services import UserData, create_user

        n = next(counter)
        with app.app_context():
            user = create_user(
                UserData(
                    email=fields.pop("email", f"{role}{n}@example.org"),
                    display_name=fields.pop("display_name", f"{role.title()} {n}"),
                    password=fields.pop("password", PASSWORD),
                    role=role,
                    locale=fields.pop("locale", "en"),
                    timezone=fields.pop("timezone", "Asia/Tehran"),
                )
            )
            for key, value in fields.items():
                setattr(user, key, value)
            db.session.commit()
            return _detach(user)

    return make


class Auth:
    def __init__(self, client, make_user):
        self.client, self.make_user = client, make_user
        self.user = None

    def login(self, role: str = "staff", **fields):
        """Sign in as a new user of ``role``; returns the user."""
        self.user = self.make_user(role, **fields)
        response = self.client.post("/login", data={"email": self.user.email, "password": PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return self.user

    def logout(self):
        self.client.post("/logout")


@pytest.fixture
def auth(client, make_user):
    return Auth(client, make_user)


@pytest.fixture
def make_partner(app):
    """``make_partner(**fields)`` → a saved partner (a city in the cities domain by default)."""

    def make(**fields):
        from crm.partners.models import Partner

        areas = fields.pop("areas", [])
        values = {
            "kind": "city",
            "domain": "cities",
            "name_en": "Istanbul",
            "name_fa": "استانبول",
            "country": "TR",
            "relationship_type": "sister_city",
        }
        values.update(fields)
        with app.app_context():
            partner = Partner(**values)
            if areas:
                from crm.models import CooperationArea

                partner.areas = list(
                    db.session.scalars(
                        sa.select(CooperationArea).where(CooperationArea.code.in_(areas))
                    )
                )
            db.session.add(partner)
            db.session.commit()
            return _detach(partner)

    return make


@pytest.fixture
def make_contact(app, make_partner):
    def make(partner=None, **fields):
        from crm.partners.models import Contact

        partner_id = (partner or make_partner()).id
        values = {
            "name_latin": "Ayşe Yılmaz",
            "name_fa": "عایشه ییلماز",
            "title": "Director",
            "email": "ayse@example.org",
            "partner_id": partner_id,
        }
        values.update(fields)
        with app.app_context():
            contact = Contact(**values)
            db.session.add(contact)
            db.session.commit()
            return _detach(contact)

    return make


@pytest.fixture
def make_agreement(app, make_partner):
    def make(parties=None, **fields):
        from crm.agreements.models import Agreement
        from crm.partners.models import Partner

        parties = [make_partner()] if parties is None else parties
        areas = fields.pop("areas", [])
        values = {
            "type": "memorandum",
            "title_en": "Memorandum on urban transport",
            "title_fa": "تفاهم‌نامه حمل‌ونقل شهری",
            "stage": "drafting",
            "confidentiality": "internal",
        }
        values.update(fields)
        with app.app_context():
            agreement = Agreement(**values)
            agreement.parties = [db.session.get(Partner, p.id) for p in parties]
            if areas:
                from crm.models import CooperationArea

                agreement.areas = list(
                    db.session.scalars(
                        sa.select(CooperationArea).where(CooperationArea.code.in_(areas))
                    )
                )
            db.session.add(agreement)
            db.session.commit()
            return _detach(agreement)

    return make


@pytest.fixture
def make_activity(app, make_partner):
    def make(partner=None, **fields):
        from crm.activities.models import Activity

        partner = partner or make_partner()
        values = {
            "kind": "meeting",
            "subject": "Follow-up on the transport memorandum",
            "domain": partner.domain,
            "partner_id": partner.id,
            "status": "planned",
            "due_on": date.today(),
        }
        values.update(fields)
        with app.app_context():
            activity = Activity(**values)
            db.session.add(activity)
            db.session.commit()
            return _detach(activity)

    return make


@pytest.fixture
def redis_url() -> str:
    """A Redis database of the tests' own; only keys the test made are removed."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except Exception as error:  # noqa: BLE001
        need_service("Redis", f"{REDIS_URL}: {error.__class__.__name__}")
    return REDIS_URL


@pytest.fixture
def postgres_database(postgres_server_url):
    """An empty PostgreSQL database of this test's own, dropped afterwards."""
    url = create_scratch_database(postgres_server_url)
    yield url
    drop_scratch_database(postgres_server_url, url)


# --- browser tests: Debian's Chromium through Playwright, against a live server --------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def buffered(app):
    """``app`` with each response read whole and its iterable closed before it is sent.

    Werkzeug's development server skips closing the response when the browser has already
    hung up (a page closed while its favicon was answered), which leaks the static file's
    handle into a ResourceWarning at some later test."""

    def wsgi(environ, start_response):
        iterable = app(environ, start_response)
        try:
            return [b"".join(iterable)]
        finally:
            if hasattr(iterable, "close"):
                iterable.close()

    return wsgi


@contextmanager
def serve(app):
    """Serve ``app`` on a free local port with CSRF protection on; yields its base URL."""
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    with serve(app) as base:
        yield base


@pytest.fixture(scope="session")
def browser():
    if not shutil.which("chromium") and not shutil.which(CHROMIUM):
        need_service("Chromium", "install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A desktop-sized page that fails the test on any script error or failed request."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    yield page
    context.close()
    assert errors == [], f"the browser reported errors: {errors}"


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{base}/")


@pytest.fixture(scope="module")
def demo_site(database_url, tmp_path_factory):
    """A live server over the demo data (``crm seed-demo``) for one module's tests: ``.url``,
    and ``.app`` for a look at the records. The demo users' password is
    ``crm.demo.data.DEMO_PASSWORD``. Keep tests that use ``app`` (which empties the tables
    after each test) out of such a module."""
    with scratch_app(database_url, tmp_path_factory.mktemp("demo")) as app:
        result = app.test_cli_runner().invoke(args=["crm", "seed-demo"])
        assert result.exit_code == 0, result.output
        with serve(app) as url:
            yield SimpleNamespace(url=url, app=app)
