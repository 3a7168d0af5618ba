"""Configuration read from the environment, with safe defaults for a laptop."""

import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Production-shaped settings; every value can be overridden by an environment variable."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    DEBUG = _bool("FLASK_DEBUG")
    TESTING = False

    # None means "SQLite in the instance folder", resolved in create_app.
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL") or None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None

    CRM_DEFAULT_LOCALE = os.environ.get("CRM_DEFAULT_LOCALE", "fa")
    CRM_DEFAULT_TIMEZONE = os.environ.get("CRM_DEFAULT_TIMEZONE", "Asia/Tehran")
    CRM_LOCALES = ("fa", "en")
    CRM_PAGE_SIZE = int(os.environ.get("CRM_PAGE_SIZE", "25"))
    UPLOAD_FOLDER = os.environ.get("CRM_UPLOAD_FOLDER") or None  # default: instance/uploads
    CRM_MAX_DOCUMENT_MB = int(os.environ.get("CRM_MAX_DOCUMENT_MB", "20"))
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

    BABEL_DEFAULT_LOCALE = CRM_DEFAULT_LOCALE
    BABEL_DEFAULT_TIMEZONE = "UTC"
    BABEL_TRANSLATION_DIRECTORIES = str(ROOT / "translations")

    # Sessions and cookies
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("CRM_SECURE_COOKIES", not DEBUG)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = timedelta(days=14)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=int(os.environ.get("CRM_SESSION_HOURS", "12")))
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    # Proxies in front of the app that set X-Forwarded-For/-Proto/-Host (0: none, serve directly).
    CRM_PROXY_HOPS = int(os.environ.get("CRM_PROXY_HOPS", "0"))

    # Login throttling (Flask-Limiter): Redis when configured, else this process's memory.
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_KEY_PREFIX = os.environ.get("CRM_RATELIMIT_PREFIX", "crm-limiter")
    RATELIMIT_HEADERS_ENABLED = False
    CRM_LOGIN_LIMIT = os.environ.get("CRM_LOGIN_LIMIT", "5 per 15 minutes")


class TestConfig(Config):
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
