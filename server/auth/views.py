"""Admin login and logout."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for

from server.audit.context import Actor, set_actor
from server.audit.services import record
from server.auth.admin_services import authenticate
from server.errors import AppError
from server.extensions import limiter

bp = Blueprint("auth", __name__, url_prefix="/admin", template_folder="templates")


def _safe_next(target: str | None) -> str:
    """Only redirect back inside the admin, never to another site."""
    if target and target.startswith("/admin") and not urlparse(target).netloc:
        return target
    return url_for("admin.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20/minute", methods=["POST"])
def login():
    error = None
    if request.method == "POST":
        try:
            form = request.form
            admin = authenticate(form.get("username", ""), form.get("password", ""), request.remote_addr)
        except AppError as exc:
            error = exc
        else:
            session.clear()
            session["admin_id"] = admin.id
            session["admin_auth_epoch"] = admin.credentials_epoch
            current_app.session_interface.regenerate(session)  # a fresh session id: no fixation
            set_actor(Actor("admin", admin.id, admin.display_name, request.remote_addr))
            record("admin.login", "admin_user", entity_id=admin.id, label=admin.username, org_id=admin.org_id)
            return redirect(_safe_next(request.args.get("next")))
    status = error.status if error else 200
    return render_template("auth/login.html", error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    return redirect(url_for("auth.login"))
