"""The front-end files from npm that the pages use, served by the app itself (no CDN).

Only the files listed here are served from ``node_modules``: the style sheets and scripts that
``templates/base.html`` links, the fonts their CSS loads with ``url()`` and the source maps
they name. Everything else npm installs (package.json, READMEs, lock files, other builds, the
test-only axe-core) answers 404. A test checks that every file a page links, and every file
those load, is listed.
"""

from flask import Blueprint, abort, send_from_directory

from crm.config import ROOT

NODE_MODULES = ROOT / "node_modules"

FILES = frozenset(
    {
        # Bootstrap: the left-to-right and right-to-left builds and the script bundle.
        "bootstrap/dist/css/bootstrap.min.css",
        "bootstrap/dist/css/bootstrap.min.css.map",
        "bootstrap/dist/css/bootstrap.rtl.min.css",
        "bootstrap/dist/css/bootstrap.rtl.min.css.map",
        "bootstrap/dist/js/bootstrap.bundle.min.js",
        "bootstrap/dist/js/bootstrap.bundle.min.js.map",
        # Bootstrap Icons: the style sheet and the two fonts it loads.
        "bootstrap-icons/font/bootstrap-icons.min.css",
        "bootstrap-icons/font/fonts/bootstrap-icons.woff2",
        "bootstrap-icons/font/fonts/bootstrap-icons.woff",
        # Vazirmatn: the variable font and its @font-face rule.
        "vazirmatn/Vazirmatn-Variable-font-face.css",
        "vazirmatn/fonts/webfonts/Vazirmatn[wght].woff2",
        # The Jalali date picker (Persian pages).
        "@majidh1/jalalidatepicker/dist/jalalidatepicker.min.css",
        "@majidh1/jalalidatepicker/dist/jalalidatepicker.min.js",
        # Chart.js (the dashboard's charts).
        "chart.js/dist/chart.umd.min.js",
        "chart.js/dist/chart.umd.min.js.map",
        # Tom Select (the pickers that search as you type).
        "tom-select/dist/css/tom-select.bootstrap5.min.css",
        "tom-select/dist/css/tom-select.bootstrap5.min.css.map",
        "tom-select/dist/js/tom-select.complete.min.js",
        "tom-select/dist/js/tom-select.complete.min.js.map",
    }
)

bp = Blueprint("vendor", __name__)


@bp.route("/static/vendor/<path:filename>", endpoint="static")
@bp.route("/static/vendor/<version:version>/<path:filename>", endpoint="static")
def static(filename: str, version: str = ""):
    """One listed file from ``node_modules`` (templates link it as ``vendor.static``, whose URL
    carries the version of the whole set: crm.assets; the fonts a style sheet loads by a
    relative URL carry it too)."""
    if filename not in FILES:
        abort(404)
    return send_from_directory(NODE_MODULES, filename)
