"""Serving the newspaper's images. Public on purpose: the mini-program's ``image`` and ``rich-text`` load them
without our bearer token, and the 128-bit random names (server/newspaper/images.py) are the protection."""

from __future__ import annotations

from flask import Blueprint, send_file

from server.errors import NotFound
from server.newspaper import images

bp = Blueprint("news_media", __name__, url_prefix="/media/news")
#: stored images never change (a new upload gets a new name)
CACHE_SECONDS = 30 * 24 * 3600


@bp.get("/<name>")
def image(name: str):
    path = images.path_of(name)
    if path is None:
        raise NotFound("图片不存在")
    mimetype = "image/png" if name.endswith(".png") else "image/jpeg"
    return send_file(path, mimetype=mimetype, max_age=CACHE_SECONDS, conditional=True)
