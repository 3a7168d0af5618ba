"""Versioned URLs for the front-end files: browsers keep them a year, and a release that
changes a file changes its URL, so it is fetched at once.

``url_for('static', filename=…)`` gets ``?v=`` and the first characters of the file's SHA-256;
``url_for('vendor.static', filename=…)`` gets a path segment, the hash of every listed npm file
together (``/static/vendor/<version>/bootstrap-icons/font/…``), so the fonts a vendored style
sheet loads by a relative ``url()`` carry the version too. The hashes are made once per app, on
the first URL built. A request whose version is the current one is answered with
``Cache-Control: public, max-age=31536000, immutable``; without one (or with an old one), with
``SHORT_LIFETIME``.
"""

import hashlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.routing import BaseConverter

LONG = "public, max-age=31536000, immutable"
SHORT_LIFETIME = 300  # seconds: an unversioned URL is asked again after five minutes
LENGTH = 16  # hex characters of a hash in a URL


class VersionConverter(BaseConverter):
    """The version segment of a vendored file's URL (never a package's name)."""

    regex = f"[0-9a-f]{{{LENGTH}}}"


@lru_cache(maxsize=512)
def _digest(path: str, _size: int, _mtime_ns: int) -> str:
    """One file's hash (again only when its size or time changes)."""
    with open(path, "rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def file_hash(path: Path) -> str | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return _digest(str(path), found.st_size, found.st_mtime_ns)


def static_hashes(folder: Path) -> dict[str, str]:
    """Each file under ``folder`` (by its path there, with /) and its hash."""
    found = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and (digest := file_hash(path)):
            found[path.relative_to(folder).as_posix()] = digest[:LENGTH]
    return found


def bundle_hash(folder: Path, names: Iterable[str]) -> str:
    """One hash of the named files together: any of them changing changes it."""
    whole = hashlib.sha256()
    for name in sorted(names):
        whole.update(f"{name}\0{file_hash(folder / name) or 'missing'}\0".encode())
    return whole.hexdigest()[:LENGTH]


def _versions(app: Flask) -> dict[str, Any]:
    found = app.extensions.get("crm_assets")
    if found is None:
        from crm.vendor import FILES, NODE_MODULES

        found = app.extensions["crm_assets"] = {
            "static": static_hashes(Path(app.static_folder or "")),
            "vendor": bundle_hash(NODE_MODULES, FILES),
        }
    return found


def vendor_version(app: Flask | None = None) -> str:
    return _versions(app or current_app)["vendor"]


def _add_version(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint == "static" and "v" not in values:
        digest = _versions(current_app)["static"].get(values.get("filename", ""))
        if digest:
            values["v"] = digest
    elif endpoint == "vendor.static" and "version" not in values:
        values["version"] = vendor_version()


def _cache_lifetime(response: Response) -> Response:
    """A year for the current version's URL; ``SHORT_LIFETIME`` for any other."""
    if request.endpoint not in ("static", "vendor.static") or response.status_code not in (
        200,
        206,
        304,
    ):
        return response
    versions = _versions(current_app)
    args = request.view_args or {}
    if request.endpoint == "static":
        current = versions["static"].get(args.get("filename", ""))
        versioned = current is not None and request.args.get("v") == current
    else:
        versioned = args.get("version") == versions["vendor"]
    if versioned:
        response.headers["Cache-Control"] = LONG
    else:
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = SHORT_LIFETIME
    return response


def init_assets(app: Flask) -> None:
    """Before the blueprints: the vendor routes use the ``version`` converter."""
    app.url_map.converters["version"] = VersionConverter
    app.url_defaults(_add_version)
    app.after_request(_cache_lifetime)
