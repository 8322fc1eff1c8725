"""eDangwu: the application factory."""

from __future__ import annotations

from typing import Any

from cachelib import FileSystemCache
from flask import Flask, g
from sqlalchemy.exc import IntegrityError
from werkzeug.middleware.proxy_fix import ProxyFix

from server import mp_config, observability, points, uploads, wechat
from server.browser_policy import BrowserPolicy
from server.config import PROJECT_ROOT, Config, check_production, instance_dir
from server.db import db
from server.extensions import csrf, limiter, migrate, server_session
from server.http import EDangwuApi, error_response, install_url_converters, register_error_handlers


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(instance_dir()))
    app.config.from_object(Config())
    app.config.update(overrides or {})
    check_production(app.config)
    observability.init_app(app)  # first: its request hooks run before every other and time the rest

    _load_mp_config(app)
    # Security headers and HTTPS-only cookies; wrapped first so that ProxyFix, outside it, has set the real scheme.
    app.wsgi_app = BrowserPolicy(app.wsgi_app)  # type: ignore[method-assign]
    if app.config["TRUSTED_PROXIES"]:
        count = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count, x_host=count)  # type: ignore[method-assign]
    _init_extensions(app)
    install_url_converters(app)
    _register_blueprints(app)
    _skip_idle_rate_limit_pass(app)
    register_error_handlers(app)
    _install_request_transaction(app)
    _register_template_helpers(app)

    from server import cli
    from server.backups import cli as backups_cli
    from server.meetings import cli as meetings_cli
    from server.points import cli as points_cli

    cli.register(app)
    backups_cli.register(app)
    meetings_cli.register(app)
    points_cli.register(app)
    return app


def _load_mp_config(app: Flask) -> None:
    """Refuse to start with a broken or mismatched mini-program configuration."""
    path, appid = app.config["MP_CONFIG"], app.config["WECHAT_APPID"]
    config = mp_config.load(path)
    if config["app_id"] != appid:
        raise mp_config.MpConfigError(f"{path}: app_id {config['app_id']} differs from WECHAT_APPID {appid}")
    app.extensions["mp_config"] = config


def _session_backend(app: Flask) -> None:
    if app.config["REDIS_URL"]:
        import redis

        app.config.setdefault("SESSION_TYPE", "redis")
        timeout = app.config["REDIS_TIMEOUT"]
        client = redis.Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=timeout, socket_timeout=timeout)
        # While Redis is down every admin page answers 503 "服务暂时不可用" (server.http.service_unavailable).
        app.config.setdefault("SESSION_REDIS", client)
    else:
        app.config.setdefault("SESSION_TYPE", "cachelib")
        app.config.setdefault("SESSION_CACHELIB", FileSystemCache(str(instance_dir() / "sessions"), threshold=5000))


def _no_session_for_api(app: Flask) -> None:
    """``/api/`` is the mini-program's: a bearer token says who is asking, never the admin's cookie session
    (``_load_admin`` skips ``/api/``, and CSRF, which keeps its token in the session, is exempt there). Flask
    still opened a server-side session for every API request (a new random id, or a Redis read when a
    cookie came along) and then decided whether to save it: a read-only null session instead, never saved.
    Writing to it raises, so an API view that started to need the session would fail its tests at once."""
    interface = app.session_interface
    open_server_session = interface.open_session

    def open_session(app: Flask, request):
        if request.path.startswith("/api/"):
            return interface.make_null_session(app)
        return open_server_session(app, request)

    interface.open_session = open_session  # type: ignore[method-assign]


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True, compare_type=True)
    _session_backend(app)
    server_session.init_app(app)
    _no_session_for_api(app)
    uploads.init_app(app)  # before CSRF, whose check reads the whole form
    csrf.init_app(app)
    limiter.init_app(app)
    wechat.init_app(app)
    points.init_app(app)


