"""The login wall, role checks on every route, CSRF and the security headers."""

import posixpath
import re

import pytest
from flask_wtf.csrf import generate_csrf

from crm.auth.models import ROLE_ORDER
from crm.security import PUBLIC_ENDPOINTS
from crm.web import IdConverter

ID_VALUE = 987654  # an id that does not exist


def _routes(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        defaults = rule.defaults or {}  # e.g. an export's file_format: one rule per format
        args = {
            arg: ID_VALUE if isinstance(rule._converters[arg], IdConverter) else "x"
            for arg in rule.arguments
            if arg not in defaults
        } | defaults
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, _url(app, rule, args)


def _url(app, rule, args):
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **args)


def test_every_route_declares_a_role(app):
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in PUBLIC_ENDPOINTS
        and not hasattr(app.view_functions[rule.endpoint], "required_role")
    ]
    assert missing == [], f"routes without @require(role): {missing}"


def test_every_route_needs_login(app, client):
    for endpoint, method, url in _routes(app):
        response = client.open(url, method=method)
        assert response.status_code == 302, (endpoint, method, response.status_code)
        assert "/login" in response.headers["Location"], endpoint


@pytest.mark.parametrize("role", ROLE_ORDER)
def test_every_route_enforces_its_role_and_never_fails(app, client, auth, role):
    """Below the route's role: 403. At or above it: anything but 403 and 500."""
    auth.login(role)
    for endpoint, method, url in _routes(app):
        if endpoint == "auth.logout":
            continue
        needed = app.view_functions[endpoint].required_role
        response = client.open(url, method=method)
        response.close()  # a download streams in its own request context: end it here
        if ROLE_ORDER.index(role) < ROLE_ORDER.index(needed):
            assert response.status_code == 403, (endpoint, method, role, response.status_code)
        else:
            assert response.status_code not in (403, 500), (
                endpoint,
                method,
                role,
                response.status_code,
            )


@pytest.fixture
def csrf_app(app):
    app.config["WTF_CSRF_ENABLED"] = True
    return app


def test_login_without_csrf_token_is_refused(csrf_app, make_user):
    from tests.conftest import PASSWORD

    user = make_user("staff")
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "The form expired" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_form_posts_need_a_csrf_token(csrf_app, make_user):
    from tests.conftest import PASSWORD

    user = make_user("staff")
    client = csrf_app.test_client()
    with client:
        client.get("/login")
        token = generate_csrf()
        response = client.post(
            "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
        )
    assert response.status_code == 302
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in: the forged logout failed


def test_security_headers_on_pages(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_scripts(client, auth):
    auth.login("admin")
    for url in ("/", "/login", "/settings", "/users", "/dashboard"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and " onclick=" not in html, url
        for line in html.splitlines():
            if "<script" in line:
                assert " src=" in line, line


def test_session_cookie_is_http_only_and_same_site(client, make_user):
    from tests.conftest import PASSWORD

    user = make_user("staff")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_front_end_assets_are_served_locally(client):
    html = client.get("/login").get_data(as_text=True)
    assert "cdn" not in html.lower() and "https://" not in html
    for asset in (
        "bootstrap/dist/css/bootstrap.rtl.min.css",
        "vazirmatn/fonts/webfonts/Vazirmatn[wght].woff2",
    ):
        response = client.get(f"/static/vendor/{asset}")
        assert response.status_code == 200, asset
        response.close()


def test_behind_a_proxy_the_client_address_counts_for_throttling(app, make_user):
    """With CRM_PROXY_HOPS=1 two clients behind one proxy are throttled separately."""
    from crm import create_app
    from crm.config import TestConfig
    from crm.extensions import db
    from tests.conftest import PASSWORD

    proxied = create_app(
        type(
            "ProxiedConfig",
            (TestConfig,),
            {"CRM_PROXY_HOPS": 1, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]},
        )
    )
    user = make_user("staff")
    client = proxied.test_client()
    first, second = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "203.0.113.8"}
    for n in range(5):
        client.post(
            "/login",
            data={"email": f"someone{n}@example.org", "password": "nope-nope"},
            headers=first,
        )
    blocked = client.post("/login", data={"email": user.email, "password": PASSWORD}, headers=first)
    allowed = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, headers=second
    )
    assert blocked.status_code == 429 and allowed.status_code == 302
    with proxied.app_context():
        db.engine.dispose()


def _linked_vendor_files(client, html: str) -> set[str]:
    """The npm files a page links, and the fonts and source maps those load, transitively."""
    from crm.assets import vendor_version

    prefix = f"/static/vendor/{vendor_version(client.application)}/"
    found = set(re.findall(r'(?:href|src)="/static/vendor/[0-9a-f]{16}/([^"?#]+)', html))
    todo = list(found)
    while todo:
        name = todo.pop()
        response = client.get(prefix + name)
        assert response.status_code == 200, name
        if name.endswith((".css", ".js")):
            text = response.get_data(as_text=True)
            refs = re.findall(r"url\(\s*['\"]?([^'\")]+)", text)
            refs += re.findall(r"sourceMappingURL=(\S+?)(?:\s|\*/|$)", text)
            for ref in refs:
                if ref.startswith("data:"):
                    continue
                target = posixpath.normpath(posixpath.join(posixpath.dirname(name), ref))
                target = target.split("?")[0].split("#")[0]
                if target not in found:
                    found.add(target)
                    todo.append(target)
        response.close()
    return found


def test_only_the_front_end_files_the_pages_use_are_served(app, client, auth):
    from crm.vendor import FILES

    used: set[str] = set()
    for locale in ("fa", "en"):
        used |= _linked_vendor_files(client, client.get(f"/login?lang={locale}").get_data(True))
    auth.login("staff", locale="fa")
    used |= _linked_vendor_files(client, client.get("/activities/new").get_data(as_text=True))
    used |= _linked_vendor_files(client, client.get("/dashboard").get_data(as_text=True))
    assert "chart.js/dist/chart.umd.min.js" in used
    assert "@majidh1/jalalidatepicker/dist/jalalidatepicker.min.js" in used
    assert "vazirmatn/fonts/webfonts/Vazirmatn[wght].woff2" in used
    assert "bootstrap-icons/font/fonts/bootstrap-icons.woff2" in used
    assert used == FILES, "the allow-list in crm/vendor.py lists exactly what the pages load"
    for name in (
        "bootstrap/package.json",
        "bootstrap/README.md",
        ".package-lock.json",
        "axe-core/axe.min.js",
        "axe-core/package.json",
        "bootstrap/dist/css/bootstrap.css",
        "bootstrap/scss/_variables.scss",
        "tom-select/dist/js/tom-select.base.js.map",
        "../package.json",
        "%2e%2e/package.json",
    ):
        response = client.get(f"/static/vendor/{name}")
        assert response.status_code == 404, name
        response.close()
