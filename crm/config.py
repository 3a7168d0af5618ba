"""Configuration: every setting the app reads from the environment, parsed and checked once.

``Config`` holds the fixed settings; ``load_settings`` adds the environment's, each parsed and
checked, and stops the process with one line naming the variable when a value is wrong. The
attributes of a config class win over the environment (tests set what they need that way), and
``TestConfig`` does not read the environment at all.
"""

import os
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import available_timezones

import limits
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("fa", "en")
WEAK_KEYS = {"", "dev", "secret", "changeme", "change-me", "development"}
TRUE, FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


class ConfigError(SystemExit):
    """A bad setting. A SystemExit, so the interpreter prints the one line and no traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(f"Configuration error: {message}")


def _masked(url: str) -> str:
    """The URL with its password hidden, for an error message."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return url
    return url.replace(f":{password}@", ":***@", 1) if password else url


def database_url(value: str | None) -> str | None:
    """A SQLite or PostgreSQL URL whose driver is installed; plain postgresql:// gets psycopg."""
    if not value:
        return None
    if value.startswith("postgresql://"):
        value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
    shown = _masked(value)
    try:
        url = make_url(value)
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ArgumentError("another database")
        dialect = url.get_dialect()
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL must be a sqlite:// or postgresql:// URL, with an optional +driver "
            f'(e.g. postgresql+psycopg://user:password@host:5432/crm), not "{shown}".'
        ) from None
    try:
        dialect.import_dbapi()
    except ImportError:
        raise ConfigError(
            "DATABASE_URL must name an installed driver (postgresql+psycopg:// or plain "
            f'postgresql://; {url.get_driver_name()} is not installed), not "{shown}".'
        ) from None
    return value


def _is_redis_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - a port that is not a number raises ValueError
    except ValueError:
        return False
    if parts.scheme == "unix":
        return bool(parts.path)
    return (
        parts.scheme in ("redis", "rediss")
        and bool(parts.hostname)
        and re.fullmatch(r"/?\d*", parts.path) is not None
    )


