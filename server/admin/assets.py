"""Front-end libraries for the admin, served from the npm packages the project's setup installs.

Nothing is copied into the repository by hand: ``make setup`` fetches the pinned versions (package-lock.json), and this
allow-list maps a stable URL to each file we use.
"""

from __future__ import annotations

from flask import Blueprint, abort, send_from_directory

from server.config import PROJECT_ROOT

NODE_MODULES = PROJECT_ROOT / "node_modules"

VENDOR_FILES = {
    "pico.css": "@picocss/pico/css/pico.red.min.css",
    "htmx.js": "htmx.org/dist/htmx.min.js",
    "echarts.js": "echarts/dist/echarts.min.js",
}

bp = Blueprint("assets", __name__, static_folder="../static", static_url_path="/static/app")


@bp.route("/static/vendor/<name>")
def vendor(name: str):
    if name not in VENDOR_FILES:
        abort(404)
    path = NODE_MODULES / VENDOR_FILES[name]
    if not path.exists():
        abort(404, "front-end libraries are missing: run `make setup`")
    return send_from_directory(path.parent, path.name, max_age=86400)
