"""A production-shaped eDangwu on this machine, everything on loopback, under instance/stack/:

    nginx (Debian's, deploy/nginx.conf)  https://127.0.0.1:8443   http://127.0.0.1:8480
      -> gunicorn web1 127.0.0.1:8101, web2 127.0.0.1:8102  (two machines' worth, deploy/gunicorn.conf.py)
    job workers worker1, worker2 (flask worker --no-periodic), one scheduler (flask worker --periodic)
    PostgreSQL 15, its own cluster on 127.0.0.1:5440; redis-server on 127.0.0.1:6390
    the WeChat emulator on 127.0.0.1:8990

    .venv/bin/python deploy/local_stack.py up       # idempotent: starts what is not running (make stack-up)
    .venv/bin/python deploy/local_stack.py down     # stops everything it started (make stack-down)
    .venv/bin/python deploy/local_stack.py status
    .venv/bin/python deploy/local_stack.py smoke    # a member checks in, a secretary watches (make stack-smoke)
    .venv/bin/python deploy/local_stack.py upgrade  # migrate (expand only), restart web1 then web2 (rolling)

Its own PostgreSQL cluster and Redis, never the machine's 5432/6379 that tests use, so the drills
(deploy/drills.py) may restart them. We run as root: PostgreSQL runs as the postgres user (runuser).
Pid files and logs: instance/stack/run/ and instance/stack/logs/. Settings: instance/stack/env, in
env.example's format, so `EDANGWU_ENV=instance/stack/env deploy/manage.sh <command>` works too.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STACK = Path(os.environ.get("STACK_DIR", ROOT / "instance" / "stack"))
RUN, LOGS, PG_DIR = STACK / "run", STACK / "logs", STACK / "pg"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
VENV_BIN = ROOT / ".venv" / "bin"

PG_PORT, REDIS_PORT, EMULATOR_PORT = 5440, 6390, 8990
WEB_PORTS = {"web1": 8101, "web2": 8102}
HTTP_PORT, HTTPS_PORT = 8480, 8443
BASE_URL = f"https://127.0.0.1:{HTTPS_PORT}"
CA_FILE = STACK / "tls" / "edangwu.crt"  # self-signed for 127.0.0.1: clients verify against it

ENV = {
    "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{PG_PORT}/edangwu",
    "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
    "SECRET_KEY": "local-stack-secret-key-not-for-production-0123456789",
    "MINUTES_ANCHOR_KEY": "local-stack-anchor-key-not-for-production-0123456789",
    # The emulator stands in for WeChat and WeChat Pay: a staging deployment on purpose.
    "EDANGWU_STAGING": "1",
    "WECHAT_API_BASE": f"http://127.0.0.1:{EMULATOR_PORT}",
    "WECHATPAY_API_BASE": f"http://127.0.0.1:{EMULATOR_PORT}",
    "WECHATPAY_NOTIFY_URL": f"https://127.0.0.1:{HTTPS_PORT}/api/wechatpay/notify",
    "TRUSTED_PROXIES": "1",
    "INSTANCE_DIR": str(STACK / "instance"),
    "MINUTES_ANCHOR_DIR": str(STACK / "anchors"),
    # Each web instance adds up its workers' counters at /metrics (a subdirectory per instance).
    "PROMETHEUS_MULTIPROC_DIR": str(STACK / "metrics"),
    "GUNICORN_WORKERS": "2",
    "GUNICORN_THREADS": "4",
    "GUNICORN_GRACEFUL_TIMEOUT": "20",
    "PUSH_QUIET_HOURS": "",
}


def stack_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "FLASK_APP")}
    return env | ENV | extra


def log(message: str) -> None:
    print(f"stack: {message}", flush=True)


# -- processes: pid files under run/ ---------------------------------------------------------------------


def pid_of(name: str) -> int | None:
    path = RUN / f"{name}.pid"
    try:
        pid = int(path.read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None
    # A recycled pid of some other program is not ours.
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return None
    if b"defunct" in cmdline or not cmdline:
        return None
    return pid


def spawn(name: str, argv: list[str], env: dict[str, str] | None = None) -> int:
    """Start ``argv`` in its own session, output appended to logs/<name>.log, pid in run/<name>.pid."""
    LOGS.mkdir(parents=True, exist_ok=True)
    RUN.mkdir(parents=True, exist_ok=True)
    with open(LOGS / f"{name}.log", "ab") as out:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env or stack_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    (RUN / f"{name}.pid").write_text(str(process.pid))
    return process.pid


def stop(name: str, sig: signal.Signals = signal.SIGTERM, timeout: float = 30) -> bool:
    """Signal the process, wait for it to exit (SIGKILL after ``timeout``); False if it was not running."""
    pid = pid_of(name)
    if pid is None:
        (RUN / f"{name}.pid").unlink(missing_ok=True)
        return False
    with contextlib.suppress(ProcessLookupError):  # it may have just exited
        os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)
    (RUN / f"{name}.pid").unlink(missing_ok=True)
    return True


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def wait_http(url: str, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"stack: {what or url} not ready after {timeout:.0f} s (see {LOGS}/)")
        time.sleep(0.1)


def wait_port(port: int, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"stack: {what} not listening on {port} after {timeout:.0f} s (see {LOGS}/)") from None
            time.sleep(0.05)


# -- PostgreSQL: a cluster of its own, as the postgres user ---------------------------------------------------


def _as_postgres(*argv: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *argv], check=check, cwd="/", capture_output=True, text=True
    )


def pg_ready() -> bool:
    return (
        _as_postgres(str(PG_BIN / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(PG_PORT), check=False).returncode
        == 0
    )


def pg_start() -> None:
    data = PG_DIR / "data"
    if not (data / "PG_VERSION").exists():
        PG_DIR.mkdir(parents=True, exist_ok=True)
        shutil.chown(PG_DIR, "postgres", "postgres")
        PG_DIR.chmod(0o700)
        _as_postgres(
            str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"
        )
    if pg_ready():
        log(f"PostgreSQL already running on 127.0.0.1:{PG_PORT}")
        return
    options = f"-p {PG_PORT} -k {PG_DIR} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"
    _as_postgres(
        str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(PG_DIR / "postgres.log"), "-o", options, "-w", "start"
    )
    log(f"PostgreSQL started on 127.0.0.1:{PG_PORT} (cluster {data}, log {PG_DIR}/postgres.log)")


def pg_stop() -> None:
    if (PG_DIR / "data" / "postmaster.pid").exists():
        _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(PG_DIR / "data"), "-m", "fast", "-w", "stop", check=False)
        log("PostgreSQL stopped")


def pg_restart() -> None:
    # -l again: without it the new server would write to our pipe, and we would wait for it to close.
    _as_postgres(
        str(PG_BIN / "pg_ctl"),
        "-D",
        str(PG_DIR / "data"),
        "-l",
        str(PG_DIR / "postgres.log"),
        "-m",
        "fast",
        "-w",
        "restart",
    )


def ensure_database() -> None:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{PG_PORT}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'edangwu'").fetchone():
            conn.execute("CREATE DATABASE edangwu ENCODING 'UTF8' TEMPLATE template0")
            log("database edangwu created")


# -- Redis --------------------------------------------------------------------------------------------------------


def redis_ping() -> bool:
    result = subprocess.run(["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True, text=True)
    return result.stdout.strip() == "PONG"


def redis_start() -> None:
    if redis_ping():
        log(f"Redis already running on 127.0.0.1:{REDIS_PORT}")
        return
    (STACK / "redis").mkdir(parents=True, exist_ok=True)
    # Append-only, noeviction: queued jobs survive a restart and are never evicted (as deploy/README.md says).
    spawn(
        "redis",
        [
            "redis-server",
            "--port",
            str(REDIS_PORT),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(STACK / "redis"),
            "--appendonly",
            "yes",
            "--save",
            "",
            "--maxmemory-policy",
            "noeviction",
        ],
    )
    deadline = time.monotonic() + 10
    while not redis_ping():
        if time.monotonic() > deadline:
            raise SystemExit(f"stack: redis-server did not start (see {LOGS}/redis.log)")
        time.sleep(0.05)
    log(f"Redis started on 127.0.0.1:{REDIS_PORT} (log {LOGS}/redis.log)")


def redis_stop() -> None:
    if stop("redis"):
        log("Redis stopped")


# -- nginx --------------------------------------------------------------------------------------------------------


def tls_certificate() -> None:
    if CA_FILE.exists():
        return
    CA_FILE.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "3650",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(CA_FILE.with_suffix(".key")),
            "-out",
            str(CA_FILE),
        ],
        check=True,
        capture_output=True,
    )


def render_site(down: frozenset[str] = frozenset()) -> str:
    """deploy/nginx.conf with this machine's addresses, ports and paths. Every rewrite must find its line,
    so the file and the stack cannot drift apart unnoticed. ``down``: instances nginx must not send to."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    upstreams = "\n".join(
        f"    server 127.0.0.1:{port} max_fails=3 fail_timeout=10s{' down' if name in down else ''};"
        for name, port in WEB_PORTS.items()
    )
    rewrites = [
        (r"^    server 127\.0\.0\.1:8000 max_fails=3 fail_timeout=10s;$", upstreams),
        (r"^\s*listen \[::\]:\d+.*\n", ""),
        (r"^    listen 80;$", f"    listen 127.0.0.1:{HTTP_PORT};"),
        (r"^    listen 443 ssl http2;$", f"    listen 127.0.0.1:{HTTPS_PORT} ssl http2;"),
        (r"return 301 https://\$host\$request_uri;", f"return 301 https://$host:{HTTPS_PORT}$request_uri;"),
        (r"/etc/nginx/tls/", f"{CA_FILE.parent}/"),
        (r"/srv/edangwu/", f"{ROOT}/"),
    ]
    for pattern, replacement in rewrites:
        text, count = re.subn(pattern, lambda _m, r=replacement: r, text, flags=re.MULTILINE)
        if not count:
            raise SystemExit(f"stack: deploy/nginx.conf no longer has what {pattern!r} rewrites")
    return text