class Environment:
    """Reads settings from a mapping of environment variables; an empty value counts as unset."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self.environ = environ

    def get(self, name: str) -> str | None:
        return self.environ.get(name, "").strip() or None

    def flag(self, name: str, default: bool) -> bool:
        value = self.get(name)
        if value is None:
            return default
        if value.lower() not in TRUE | FALSE:
            raise ConfigError(f'{name} must be 1/0, true/false, yes/no or on/off, not "{value}".')
        return value.lower() in TRUE

    def number(self, name: str, default: int, low: int, high: int) -> int:
        value = self.get(name)
        if value is None:
            return default
        if not value.isascii() or not value.isdigit() or not low <= int(value) <= high:
            raise ConfigError(f'{name} must be a whole number from {low} to {high}, not "{value}".')
        return int(value)

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.get(name) or default
        if value not in choices:
            raise ConfigError(f'{name} must be one of {", ".join(choices)}, not "{value}".')
        return value

    def timezone(self, name: str, default: str) -> str:
        value = self.get(name) or default
        if value not in available_timezones():  # the names the settings forms offer
            raise ConfigError(
                f'{name} must be a time zone name such as Asia/Tehran or UTC, not "{value}".'
            )
        return value

    def folder(self, name: str, default: Path | None = None) -> str | None:
        value = self.get(name)
        if value is None:
            return str(default) if default else None
        path = Path(value).expanduser().absolute()
        if path.exists() and not path.is_dir():
            raise ConfigError(f'{name} must be a folder, not "{value}", which is a file.')
        return str(path)

    def redis_url(self, name: str) -> str | None:
        value = self.get(name)
        if value is not None and not _is_redis_url(value):
            raise ConfigError(
                f"{name} must be a redis://host:port/db, rediss://… or unix:///path/to/socket URL, "
                f'not "{_masked(value)}".'
            )
        return value

    def web_url(self, name: str, default: str) -> str:
        value = (self.get(name) or default).rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ConfigError(
                f"{name} must be the address users open the CRM at, such as "
                f'https://crm.example.org, not "{value}".'
            )
        return value

    def mail_address(self, name: str, default: str) -> str:
        value = self.get(name) or default
        if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", value):
            raise ConfigError(
                f'{name} must be an e-mail address such as crm@example.org, not "{value}".'
            )
        return value

    def rate_limit(self, name: str, default: str) -> str:
        value = self.get(name) or default
        try:
            limits.parse_many(value)
        except ValueError:
            raise ConfigError(
                f'{name} must be a rate limit such as "5 per 15 minutes" or "10/hour", '
                f'not "{value}".'
            ) from None
        return value

    def text(self, name: str, default: str, longest: int = 120) -> str:
        value = self.get(name) or default
        if len(value) > longest or not value.isprintable():
            raise ConfigError(
                f'{name} must be one line of at most {longest} printable characters, not "{value}".'
            )
        return value

    def key_prefix(self, name: str, default: str) -> str:
        value = self.get(name) or default
        if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,64}", value):
            raise ConfigError(
                f'{name} must be 1 to 64 letters, digits or - _ . : characters, not "{value}".'
            )
        return value


def from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings that come from the environment, parsed and checked, as ``app.config`` keys."""
    env = Environment(environ)
    debug = env.flag("FLASK_DEBUG", False)
    locale = env.choice("CRM_DEFAULT_LOCALE", "fa", LOCALES)
    secure_cookies = env.flag("CRM_SECURE_COOKIES", not debug)
    redis_url = env.redis_url("REDIS_URL")
    if redis_url and redis_url.startswith("unix:"):
        storage = "redis+" + redis_url  # how the limits package names a Redis socket
    else:
        storage = redis_url or "memory://"
    return {
        "SECRET_KEY": env.get("SECRET_KEY") or "",
        "DEBUG": debug,
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL")),  # None: SQLite
        "REDIS_URL": redis_url,
        "CRM_DEFAULT_LOCALE": locale,
        "BABEL_DEFAULT_LOCALE": locale,
        "CRM_DEFAULT_TIMEZONE": env.timezone("CRM_DEFAULT_TIMEZONE", "Asia/Tehran"),
        # JSON lines (one object per line, crm.logs) or plain text for a developer's terminal
        "CRM_LOG_FORMAT": env.choice("CRM_LOG_FORMAT", "json", ("json", "text")),
        "CRM_PAGE_SIZE": env.number("CRM_PAGE_SIZE", 25, 1, 500),
        # a pipeline-board card waiting longer than this in its stage stands out
        "CRM_STUCK_DAYS": env.number("CRM_STUCK_DAYS", 60, 1, 3650),
        "UPLOAD_FOLDER": env.folder("CRM_UPLOAD_FOLDER"),  # None: instance/uploads
        "CRM_MAX_DOCUMENT_MB": env.number("CRM_MAX_DOCUMENT_MB", 20, 1, 1024),
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=env.number("CRM_SESSION_HOURS", 12, 1, 720)),
        "CRM_LOGIN_LIMIT": env.rate_limit("CRM_LOGIN_LIMIT", "5 per 15 minutes"),
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_KEY_PREFIX": env.key_prefix("CRM_RATELIMIT_PREFIX", "crm-limiter"),
        # Proxies in front of the app that set X-Forwarded-For/-Proto/-Host (0: none).
        "CRM_PROXY_HOPS": env.number("CRM_PROXY_HOPS", 0, 0, 5),
        "CRM_INSTANCE_PATH": env.folder("CRM_INSTANCE_PATH", ROOT / "instance"),
        # Links in e-mails and other messages read outside the browser point here.
        "CRM_BASE_URL": env.web_url("CRM_BASE_URL", "http://127.0.0.1:5000"),
        # E-mail: over SMTP when SMTP_HOST is set, else written to the outbox folder (.eml).
        "SMTP_HOST": env.get("SMTP_HOST"),
        "SMTP_PORT": env.number("SMTP_PORT", 587, 1, 65535),
        "SMTP_SECURITY": env.choice("SMTP_SECURITY", "starttls", ("starttls", "ssl", "none")),
        "SMTP_USERNAME": env.get("SMTP_USERNAME"),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD"),
        "MAIL_FROM": env.mail_address("MAIL_FROM", "crm@localhost"),
        "CRM_OUTBOX": env.folder("CRM_OUTBOX"),  # None: instance/outbox
        # Without Redis, the web process runs the job queue, a worker and the sweep itself.
        "CRM_EMBEDDED_JOBS": env.flag("CRM_EMBEDDED_JOBS", not redis_url),
        "CRM_QUEUE": env.key_prefix("CRM_QUEUE", "crm"),  # the RQ queue's name
        # Prepared files (briefing packs, pipeline reports): where, and for how long.
        "CRM_FILES_FOLDER": env.folder("CRM_FILES_FOLDER"),  # None: instance/prepared
        "CRM_FILES_KEEP_HOURS": env.number("CRM_FILES_KEEP_HOURS", 24, 1, 24 * 365),
        # PDFs: the city named in every page's header, and the folder of the Vazirmatn fonts
        # (None: node_modules/vazirmatn/fonts/ttf, which make install fills).
        "CRM_CITY_NAME_EN": env.text("CRM_CITY_NAME_EN", "Tehran Municipality"),
        "CRM_CITY_NAME_FA": env.text("CRM_CITY_NAME_FA", "شهرداری تهران"),
        "CRM_PDF_FONTS": env.folder("CRM_PDF_FONTS"),
    }


