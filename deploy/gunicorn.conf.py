"""Gunicorn settings for the eDangwu web: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Every value can be changed from the environment (systemd reads /etc/edangwu/env; see env.example).
Nothing here touches the database: the operator runs ``deploy/manage.sh upgrade`` once, before
restarting the web and the workers. The app is loaded once in the master (``preload_app``) and every
worker is forked from it, with no database or Redis connection of the master's (server/forking.py).
"""

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _cores() -> int:
    # sched_getaffinity honours CPU pinning (taskset, docker --cpuset-cpus); cpu_count does not.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# Where nginx reaches us. Several addresses may be given, comma-separated. On a machine that nginx
# reaches over the network, bind the private address (e.g. 10.0.0.11:8000), never a public one.
bind = [address.strip() for address in os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")]

# Processes x threads per process = requests served at once on this machine. Each process keeps its
# own database pool, so (machines x workers x threads) must fit PostgreSQL's max_connections.
workers = _int("GUNICORN_WORKERS", 2 * _cores() + 1)
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 4)

# A request running longer than this gets its worker killed and restarted (nginx waits 75 s).
timeout = _int("GUNICORN_TIMEOUT", 60)
# On stop or reload, workers get this long to finish the requests they are serving.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Idle keep-alive connections from nginx are kept this long; nginx's upstream keepalive_timeout
# is set shorter (4 s) so nginx never reuses a connection gunicorn is closing.
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle each worker after about this many requests; the jitter keeps them from all restarting
# at once. 0 turns recycling off.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)

# Import the application's packages and build the app once, in the master: a worker (re)started after
# GUNICORN_MAX_REQUESTS or a crash is a fork that serves at once, instead of re-importing everything
# (seconds of CPU per worker, against 30-50 ms forked: bench/fork_bench.py). The price: SIGHUP (systemctl
# reload) no longer loads new code, since workers fork from the master's copy; new code needs a restart
# of the instance, done one machine at a time behind nginx (deploy/README.md, "Upgrading without
# downtime"). GUNICORN_PRELOAD=0 goes back to building the app in each worker.
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"


def _preloaded_flask_app(server):
    """The app the master loaded: None without preload_app, or when serving something else than a Flask app."""
    from flask import Flask

    app = server.app.callable
    return app if isinstance(app, Flask) else None


def when_ready(server):
    """Master, app loaded: hold no connection a worker could inherit (server/forking.py)."""
    if app := _preloaded_flask_app(server):
        from server.forking import drop_connections

        drop_connections(app)


def post_fork(server, worker):
    """New worker: start with empty database pools, never the master's connections."""
    if app := _preloaded_flask_app(server):
        from server.forking import forget_inherited

        forget_inherited(app)


# Only these peers may tell us the original scheme (X-Forwarded-Proto: https). Add the address of
# every nginx that is not on this machine.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs go to stdout/stderr, i.e. the systemd journal (journalctl -u edangwu-web) or `docker logs`.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# client (from nginx's X-Forwarded-For), peer, user, time, request line, status, bytes, referrer,
# user agent, duration in ms.
access_log_format = '%({x-forwarded-for}i)s %(h)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'

proc_name = "edangwu-web"

# The worker heartbeat file on tmpfs, so a slow disk never makes a worker look hung.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Gunicorn's control socket (for `gunicornc`) only where a path is given, e.g. /run/edangwu/gunicorn.ctl;
# systemd and Docker manage the process with signals instead.
if control_socket_path := os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = control_socket_path
else:
    control_socket_disable = True

# Prometheus multiprocess mode (PROMETHEUS_MULTIPROC_DIR, deploy/README.md "Observability"); run by path, so
# the master imports no application code through it.
_hooks = __import__("runpy").run_path(f"{os.path.dirname(__file__)}/../server/observability/gunicorn_hooks.py")
on_starting, child_exit = _hooks["on_starting"], _hooks["child_exit"]
