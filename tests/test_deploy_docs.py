"""The operator's files in docs/deploy and what the README says of them hold for the code: the
systemd units parse and run commands that exist, nginx's example fits the app's limits and
URLs, the example environment names only real settings, and a new secret key does what the
README's rotation section says."""

import configparser
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest
from gunicorn.config import Config as GunicornConfig

from crm import create_app
from crm.assets import LONG, SHORT_LIFETIME, vendor_version
from crm.config import ROOT, ConfigError, TestConfig, check_secret_key, from_environment
from crm.extensions import db
from crm.vendor import FILES
from tests.conftest import PASSWORD

DEPLOY = ROOT / "docs" / "deploy"
UNITS = ("crm-web.service", "crm-worker@.service", "crm-scheduler.service")
README = (ROOT / "README.md").read_text()
NGINX = (DEPLOY / "nginx.conf").read_text()
CHECKOUT = "/srv/crm/app"


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # systemd's keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text(), source=name)
    return parser


@pytest.mark.parametrize("name", UNITS)
def test_each_unit_runs_as_the_service_user_in_the_checkout_with_the_environment_file(name):
    parsed = unit(name)
    assert set(parsed.sections()) == {"Unit", "Service", "Install"}
    service = parsed["Service"]
    assert service["User"] == service["Group"] == "crm"
    assert service["WorkingDirectory"] == CHECKOUT
    assert service["EnvironmentFile"] == "/etc/crm/env"
    assert service["UMask"] == "0027"
    assert service["Restart"] in ("always", "on-failure")
    assert parsed["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize("name", UNITS)
def test_each_unit_starts_a_command_that_exists(name, app):
    program, *args = shlex.split(unit(name)["Service"]["ExecStart"])
    assert program.startswith(f"{CHECKOUT}/.venv/bin/")
    assert shutil.which(Path(program).name, path=str(Path(sys.executable).parent)), program
    if Path(program).name == "gunicorn":
        options = GunicornConfig().parser().parse_args(args)  # gunicorn's own reading
        assert options.args == ["app:app"] and (ROOT / "app.py").exists()
        assert (ROOT / "gunicorn.conf.py").exists()  # read from the WorkingDirectory
    else:
        assert Path(program).name == "flask" and args[:2] == ["--app", "app"]
        result = app.test_cli_runner().invoke(args=[*args[2:], "--help"])
        assert result.exit_code == 0, result.output


def test_the_readme_names_every_file_in_docs_deploy():
    for path in DEPLOY.iterdir():
        assert f"(docs/deploy/{path.name})" in README, path.name
    assert set(UNITS) <= {p.name for p in DEPLOY.iterdir()}


def test_nginx_takes_a_body_above_the_largest_document_and_its_form():
    size = int(re.search(r"client_max_body_size (\d+)m;", NGINX)[1])
    assert size > from_environment({})["CRM_MAX_DOCUMENT_MB"] + 1


def test_nginx_forwards_the_headers_proxy_fix_reads():
    proxy = (DEPLOY / "crm-proxy.inc").read_text()
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Request-ID"):
        assert f"proxy_set_header {header} " in proxy, header
    assert NGINX.count("include /etc/nginx/conf.d/crm-proxy.inc;") == NGINX.count("proxy_pass ")
    assert "CRM_PROXY_HOPS=1" in (DEPLOY / "env.example").read_text()
    assert re.search(r"location /health \{\s*access_log off;", NGINX)


def test_nginx_serves_every_versioned_asset_with_the_apps_cache_lifetimes(app):
    cache_map = re.search(r"map \$arg_v \$crm_static_cache \{([^}]*)\}", NGINX)[1]
    assert re.search(rf'default\s+"{LONG}";', cache_map)
    assert re.search(rf'""\s+"public, max-age={SHORT_LIFETIME}";', cache_map)
    assert f'add_header Cache-Control "{LONG}" always;' in NGINX
    assert f"alias {CHECKOUT}/static/;" in NGINX and f"alias {CHECKOUT}/node_modules/$1;" in NGINX
    pattern = re.search(r'location ~ "(\^/static/vendor/[^"]+)"', NGINX)[1]
    version = vendor_version(app)
    for name in FILES:
        match = re.fullmatch(pattern, f"/static/vendor/{version}/{name}")
        assert match and match[1] == name, name
    for other in ("bootstrap/package.json", "axe-core/axe.min.js", "../package.json"):
        assert not re.fullmatch(pattern, f"/static/vendor/{version}/{other}"), other


def test_the_example_environment_is_valid_but_for_the_key_it_leaves_empty():
    environ = {}
    for line in (DEPLOY / "env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            assert f'"{name}"' in (ROOT / "crm" / "config.py").read_text(), name
            environ[name] = value
    settings = from_environment(environ)  # every other value is accepted as it is
    assert settings["CRM_PROXY_HOPS"] == 1 and not settings["CRM_EMBEDDED_JOBS"]
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        check_secret_key(settings)


def test_every_setting_the_readme_names_is_one_the_code_reads():
    code = "".join(p.read_text() for p in [*ROOT.joinpath("crm").rglob("*.py")])
    code += "".join(p.read_text() for p in ROOT.joinpath("benchmarks").rglob("*.py"))
    for name in set(re.findall(r"\b(CRM_[A-Z_]+|SMTP_[A-Z_]+|REDIS_URL|DATABASE_URL)\b", README)):
        assert f'"{name}"' in code or f"'{name}'" in code, name


def test_a_new_secret_key_signs_everyone_out_and_keeps_calendar_feeds(app, client, make_user):
    user = make_user("staff")
    signed_in = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )
    assert signed_in.status_code == 302
    page = client.post("/calendar/feed/new").get_data(as_text=True)
    feed = re.search(r'id="feed-url" [^>]*value="http://localhost([^"]+)"', page)[1]
    assert client.get("/").status_code == 200

    def process(key: str):
        """Another web process on the same database, given the browser's cookies."""
        settings = {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]}
        other = create_app(type("Process", (TestConfig,), {**settings, "SECRET_KEY": key}))
        browser = other.test_client()
        for name in ("session", "remember_token"):
            cookie = client.get_cookie(name)
            assert cookie is not None, name
            browser.set_cookie(name, cookie.value)
        return other, browser

    same, same_browser = process(app.config["SECRET_KEY"])
    rotated, after = process("another-secret-key-that-is-long-enough-9876543210")
    try:
        assert same_browser.get("/").status_code == 200  # the same key: still signed in
        assert after.get("/").headers["Location"].startswith("/login")  # signed out
        response = after.get(feed)
        assert response.status_code == 200 and b"BEGIN:VCALENDAR" in response.data
    finally:
        for each in (same, rotated):
            with each.app_context():
                db.engine.dispose()
