"""The sister-city relationship CRM: application factory."""

import os
from pathlib import Path

from flask import Blueprint, Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from crm.config import ROOT, Config
from crm.extensions import babel, csrf, db, limiter, login_manager, migrate

WEAK_KEYS = {"", "dev", "secret", "changeme", "change-me", "development"}


def _check_secret_key(app: Flask) -> None:
    key = app.config.get("SECRET_KEY") or ""
    if app.debug or app.testing:
        if not key:
            app.config["SECRET_KEY"] = os.urandom(32).hex()
        return
    if key.lower() in WEAK_KEYS or len(key) < 32:
        raise RuntimeError(
            "SECRET_KEY is missing or weak. Set the SECRET_KEY environment variable to a random "
            "value of at least 32 characters, for example the output of: "
            'python -c "import secrets; print(secrets.token_hex(32))"'
        )


def create_app(config_class: type = Config) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=os.environ.get("CRM_INSTANCE_PATH") or str(ROOT / "instance"),
    )
    app.config.from_object(config_class)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'crm.db'}"
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = str(Path(app.instance_path) / "uploads")
    app.config.setdefault(
        "MAX_CONTENT_LENGTH", (app.config["CRM_MAX_DOCUMENT_MB"] + 1) * 1024 * 1024
    )
    _check_secret_key(app)
    if hops := app.config["CRM_PROXY_HOPS"]:
        # The client's address (login throttling) and the scheme come from the trusted proxy.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from crm import i18n

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    login_manager.init_app(app)

    _import_models()
    _register_permissions()
    _register_blueprints(app)

    from crm.auth import init_login

    init_login(app)

    from crm import cli, errors, security, templating

    security.init_security(app)
    templating.init_templating(app)
    errors.init_errors(app)
    cli.init_cli(app)
    return app


def _import_models() -> None:
    """Import every model module so the metadata (and Alembic) sees all tables."""
    from crm import audit, models  # noqa: F401
    from crm.activities import models as _activities  # noqa: F401
    from crm.agreements import models as _agreements  # noqa: F401
    from crm.auth import models as _auth  # noqa: F401
    from crm.partners import models as _partners  # noqa: F401


def _register_permissions() -> None:
    """Each domain registers its record kinds with the one permission layer."""
    from crm.activities import permissions as _activities  # noqa: F401
    from crm.agreements import permissions as _agreements  # noqa: F401
    from crm.auth import permissions as _auth  # noqa: F401
    from crm.partners import permissions as _partners  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    # Views are imported here, after every model. The pages that gather from every domain
    # (the start page, a partner's 360° view) are in crm.main, above the domains.
    from crm.activities import bp as activities_bp
    from crm.activities import views as _activity_views  # noqa: F401
    from crm.agreements import bp as agreements_bp
    from crm.agreements import item_views as _agreement_item_views  # noqa: F401
    from crm.agreements import views as _agreement_views  # noqa: F401
    from crm.auth import bp as auth_bp
    from crm.auth import views as _auth_views  # noqa: F401
    from crm.main import bp as main_bp
    from crm.main import overview as _overview  # noqa: F401
    from crm.main import views as _main_views  # noqa: F401
    from crm.partners import bp as partners_bp
    from crm.partners import contact_views as _contact_views  # noqa: F401
    from crm.partners import views as _partner_views  # noqa: F401

    # Front-end packages installed from the npm registry by `make`, served by the app itself.
    vendor = Blueprint(
        "vendor",
        __name__,
        static_folder=str(ROOT / "node_modules"),
        static_url_path="/static/vendor",
    )
    for bp in (main_bp, auth_bp, partners_bp, agreements_bp, activities_bp, vendor):
        app.register_blueprint(bp)