SECRET_SETTINGS = {"SECRET_KEY", "SMTP_PASSWORD"}
URL_SETTINGS = {"SQLALCHEMY_DATABASE_URI", "REDIS_URL", "RATELIMIT_STORAGE_URI"}


def shown_settings(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The settings the environment decides, as ``flask crm check-config`` prints them: each
    with its effective value, secrets hidden (a key or password only said to be set, and the
    password in a URL replaced by ***)."""
    shown = []
    for name in sorted(from_environment({})):
        value = config.get(name)
        if name in SECRET_SETTINGS:
            text = "set (hidden)" if value else "not set"
        elif name in URL_SETTINGS and value:
            text = _masked(str(value))
        elif value is None:
            text = "not set"
        else:
            text = str(value)
        shown.append((name, text))
    return shown


def key_file(instance: Path) -> Path:
    """Where ``make`` keeps the secret key of a development checkout."""
    return instance / "secret_key"


def _read_key(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:  # missing or unreadable: as if there were none
        return ""


def check_secret_key(settings: dict[str, Any], source: Path | None = None) -> None:
    """Outside debug mode and tests the key must be long and not a well-known word.
    ``source``: the file the key was read from, named in the message when it will not do."""
    key = settings.get("SECRET_KEY") or ""
    if settings.get("DEBUG") or settings.get("TESTING"):
        settings["SECRET_KEY"] = key or os.urandom(32).hex()
    elif key.lower() in WEAK_KEYS or len(key) < 32:
        where = f" (read from {source})" if source else ""
        raise ConfigError(
            f"SECRET_KEY{where} must be a random value of at least 32 characters outside debug "
            'mode (e.g. the output of python -c "import secrets; print(secrets.token_hex(32))"), '
            "not a missing, short or well-known one; in a checkout, make db writes one to "
            "instance/secret_key."
        )


def load_settings(config_class: type) -> dict[str, Any]:
    """Everything ``app.config`` gets: the environment's settings, then the class's attributes."""
    settings = from_environment(
        os.environ if getattr(config_class, "read_environment", True) else {}
    )
    settings.update({key: getattr(config_class, key) for key in dir(config_class) if key.isupper()})
    instance = Path(settings["CRM_INSTANCE_PATH"])
    settings["SQLALCHEMY_DATABASE_URI"] = (
        settings["SQLALCHEMY_DATABASE_URI"] or f"sqlite:///{instance / 'crm.db'}"
    )
    settings["UPLOAD_FOLDER"] = settings["UPLOAD_FOLDER"] or str(instance / "uploads")
    settings["CRM_OUTBOX"] = settings["CRM_OUTBOX"] or str(instance / "outbox")
    settings["CRM_FILES_FOLDER"] = settings["CRM_FILES_FOLDER"] or str(instance / "prepared")
    # A request may carry a document of the largest size and the form around it.
    settings.setdefault("MAX_CONTENT_LENGTH", (settings["CRM_MAX_DOCUMENT_MB"] + 1) * 1024 * 1024)
    source = None
    if not settings["SECRET_KEY"] and (key := _read_key(key_file(instance))):
        # A development checkout: the key `make` wrote, so `flask --app app …` works as is.
        settings["SECRET_KEY"], source = key, key_file(instance)
    check_secret_key(settings, source)
    return settings


class Config:
    """Production-shaped settings: the fixed ones here, the rest from ``from_environment``."""

    read_environment = True  # lower case: not a setting, Flask does not copy it

    TESTING = False
    # hide_parameters: an error's message (and so its log line) shows the SQL, never the values
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "hide_parameters": True}
    CRM_LOCALES = LOCALES
    CRM_DOCUMENT_EXTENSIONS = (
        "pdf",
        "doc",
        "docx",
        "odt",
        "rtf",
        "txt",
        "xls",
        "xlsx",
        "ods",
        "png",
        "jpg",
        "jpeg",
    )

    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")

    # Sessions and cookies (the Secure flags come from CRM_SECURE_COOKIES)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Login throttling (Flask-Limiter): Redis when REDIS_URL is set, else this process's memory.
    RATELIMIT_HEADERS_ENABLED = False
    # Redis unreachable: count in this process's memory (crm.auth.throttle does the same for
    # the accounts' slow-down), never refuse a sign-in with an error page.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # A Redis host that is gone (not just refusing) must not hold a sign-in for the system's
    # connect timeout of minutes; the job queue's connection waits as long (crm.jobs).
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}


class TestConfig(Config):
    """The tests' settings: the developer's environment plays no part (only TEST_* variables)."""

    read_environment = False

    TESTING = True
    SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = False  # tests that check CSRF switch it back on
    RATELIMIT_STORAGE_URI = "memory://"
    CRM_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_LOCALE = "en"
    CRM_PAGE_SIZE = 10
    CRM_EMBEDDED_JOBS = False  # the tests that need a worker start one