def nginx_conf(down: frozenset[str] = frozenset()) -> Path:
    """The main config (pid, logs, temp paths under the run dir) including the rendered site; checked by nginx -t."""
    home = STACK / "nginx"
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (home / "tmp" / sub).mkdir(parents=True, exist_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    (home / "edangwu.conf").write_text(render_site(down))
    main = home / "nginx.conf"
    temp = "\n".join(f"    {sub}_temp_path {home}/tmp/{sub};" for sub in ("fastcgi", "uwsgi", "scgi", "proxy"))
    main.write_text(
        f"""# Written by deploy/local_stack.py: Debian's nginx, all state under {STACK}.
worker_processes 1;
pid {RUN}/nginx.pid;
error_log {LOGS}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    access_log {LOGS}/nginx-access.log;
    client_body_temp_path {home}/tmp/body;
{temp}
    include {home}/edangwu.conf;
}}
"""
    )
    result = subprocess.run(["nginx", "-t", "-q", "-c", str(main), "-p", str(home)], capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"stack: nginx -t refused the config:\n{result.stderr}")
    return main


def nginx_start() -> None:
    if not shutil.which("nginx"):
        raise SystemExit("stack: nginx is missing: scripts/install_debian_packages.sh nginx (make stack-up does it)")
    tls_certificate()
    main = nginx_conf()
    if pid_of("nginx"):
        subprocess.run(
            ["nginx", "-c", str(main), "-p", str(STACK / "nginx"), "-s", "reload"], check=True, capture_output=True
        )
        log(f"nginx already running: configuration reloaded; {BASE_URL}/")
        return
    subprocess.run(["nginx", "-c", str(main), "-p", str(STACK / "nginx")], check=True)
    log(f"nginx started on {BASE_URL}/ and http://127.0.0.1:{HTTP_PORT}/ (logs {LOGS}/nginx-*.log)")


def nginx_reload(down: frozenset[str] = frozenset()) -> None:
    main = nginx_conf(down)
    subprocess.run(
        ["nginx", "-c", str(main), "-p", str(STACK / "nginx"), "-s", "reload"], check=True, capture_output=True
    )


def nginx_stop() -> None:
    if pid_of("nginx"):
        stop("nginx", signal.SIGQUIT)  # graceful: finish the requests in flight
        log("nginx stopped")


# -- the app: web instances, job workers, scheduler, emulator -----------------------------------------------------


@dataclass(frozen=True)
class Piece:
    name: str
    argv: list[str]
    where: str
    stop_signal: signal.Signals = signal.SIGTERM


def pieces() -> list[Piece]:
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    out = [
        Piece(
            "emulator",
            [str(VENV_BIN / "python"), "-m", "server.wechat.emulator", "--port", str(EMULATOR_PORT)],
            f"http://127.0.0.1:{EMULATOR_PORT}",
        ),
    ]
    for name, port in WEB_PORTS.items():
        out.append(
            Piece(
                name,
                [str(VENV_BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
                f"http://127.0.0.1:{port}",
            )
        )
    # Huey finishes running jobs on SIGINT (deploy/systemd/edangwu-worker.service).
    for name in ("worker1", "worker2"):
        out.append(Piece(name, [*flask, "worker", "--no-periodic", "--workers", "2"], "job queue", signal.SIGINT))
    out.append(Piece("scheduler", [*flask, "worker", "--periodic", "--workers", "1"], "periodic jobs", signal.SIGINT))
    return out


def piece(name: str) -> Piece:
    return next(p for p in pieces() if p.name == name)


def start_piece(p: Piece, wait: bool = True) -> None:
    if pid := pid_of(p.name):
        log(f"{p.name} already running (pid {pid}), {p.where}")
        return
    env = stack_env(GUNICORN_BIND=f"127.0.0.1:{WEB_PORTS[p.name]}") if p.name in WEB_PORTS else stack_env()
    pid = spawn(p.name, p.argv, env)
    if wait and p.name in WEB_PORTS:
        wait_http(f"{p.where}/healthz", what=p.name)
    elif wait and p.name == "emulator":
        wait_port(EMULATOR_PORT, "the emulator")
    log(f"{p.name} started (pid {pid}), {p.where}, log {LOGS}/{p.name}.log")


def stop_piece(name: str) -> None:
    p = piece(name)
    if stop(name, p.stop_signal, timeout=40):
        log(f"{name} stopped")


def migrate_and_seed() -> None:
    env = stack_env()
    flask = [str(VENV_BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    result = subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    first = result.stdout.strip().splitlines()[0] if result.stdout.strip() else ""
    log(f"database migrated; demo data: {first}")


def write_env_file() -> None:
    """The stack's settings in env.example's format, for deploy/manage.sh (EDANGWU_ENV=...)."""
    STACK.mkdir(parents=True, exist_ok=True)
    lines = ["# Written by deploy/local_stack.py: the local stack's settings (not for production)."]
    lines += [f"{key}={value}" for key, value in ENV.items()]
    (STACK / "env").write_text("\n".join(lines) + "\n")


def up() -> None:
    write_env_file()
    pg_start()
    ensure_database()
    redis_start()
    migrate_and_seed()
    for p in pieces():
        start_piece(p)
    nginx_start()
    status()
    log("demo logins (password Demo@2026): admin, dangwei, shuji1 (a branch secretary); deploy/README.md")


def down() -> None:
    nginx_stop()
    # Signal every piece first, then wait for each: they finish their requests and jobs side by side.
    running = [(p, pid) for p in pieces() if (pid := pid_of(p.name))]
    for p, pid in running:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, p.stop_signal)
    for p, _ in reversed(running):
        stop(p.name, p.stop_signal, timeout=40)
        log(f"{p.name} stopped")
    redis_stop()
    pg_stop()


def status() -> None:
    rows = [("nginx", pid_of("nginx"), f"{BASE_URL}/ (http://127.0.0.1:{HTTP_PORT}/)")]
    rows += [(p.name, pid_of(p.name), p.where) for p in pieces()]
    rows += [("postgresql", "up" if pg_ready() else None, f"127.0.0.1:{PG_PORT} (cluster {PG_DIR}/data)")]
    rows += [("redis", pid_of("redis"), f"127.0.0.1:{REDIS_PORT}")]
    for name, pid, where in rows:
        print(f"  {name:11s} {('pid ' + str(pid)) if isinstance(pid, int) else (pid or 'DOWN'):11s} {where}")
    print(f"  logs: {LOGS}/   settings: {STACK}/env")


# -- rolling restart (used by `upgrade` and by deploy/drills.py) ---------------------------------------------------


def restart_web_rolling(pause: float = 1.0) -> list[tuple[str, float]]:
    """Each web instance in turn: taken out of nginx (reload; requests in flight finish), stopped gracefully,
    started on the new code, waited for until /healthz answers, put back. Returns (instance, seconds out)."""
    timings = []
    for name in WEB_PORTS:
        started = time.monotonic()
        nginx_reload(down=frozenset({name}))
        time.sleep(pause)  # nginx's old workers finish the requests they had sent to it
        stop_piece(name)
        start_piece(piece(name))
        nginx_reload()
        timings.append((name, time.monotonic() - started))
    return timings


def restart_workers() -> None:
    """Job workers and the scheduler: SIGINT lets running jobs finish; queued ones wait in Redis meanwhile."""
    for name in ("worker1", "worker2", "scheduler"):
        stop_piece(name)
        start_piece(piece(name))


def upgrade() -> None:
    import upgrade as upgrading  # deploy/upgrade.py

    upgrading.migrate(stack_env())
    timings = restart_web_rolling()
    restart_workers()
    for name, seconds in timings:
        log(f"{name} restarted on the new code, out of rotation {seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["up", "down", "status", "smoke", "upgrade"])
    args = parser.parse_args()
    if args.command == "smoke":
        import smoke  # deploy/smoke.py

        sys.exit(smoke.main())
    {"up": up, "down": down, "status": status, "upgrade": upgrade}[args.command]()


if __name__ == "__main__":
    main()
