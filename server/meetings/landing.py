"""The public page behind the projected check-in link, for a phone that opened it outside WeChat.

The live QR encodes ``<checkin_link_prefix>?c=M7.<signed>``. In WeChat, 扫一扫 opens the mini-program
instead (the prefix is registered in the WeChat console); a phone camera or another scanner opens this
page in a browser. It says to scan with WeChat and nothing else: it never echoes the code (a page that
repeats its query is a page an attacker can put words on) and tells nothing about the meeting.
"""

from __future__ import annotations

from flask import Blueprint, make_response, render_template

bp = Blueprint("checkin_link", __name__)


@bp.route("/m/checkin")
def landing():
    response = make_response(render_template("meetings/checkin_landing.html"))
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
