"""Settings come from the environment, parsed and checked once: a bad value stops the app with one
line naming the variable, whether it starts under flask, gunicorn or the tests."""

import os
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from crm import create_app
from crm.config import Config, ConfigError, TestConfig, from_environment

ROOT = Path(__file__).resolve().parent.parent
VARIABLES = (
    "SECRET_KEY",
    "FLASK_DEBUG",
    "DATABASE_URL",
    "REDIS_URL",
    "CRM_DEFAULT_LOCALE",
    "CRM_DEFAULT_TIMEZONE",
    "CRM_PAGE_SIZE",
    "CRM_UPLOAD_FOLDER",
    "CRM_MAX_DOCUMENT_MB",
    "CRM_SECURE_COOKIES",
    "CRM_SESSION_HOURS",
    "CRM_LOGIN_LIMIT",
    "CRM_RATELIMIT_PREFIX",
    "CRM_PROXY_HOPS",
    "CRM_INSTANCE_PATH",
    "CRM_FILES_FOLDER",
    "CRM_FILES_KEEP_HOURS",
)
STRONG_KEY = "k" * 40


@pytest.fixture
def environ(monkeypatch, tmp_path):
    """Only the variables a test sets: a strong key, SQLite in memory, a scratch instance folder."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", STRONG_KEY)
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("CRM_INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


def _clean_env(tmp_path, **variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    env.update(SECRET_KEY=STRONG_KEY, DATABASE_URL="sqlite://")
    env.update(CRM_INSTANCE_PATH=str(tmp_path / "instance"), **variables)
    return env


def test_defaults_suit_a_laptop():
    settings = from_environment({})
    assert settings["DEBUG"] is False
    assert settings["SQLALCHEMY_DATABASE_URI"] is None  # SQLite in the instance folder
    assert settings["CRM_DEFAULT_LOCALE"] == settings["BABEL_DEFAULT_LOCALE"] == "fa"
    assert settings["CRM_DEFAULT_TIMEZONE"] == "Asia/Tehran"
    assert settings["CRM_PAGE_SIZE"] == 25
    assert settings["CRM_MAX_DOCUMENT_MB"] == 20
    assert settings["SESSION_COOKIE_SECURE"] is settings["REMEMBER_COOKIE_SECURE"] is True
    assert settings["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)
    assert settings["CRM_LOGIN_LIMIT"] == "5 per 15 minutes"
    assert settings["RATELIMIT_STORAGE_URI"] == "memory://"
    assert settings["RATELIMIT_KEY_PREFIX"] == "crm-limiter"
    assert settings["CRM_PROXY_HOPS"] == 0
    assert settings["CRM_INSTANCE_PATH"] == str(ROOT / "instance")
    assert settings["CRM_CITY_NAME_EN"] == "Tehran Municipality"
    assert settings["CRM_CITY_NAME_FA"] == "شهرداری تهران"
    assert settings["CRM_PDF_FONTS"] is None  # node_modules/vazirmatn


def test_good_values_are_parsed(tmp_path):
    settings = from_environment(
        {
            "FLASK_DEBUG": "Yes",
            "CRM_SECURE_COOKIES": " ON ",
            "CRM_PAGE_SIZE": " 30 ",
            "CRM_MAX_DOCUMENT_MB": "50",
            "CRM_SESSION_HOURS": "8",
            "CRM_PROXY_HOPS": "1",
            "CRM_DEFAULT_LOCALE": "en",
            "CRM_DEFAULT_TIMEZONE": "Europe/Istanbul",
            "CRM_LOGIN_LIMIT": "10/hour",
            "CRM_RATELIMIT_PREFIX": "crm:prod",
            "REDIS_URL": "rediss://:secret@cache:6380/2",
            "CRM_UPLOAD_FOLDER": str(tmp_path / "files"),
            "CRM_CITY_NAME_EN": " Isfahan Municipality ",
            "CRM_PDF_FONTS": str(tmp_path / "fonts"),
        }
    )
    assert settings["DEBUG"] is True
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CRM_PAGE_SIZE"] == 30
    assert settings["CRM_MAX_DOCUMENT_MB"] == 50
    assert settings["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    assert settings["CRM_PROXY_HOPS"] == 1
    assert settings["CRM_DEFAULT_LOCALE"] == settings["BABEL_DEFAULT_LOCALE"] == "en"
    assert settings["CRM_DEFAULT_TIMEZONE"] == "Europe/Istanbul"
    assert settings["CRM_LOGIN_LIMIT"] == "10/hour"
    assert settings["RATELIMIT_KEY_PREFIX"] == "crm:prod"
    assert settings["REDIS_URL"] == settings["RATELIMIT_STORAGE_URI"]
    assert settings["UPLOAD_FOLDER"] == str(tmp_path / "files")
    assert settings["CRM_CITY_NAME_EN"] == "Isfahan Municipality"
    assert settings["CRM_PDF_FONTS"] == str(tmp_path / "fonts")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", True), ("TRUE", True), ("yes", True), ("On", True)]
    + [("0", False), ("False", False), ("NO", False), ("off", False), ("", False)],
)
def test_booleans_accept_the_usual_words_in_any_case(value, expected):
    assert from_environment({"FLASK_DEBUG": value})["DEBUG"] is expected


def test_cookies_are_secure_unless_debug_or_switched_off():
    assert from_environment({"FLASK_DEBUG": "1"})["SESSION_COOKIE_SECURE"] is False
    assert from_environment({"CRM_SECURE_COOKIES": "0"})["SESSION_COOKIE_SECURE"] is False


def test_plain_postgresql_url_uses_psycopg():
    settings = from_environment({"DATABASE_URL": "postgresql://crm:pw@db:5432/crm"})
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://crm:pw@db:5432/crm"
    url = "postgresql+psycopg://crm@db/crm"
    assert from_environment({"DATABASE_URL": url})["SQLALCHEMY_DATABASE_URI"] == url
    url = "sqlite:////srv/crm/crm.db"
    assert from_environment({"DATABASE_URL": url})["SQLALCHEMY_DATABASE_URI"] == url


def test_redis_socket_is_named_for_the_limiter():
    settings = from_environment({"REDIS_URL": "unix:///run/redis.sock?db=1"})
    assert settings["REDIS_URL"] == "unix:///run/redis.sock?db=1"
    assert settings["RATELIMIT_STORAGE_URI"] == "redis+unix:///run/redis.sock?db=1"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("FLASK_DEBUG", "maybe", "must be 1/0, true/false, yes/no or on/off"),
        ("CRM_SECURE_COOKIES", "2", "must be 1/0, true/false, yes/no or on/off"),
        ("CRM_PAGE_SIZE", "abc", "must be a whole number from 1 to 500"),
        ("CRM_PAGE_SIZE", "0", "must be a whole number from 1 to 500"),
        ("CRM_PAGE_SIZE", "2.5", "must be a whole number from 1 to 500"),
        ("CRM_MAX_DOCUMENT_MB", "-1", "must be a whole number from 1 to 1024"),
        ("CRM_SESSION_HOURS", "forever", "must be a whole number from 1 to 720"),
        ("CRM_PROXY_HOPS", "9", "must be a whole number from 0 to 5"),
        ("CRM_DEFAULT_LOCALE", "de", "must be one of fa, en"),
        ("CRM_DEFAULT_TIMEZONE", "Mars/Olympus", "must be a time zone name"),
        ("CRM_DEFAULT_TIMEZONE", "../../etc/passwd", "must be a time zone name"),
        ("DATABASE_URL", "mysql://db/crm", "must be a sqlite:// or postgresql:// URL"),
        ("DATABASE_URL", "db.example.org", "must be a sqlite:// or postgresql:// URL"),
        ("DATABASE_URL", "postgresql+nodriver://db/crm", "must be a sqlite:// or postgresql://"),
        ("DATABASE_URL", "postgresql+asyncpg://db/crm", "must name an installed driver"),
        ("REDIS_URL", "http://cache:6379", "must be a redis://host:port/db"),
        ("REDIS_URL", "redis://cache:port/0", "must be a redis://host:port/db"),
        ("REDIS_URL", "redis://cache/zero", "must be a redis://host:port/db"),
        ("CRM_LOGIN_LIMIT", "five a minute", 'must be a rate limit such as "5 per 15 minutes"'),
        ("CRM_LOGIN_LIMIT", "5 per fortnight", 'must be a rate limit such as "5 per 15 minutes"'),
        ("CRM_RATELIMIT_PREFIX", "crm limiter", "must be 1 to 64 letters, digits"),
        ("CRM_CITY_NAME_FA", "ش" * 121, "must be one line of at most 120 printable characters"),
    ],
)
def test_a_bad_value_stops_the_app_with_one_line_naming_it(environ, name, value, expected):
    environ.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        create_app(Config)
    message = str(caught.value)
    assert message.startswith(f"Configuration error: {name} {expected}")
    assert message.endswith(f'not "{value}".')
    assert "\n" not in message


def test_a_url_in_an_error_does_not_show_its_password(environ):
    environ.setenv("DATABASE_URL", "mysql://crm:hunter2@db/crm")
    with pytest.raises(ConfigError, match=r'not "mysql://crm:\*\*\*@db/crm"\.$') as caught:
        create_app(Config)
    assert "hunter2" not in str(caught.value)


def test_a_file_is_not_a_folder(environ, tmp_path):
    file = tmp_path / "a-file"
    file.write_text("")
    environ.setenv("CRM_UPLOAD_FOLDER", str(file))
    with pytest.raises(ConfigError, match="CRM_UPLOAD_FOLDER must be a folder"):
        create_app(Config)


def test_prepared_files_are_kept_a_day_in_the_instance_folder_unless_told(environ, tmp_path):
    app = create_app(Config)
    assert app.config["CRM_FILES_FOLDER"] == str(tmp_path / "instance" / "prepared")
    assert app.config["CRM_FILES_KEEP_HOURS"] == 24
    environ.setenv("CRM_FILES_FOLDER", str(tmp_path / "packs"))
    environ.setenv("CRM_FILES_KEEP_HOURS", "72")
    app = create_app(Config)
    assert app.config["CRM_FILES_FOLDER"] == str(tmp_path / "packs")
    assert app.config["CRM_FILES_KEEP_HOURS"] == 72


@pytest.mark.parametrize("hours", ["0", "two", "100000", "-1"])
def test_a_keep_time_that_is_no_number_of_hours_is_refused(environ, hours):
    environ.setenv("CRM_FILES_KEEP_HOURS", hours)
    with pytest.raises(ConfigError, match="CRM_FILES_KEEP_HOURS must be a whole number from 1"):
        create_app(Config)


@pytest.mark.parametrize("key", ["", "dev", "Change-Me", "short-key"])
def test_missing_or_weak_secret_key_is_refused_outside_debug(environ, key):
    environ.setenv("SECRET_KEY", key)
    with pytest.raises(ConfigError, match="SECRET_KEY must be a random value of at least 32"):
        create_app(Config)


def test_debug_mode_runs_without_a_secret_key(environ):
    environ.delenv("SECRET_KEY")
    environ.setenv("FLASK_DEBUG", "1")
    app = create_app(Config)
    assert app.debug and len(app.config["SECRET_KEY"]) >= 32


def test_strong_secret_key_is_accepted_and_cookies_are_secure(environ):
    app = create_app(Config)
    assert app.config["SECRET_KEY"] == STRONG_KEY
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_a_config_class_attribute_wins_over_the_environment(environ):
    environ.setenv("CRM_PAGE_SIZE", "40")
    environ.setenv("CRM_PROXY_HOPS", "2")
    app = create_app(type("Mine", (Config,), {"CRM_PAGE_SIZE": 7}))
    assert app.config["CRM_PAGE_SIZE"] == 7 and app.config["CRM_PROXY_HOPS"] == 2


def test_tests_ignore_the_developers_environment(environ, tmp_path):
    environ.setenv("CRM_PAGE_SIZE", "abc")
    environ.setenv("FLASK_DEBUG", "maybe")
    environ.setenv("SECRET_KEY", "")
    environ.setenv("CRM_LOGIN_LIMIT", "1 per day")
    app = create_app(type("Mine", (TestConfig,), {"CRM_INSTANCE_PATH": str(tmp_path / "instance")}))
    assert app.config["CRM_PAGE_SIZE"] == 10
    assert app.config["CRM_LOGIN_LIMIT"] == "5 per 15 minutes"
    assert app.debug is False


def test_the_flask_command_prints_one_line_and_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "crm", "--help"],
        cwd=ROOT,
        env=_clean_env(tmp_path, CRM_PAGE_SIZE="abc"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        'Configuration error: CRM_PAGE_SIZE must be a whole number from 1 to 500, not "abc".'
    )


def _flask(
    tmp_path, *args: str, stdin: str | None = None, **variables: str
) -> subprocess.CompletedProcess:
    """``flask --app app …`` run in the checkout as the README shows it, without SECRET_KEY."""
    env = _clean_env(tmp_path, **variables)
    del env["SECRET_KEY"]
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_readme_commands_use_the_key_make_wrote_in_the_instance_folder(tmp_path):
    """A checkout made by `make run`: no SECRET_KEY in the shell, instance/secret_key on disk."""
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "secret_key").write_text(secrets.token_hex(32) + "\n")
    database = f"sqlite:///{instance / 'crm.db'}"
    result = _flask(tmp_path, "crm", "seed-demo", "--help", DATABASE_URL=database)
    assert result.returncode == 0, result.stderr
    assert "--if-empty" in result.stdout
    assert _flask(tmp_path, "db", "upgrade", DATABASE_URL=database).returncode == 0
    result = _flask(
        tmp_path,
        *("crm", "create-user", "--email", "it@example.org", "--name", "IT", "--role", "admin"),
        "--password-stdin",
        stdin="olive-lantern-quietly-7\n",
        DATABASE_URL=database,
    )
    assert result.returncode == 0, result.stderr
    assert "Created it@example.org (admin)." in result.stdout


def test_without_a_key_anywhere_the_command_says_so_in_one_line(tmp_path):
    result = _flask(tmp_path, "crm", "seed-demo", "--help")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Configuration error: SECRET_KEY must be a random value")
    assert result.stderr.count("\n") == 1


def test_a_weak_key_in_the_instance_folder_is_refused_naming_the_file(environ, tmp_path):
    environ.delenv("SECRET_KEY")
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "secret_key").write_text("dev\n")
    with pytest.raises(ConfigError, match=r"SECRET_KEY \(read from .*instance/secret_key\)"):
        create_app(Config)


def test_a_key_in_the_environment_wins_over_the_instance_folder(environ, tmp_path):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "secret_key").write_text("f" * 64)
    assert create_app(Config).config["SECRET_KEY"] == STRONG_KEY
    environ.delenv("SECRET_KEY")
    assert create_app(Config).config["SECRET_KEY"] == "f" * 64


def test_gunicorn_stops_once_with_the_line_instead_of_restarting_workers(tmp_path):
    """gunicorn.conf.py builds the app in the master first; otherwise every worker would fail
    with the message and the master would start new ones forever."""
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--bind", "127.0.0.1:0", "app:app"],
        cwd=ROOT,
        env=_clean_env(tmp_path, CRM_SECURE_COOKIES="perhaps"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "Booting worker" not in result.stderr
    line = (
        "Configuration error: CRM_SECURE_COOKIES must be 1/0, true/false, yes/no or on/off, "
        'not "perhaps".'
    )
    assert result.stderr.count(line) == 1


def test_a_request_larger_than_the_largest_document_is_refused(database_url, tmp_path):
    app = create_app(
        type(
            "SmallDocuments",
            (TestConfig,),
            {
                "CRM_MAX_DOCUMENT_MB": 1,
                "SQLALCHEMY_DATABASE_URI": database_url,
                "CRM_INSTANCE_PATH": str(tmp_path / "instance"),
            },
        )
    )
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
    response = app.test_client().post("/login", data={"email": "x" * 3 * 1024 * 1024})
    assert response.status_code == 413
    assert "The file is larger than the allowed size." in response.get_data(as_text=True)


def test_one_list_of_languages_serves_the_settings_the_service_and_the_command():
    """The README's "Adding a language" edits LOCALES in crm/config.py and the language's name
    in crm/i18n.py; nothing else keeps a list of its own."""
    from crm.auth import services
    from crm.cli import create_user_command
    from crm.config import LOCALES
    from crm.i18n import LANGUAGE_NAMES

    assert services.LOCALES is LOCALES
    option = next(param for param in create_user_command.params if param.name == "locale")
    assert tuple(option.type.choices) == LOCALES
    assert tuple(LANGUAGE_NAMES) == LOCALES
