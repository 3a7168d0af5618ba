"""Front-end files for production: versioned URLs kept a year, a changed file fetched at once,
unversioned URLs kept a short time, and the fonts a vendored style sheet loads still found."""

import hashlib
import re
import shutil
from pathlib import Path
from urllib.parse import urljoin

from crm import create_app
from crm.assets import LONG, SHORT_LIFETIME
from crm.config import ROOT, TestConfig
from crm.extensions import db

ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def assets_of(client, url: str = "/login") -> list[str]:
    return ASSET.findall(client.get(url).get_data(as_text=True))


def cache_of(client, url: str) -> tuple[int, str]:
    response = client.get(url)
    response.close()
    return response.status_code, response.headers.get("Cache-Control", "")


def test_every_asset_a_page_links_carries_its_version(client, auth):
    auth.login("staff")
    for page in ("/", "/dashboard", "/activities/new"):
        found = assets_of(client, page)
        assert found, page
        for url in found:
            assert re.fullmatch(
                r"/static/vendor/[0-9a-f]{16}/.+|/static/[^?]+\?v=[0-9a-f]{16}", url
            )
    app_js = next(u for u in assets_of(client, "/") if u.startswith("/static/js/app.js"))
    content = (ROOT / "static/js/app.js").read_bytes()
    assert app_js == f"/static/js/app.js?v={hashlib.sha256(content).hexdigest()[:16]}"


def test_a_versioned_asset_is_kept_a_year_and_an_unversioned_one_briefly(client):
    for url in assets_of(client):
        assert cache_of(client, url) == (200, LONG), url
    short = f"public, max-age={SHORT_LIFETIME}"
    for url in (
        "/static/js/app.js",
        "/static/js/app.js?v=0000000000000000",  # a release ago
        "/static/vendor/bootstrap/dist/css/bootstrap.min.css",
        "/static/vendor/0000000000000000/bootstrap/dist/css/bootstrap.min.css",
    ):
        status, cache = cache_of(client, url)
        assert status == 200 and set(cache.split(", ")) == set(short.split(", ")), url
    assert cache_of(client, "/static/vendor/0000000000000000/bootstrap/package.json")[0] == 404


def test_the_fonts_a_vendored_style_sheet_loads_carry_its_version(client):
    """A style sheet's ``url(fonts/…)`` is resolved from the sheet's versioned URL."""
    for sheet in (u for u in assets_of(client) if u.endswith(".css") and "/vendor/" in u):
        response = client.get(sheet)
        fonts = re.findall(r"url\(\s*['\"]?([^'\")]+\.woff2[^'\")]*)", response.get_data(True))
        response.close()
        for font in fonts:
            url = urljoin(sheet, font)
            assert cache_of(client, url) == (200, LONG), url
    icons = next(u for u in assets_of(client) if "bootstrap-icons.min.css" in u)
    assert cache_of(client, urljoin(icons, "fonts/bootstrap-icons.woff2")) == (200, LONG)


def test_a_changed_file_gets_a_new_url_in_the_next_release(tmp_path, database_url):
    folder = tmp_path / "static"
    shutil.copytree(ROOT / "static", folder)

    def release() -> str:
        app = create_app(type("Release", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url}))
        app.static_folder = str(folder)
        client = app.test_client()
        url = next(u for u in assets_of(client) if u.startswith("/static/css/app.css"))
        assert cache_of(client, url) == (200, LONG)
        with app.app_context():
            db.engine.dispose()
        return url

    first = release()
    assert release() == first  # the same files, the same URL: browsers keep theirs
    css = Path(folder / "css/app.css")
    css.write_text(css.read_text() + "\n.release-two { color: inherit; }\n")
    second = release()
    assert second != first and second.startswith("/static/css/app.css?v=")
