"""The sister-city relationship CRM: application factory."""

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from crm.config import ROOT, Config, ConfigError, load_settings
from crm.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config_class: type = Config) -> Flask:
    """The app; a bad setting raises ConfigError (a SystemExit: one line, no traceback)."""
    settings = load_settings(config_class)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=settings["CRM_INSTANCE_PATH"],
    )
    app.config.update(settings)
    try:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            "CRM_INSTANCE_PATH must be a folder the app can create and write, "
            f'not "{app.instance_path}" ({error.strerror}).'
        ) from None
    if hops := app.config["CRM_PROXY_HOPS"]:
        # The client's address (login throttling) and the scheme come from the trusted proxy.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's documented way
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )

    from crm import i18n, logs, security

    logs.init_logging(app)  # first: every request gets its id and its log line
    app.before_request(security.refuse_oversized_bodies)  # before the CSRF check
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    from crm.auth import throttle

    throttle.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    login_manager.init_app(app)

    from crm.web import IdConverter

    app.url_map.converters["id"] = IdConverter  # <id:…>, every record id in a path
    from crm import assets

    assets.init_assets(app)  # versioned front-end URLs (and the <version:…> converter)
    _import_models()
    _register_permissions()
    _register_blueprints(app)

    from crm.auth import init_login

    init_login(app)

    from crm import cli, errors, templating
    from crm.calendar import logmask

    logmask.install(app)  # feed tokens never reach a log in full
    security.init_security(app)
    templating.init_templating(app)
    errors.init_errors(app)
    cli.init_cli(app)
    if app.config["CRM_EMBEDDED_JOBS"]:
        from crm import jobs

        # on the first request, not here: commands (flask db upgrade…) make the app as well
        app.before_request(lambda: jobs.start_embedded(app))
    return app


def _import_models() -> None:
    """Import every model module so the metadata (and Alembic) sees all tables."""
    from crm import audit, models  # noqa: F401
    from crm.activities import models as _activities  # noqa: F401
    from crm.agreements import models as _agreements  # noqa: F401
    from crm.auth import models as _auth  # noqa: F401
    from crm.calendar import models as _calendar  # noqa: F401
    from crm.duplicates import models as _duplicates  # noqa: F401
    from crm.files import models as _files  # noqa: F401
    from crm.health import models as _health  # noqa: F401
    from crm.imports import models as _imports  # noqa: F401
    from crm.notifications import models as _notifications  # noqa: F401
    from crm.partners import models as _partners  # noqa: F401
    from crm.reminders import models as _reminders  # noqa: F401


def _register_permissions() -> None:
    """Each domain registers its record kinds with the one permission layer."""
    from crm.activities import permissions as _activities  # noqa: F401
    from crm.agreements import permissions as _agreements  # noqa: F401
    from crm.auth import permissions as _auth  # noqa: F401
    from crm.duplicates import permissions as _duplicates  # noqa: F401
    from crm.files import permissions as _files  # noqa: F401
    from crm.imports import permissions as _imports  # noqa: F401
    from crm.notifications import permissions as _notifications  # noqa: F401
    from crm.partners import permissions as _partners  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    # Views are imported here, after every model. The pages that gather from every domain
    # (the start page, a partner's 360° view, an agreement's page) are in crm.main, above the
    # domains.
    from crm.activities import bp as activities_bp
    from crm.activities import views as _activity_views  # noqa: F401
    from crm.agreements import board_views as _agreement_board_views  # noqa: F401
    from crm.agreements import bp as agreements_bp
    from crm.agreements import item_views as _agreement_item_views  # noqa: F401
    from crm.agreements import request_views as _agreement_request_views  # noqa: F401
    from crm.agreements import views as _agreement_views  # noqa: F401
    from crm.audit_trail import bp as audit_bp
    from crm.audit_trail import views as _audit_views  # noqa: F401
    from crm.auth import bp as auth_bp
    from crm.auth import handover_views as _handover_views  # noqa: F401
    from crm.auth import recovery_views as _recovery_views  # noqa: F401
    from crm.auth import views as _auth_views  # noqa: F401
    from crm.calendar import bp as calendar_bp
    from crm.calendar import views as _calendar_views  # noqa: F401
    from crm.dossiers import views as _dossier_views  # noqa: F401
    from crm.duplicates import bp as duplicates_bp
    from crm.duplicates import contact_views as _duplicate_contact_views  # noqa: F401
    from crm.duplicates import views as _duplicate_views  # noqa: F401
    from crm.files import bp as files_bp
    from crm.files import views as _file_views  # noqa: F401
    from crm.health import bp as health_bp
    from crm.health import views as _health_views  # noqa: F401
    from crm.imports import bp as imports_bp
    from crm.imports import views as _import_views  # noqa: F401
    from crm.main import agreement_page as _agreement_page  # noqa: F401
    from crm.main import bp as main_bp
    from crm.main import overview as _overview  # noqa: F401
    from crm.main import views as _main_views  # noqa: F401
    from crm.notifications import bp as notifications_bp
    from crm.notifications import views as _notification_views  # noqa: F401
    from crm.ops import bp as ops_bp
    from crm.ops import views as _ops_views  # noqa: F401
    from crm.partners import bp as partners_bp
    from crm.partners import contact_views as _contact_views  # noqa: F401
    from crm.partners import views as _partner_views  # noqa: F401
    from crm.reminders.views import bp as reminders_bp

    # The front-end files from npm that the pages use (crm/vendor.py lists them).
    from crm.vendor import bp as vendor_bp

    for bp in (
        main_bp,
        auth_bp,
        partners_bp,
        agreements_bp,
        activities_bp,
        calendar_bp,
        notifications_bp,
        reminders_bp,
        audit_bp,
        duplicates_bp,
        files_bp,
        health_bp,
        ops_bp,
        imports_bp,
        vendor_bp,
    ):
        app.register_blueprint(bp)