def _register_blueprints(app: Flask) -> None:
    api = EDangwuApi(app)
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    from server.admin import tasks as _admin_tasks  # noqa: F401  (registers the dashboard's periodic count)
    from server.admin.assets import bp as assets_bp
    from server.admin.views import bp as admin_bp
    from server.admin.views import root as root_bp
    from server.auth import api as auth_api
    from server.auth.views import bp as auth_bp
    from server.birthdays import api as birthdays_api
    from server.birthdays import tasks as _birthday_tasks  # noqa: F401  (registers the job and the inbox source)
    from server.birthdays.views import bp as birthdays_bp
    from server.dues import api as dues_api
    from server.dues import bases as _dues_bases  # noqa: F401  (register edits enter the base history)
    from server.dues import payment_views as _payment_views  # noqa: F401  (routes on the dues blueprint)
    from server.dues import tasks as _dues_tasks  # noqa: F401  (registers the jobs)
    from server.dues.notify import bp as wechatpay_notify_bp
    from server.dues.views import bp as dues_bp
    from server.inbox import api as inbox_api
    from server.inbox import tasks as _inbox_tasks  # noqa: F401  (registers the push jobs and their sweep)
    from server.mailbox import api as mailbox_api
    from server.mailbox import board_views as _board_views  # noqa: F401  (routes on the mailbox blueprint)
    from server.mailbox import stats_views as _mailbox_stats  # noqa: F401  (routes on the mailbox blueprint)
    from server.mailbox import tasks as _mailbox_tasks  # noqa: F401  (registers the job and the inbox source)
    from server.mailbox.views import bp as mailbox_bp
    from server.meetings import api as meetings_api
    from server.meetings import compliance_views as _compliance_views  # noqa: F401  (meetings blueprint routes)
    from server.meetings import minutes_views as _minutes_views  # noqa: F401  (routes on the meetings blueprint)
    from server.meetings import tasks as _meeting_tasks  # noqa: F401  (registers the jobs)
    from server.meetings.landing import bp as checkin_link_bp
    from server.meetings.views import bp as meetings_bp
    from server.members import api as members_api
    from server.members import tasks as _member_tasks  # noqa: F401  (registers the jobs)
    from server.members.views import bp as members_bp
    from server.newspaper import api as newspaper_api
    from server.newspaper import article_views as _news_articles  # noqa: F401  (routes on the newspaper blueprint)
    from server.newspaper import review_views as _news_review  # noqa: F401  (routes on the newspaper blueprint)
    from server.newspaper import stats_views as _news_stats  # noqa: F401  (routes on the newspaper blueprint)
    from server.newspaper import tasks as _news_tasks  # noqa: F401  (registers the jobs and the inbox source)
    from server.newspaper.media import bp as news_media_bp
    from server.newspaper.views import bp as newspaper_bp
    from server.notices import api as notices_api
    from server.notices import receipt_views as _notice_receipts  # noqa: F401  (routes on the notices blueprint)
    from server.notices import review_views as _notice_review  # noqa: F401  (routes on the notices blueprint)
    from server.notices import settings_views as _notice_settings  # noqa: F401  (routes on the notices blueprint)
    from server.notices import tasks as _notice_tasks  # noqa: F401  (registers the jobs and the inbox source)
    from server.notices.views import bp as notices_bp
    from server.orgs.views import bp as orgs_bp
    from server.points import api as points_api
    from server.points import tasks as _points_tasks  # noqa: F401  (registers the jobs)
    from server.points.views import bp as points_bp
    from server.quizzes import api as quizzes_api
    from server.quizzes import bank_views as _bank_views  # noqa: F401  (routes on the quizzes blueprint)
    from server.quizzes import tasks as _quiz_tasks  # noqa: F401  (registers the jobs)
    from server.quizzes.views import bp as quizzes_bp
    from server.subscriptions import api as subscriptions_api

    apis = (auth_api.blp, members_api.blp, meetings_api.blp, subscriptions_api.blp, dues_api.blp)
    apis = (
        *apis,
        inbox_api.blp,
        newspaper_api.blp,
        quizzes_api.blp,
        points_api.blp,
        birthdays_api.blp,
        mailbox_api.blp,
        notices_api.blp,
    )
    for blueprint in apis:
        api.register_blueprint(blueprint)
        csrf.exempt(blueprint)  # bearer tokens, not cookies: CSRF cannot ride on them
    pages = (root_bp, assets_bp, admin_bp, auth_bp, members_bp, orgs_bp, meetings_bp, checkin_link_bp, dues_bp)
    pages = (*pages, news_media_bp, newspaper_bp, quizzes_bp, points_bp, birthdays_bp, mailbox_bp, notices_bp)
    for blueprint in pages:
        app.register_blueprint(blueprint)
    app.register_blueprint(wechatpay_notify_bp)
    csrf.exempt(wechatpay_notify_bp)  # WeChat signs its notifications; it has no CSRF token


def _skip_idle_rate_limit_pass(app: Flask) -> None:
    """flask-limiter checks every request before its view for default, application-wide, blueprint and meta
    limits. We set none: each limit decorates its own view (logins, bindings), and its decorator checks it
    when that view runs. So the pass found nothing to check, on every request, at a cost (about a tenth of
    a millisecond here) that a 20,000-member exam pays 20,000 times. It comes back by itself the moment
    such a limit is configured. Its after-request hook (the ``X-RateLimit-*`` headers of the decorated
    limits) stays."""
    manager = limiter.limit_manager
    configured = manager.default_limits or manager.application_limits or limiter._meta_limits
    if configured or any(manager._blueprint_limits.values()):
        return
    app.before_request_funcs[None].remove(limiter._check_request_limit)


def _install_request_transaction(app: Flask) -> None:
    """One transaction per request: commit on success, roll back on any error response."""

    @app.after_request
    def commit_or_rollback(response):
        session = db.session()
        if response.status_code >= 400 and not session.info.pop("keep_on_error", False):
            session.rollback()
            return response
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return app.make_response(error_response("conflict", "数据与已有记录冲突或已被他人修改，请刷新后重试", 409))
        return response


def _register_template_helpers(app: Flask) -> None:
    from server.templating import register

    register(app)
    app.before_request(_load_admin)


def _load_admin() -> None:
    from flask import request

    from server.auth.current import load_admin

    g.admin = None
    if not request.path.startswith("/api/"):
        load_admin()
