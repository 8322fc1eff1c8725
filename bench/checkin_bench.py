"""Check-in throughput on the production stack: 2,000 members check in to one meeting as fast as it allows.

gunicorn (``deploy/gunicorn.conf.py``, serving ``bench/bench_wsgi.py``: the production app plus a bare
``GET /bench/bare``), PostgreSQL and Redis on this machine; wrk (``apt-get install wrk``) drives it over
loopback with ``bench/checkin.lua``, which sends each member's check-in exactly once and stops.

    .venv/bin/python bench/checkin_bench.py     # 2,000 members, 16 connections, the deploy config's workers

Steps: create the database ``edangwu_checkin_bench`` if missing, drop and rebuild schema ``public`` with
the real migrations, flush Redis db 5; seed one committee, one branch, the members, one mini-program
session (bearer token) per member and meetings whose check-in is open (a warm-up meeting and one per
round); start gunicorn; warm up (``--warmup`` check-ins to the warm-up meeting); then ``--rounds`` times,
each with a new wrk and so new connections, time every member's check-in to that round's meeting; run
wrk against ``/bench/bare`` for as long as a round, with the same connection count; check the database
(one attendance row per member and meeting, no check-in attempts: nobody was refused or scanned twice);
print each round and the median. Exit status 1 when the check fails, or, with ``--check``, when the
median round misses the target.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import psycopg
from benchdb import ensure_database, libpq_url
from redis import Redis

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/edangwu_checkin_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"
SECRET_KEY = "checkin-bench-secret-key-not-for-production"
TARGET_RATE = 500.0
TARGET_P99_MS = 100.0
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- database ----------------------------------------------------------------------------------------


def reset_schema_and_migrate(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    import logging

    import flask_migrate

    from server import create_app
    from server.db import db

    app = create_app({"LOG_LEVEL": "WARNING"})
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


@dataclass
class Seeded:
    tokens: list[str]
    warmup: tuple[int, str]  # meeting id and its live code
    rounds: list[tuple[int, str]]


def seed(members: int, rounds: int) -> Seeded:
    """One committee, one branch, ``members`` members with a session each, meetings open for check-in."""
    import sqlalchemy as sa

    from server import create_app
    from server.auth.models import MemberSession
    from server.auth.tokens import digest, new_token
    from server.db import db, utcnow
    from server.meetings.codes import meeting_code
    from server.meetings.models import MeetingKind
    from server.meetings.services import create_meeting
    from server.members.models import DuesCategory, Gender, Member, MemberStatus
    from server.members.services import sort_key
    from server.orgs.models import OrgKind
    from server.orgs.services import create_org

    app = create_app({"LOG_LEVEL": "WARNING"})
    with app.app_context():
        committee = create_org("签到压测党委", OrgKind.COMMITTEE, None)
        branch = create_org("签到压测第一党支部", OrgKind.BRANCH, committee)
        now = utcnow()
        surnames, given = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗", "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平"
        rows = []
        for i in range(members):
            name = f"{surnames[i % 20]}{given[(i // 20) % 20]}{given[(i // 400) % 20]}"
            rows.append(
                {
                    "name": name,
                    "name_sort": sort_key(name),
                    "gender": Gender.MALE if i % 3 else Gender.FEMALE,
                    "ethnicity": "汉族",
                    "status": MemberStatus.FULL,
                    "dues_category": DuesCategory.EMPLOYED,
                    "dues_base_fen": 500_000,
                    "org_id": branch.id,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        insert = sa.insert(Member).returning(Member.id, sort_by_parameter_order=True)
        member_ids = list(db.session.scalars(insert, rows))
        tokens = [new_token() for _ in member_ids]
        db.session.execute(
            sa.insert(MemberSession),
            [
                {
                    "token_hash": digest(token),
                    "member_id": member_id,
                    "openid": f"bench-openid-{member_id}",
                    "created_at": now,
                    "expires_at": now + timedelta(days=30),
                }
                for token, member_id in zip(tokens, member_ids, strict=True)
            ],
        )
        # Starts in 10 minutes: check-in opened 20 minutes ago (30 minutes' lead) and nobody is late.
        meetings = [
            create_meeting(
                kind=MeetingKind.THEME_DAY,
                title=title,
                organiser=branch,
                starts_at=now + timedelta(minutes=10),
                ends_at=now + timedelta(hours=2),
            )
            for title in ["签到压测：预热"] + [f"签到压测：第 {n} 轮" for n in range(1, rounds + 1)]
        ]
        db.session.commit()
        codes = [(meeting.id, meeting_code(meeting)) for meeting in meetings]
        seeded = Seeded(tokens, codes[0], codes[1:])
        db.engine.dispose()
    return seeded


def verify(url: str, meeting_id: int, expected: int) -> list[str]:
    """Problems found in the database after ``expected`` members checked in to ``meeting_id``."""
    problems = []
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT status, method, count(*), count(DISTINCT member_id) FROM attendances WHERE meeting_id = %s"
            " GROUP BY status, method",
            (meeting_id,),
        ).fetchall()
        if rows != [("present", "meeting_code", expected, expected)]:
            problems.append(f"meeting {meeting_id}: attendances {rows}, expected {expected} present by meeting_code")
        attempts = conn.execute(
            "SELECT result, count(*) FROM checkin_attempts WHERE meeting_id = %s GROUP BY result", (meeting_id,)
        ).fetchall()
        if attempts:  # only refused or repeated scans leave attempts; each member scanned once
            problems.append(f"meeting {meeting_id}: check-in attempts {attempts}, expected none")
    return problems


def server_side_rate(url: str, meeting_id: int) -> tuple[float, float]:
    """Check-ins per second between the first and the last commit-time stamp, and that span in seconds."""
    with psycopg.connect(url) as conn:
        count, span = conn.execute(
            "SELECT count(*), extract(epoch FROM max(checked_in_at) - min(checked_in_at)) FROM attendances"
            " WHERE meeting_id = %s",
            (meeting_id,),
        ).fetchone()
    span = float(span or 0)
    return ((count - 1) / span if span else math.nan), span


# -- CPU accounting (/proc) -----------------------------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def _procs() -> list[tuple[int, int, str]]:
    """(pid, ppid, comm) of every process."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                text = (entry / "stat").read_text()
            except (FileNotFoundError, ProcessLookupError):
                continue
            comm = text[text.index("(") + 1 : text.rindex(")")]
            out.append((int(entry.name), int(text.rsplit(")", 1)[1].split()[1]), comm))
    return out


def cpu_snapshot(gunicorn_pid: int, wrk_pid: int | None) -> dict[str, float]:
    procs = _procs()
    app_pids = {gunicorn_pid} | {pid for pid, ppid, _ in procs if ppid == gunicorn_pid}
    with open("/proc/stat") as f:
        cpu = [int(v) for v in f.readline().split()[1:]]
    return {
        "app": sum(_proc_cpu(pid) for pid in app_pids),
        "postgres": sum(_proc_cpu(pid) for pid, _, comm in procs if comm.startswith("postgres")),
        "redis": sum(_proc_cpu(pid) for pid, _, comm in procs if comm.startswith("redis")),
        "wrk": _proc_cpu(wrk_pid) if wrk_pid else 0.0,
        "machine_busy": (sum(cpu) - cpu[3] - cpu[4]) / CLK_TCK,  # all but idle and iowait
    }


# -- gunicorn ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(args: argparse.Namespace, port: int, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(args.workers),
        GUNICORN_THREADS=str(args.gunicorn_threads),
        GUNICORN_MAX_REQUESTS=str(args.max_requests),
        PYTHONPATH=os.pathsep.join([str(BENCH_DIR), str(ROOT)]),
    )
    if not args.access_log:
        env["GUNICORN_ACCESS_LOG"] = "/dev/null"
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", "deploy/gunicorn.conf.py"]
    if args.worker_class:
        command += ["--worker-class", args.worker_class]
    command.append(args.app)
    log = open(log_path, "w")  # noqa: SIM115  (the child keeps writing to it)
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_healthy(server: subprocess.Popen, base: str, workers: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            time.sleep(0.2)
    else:
        raise SystemExit("gunicorn did not answer /healthz in time")
    # Every worker has booted (and so builds no app during the run) once the master has them all.
    while time.monotonic() < deadline:
        children = [pid for pid, ppid, _ in _procs() if ppid == server.pid]
        if len(children) >= workers:
            return
        time.sleep(0.2)
    raise SystemExit("gunicorn workers did not all start in time")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=35)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


# -- wrk ------------------------------------------------------------------------------------------------------


@dataclass
class WrkResult:
    requests: int
    seconds: float  # wall time of the run
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    errors: dict[str, int]
    unexpected: int = 0  # check-in answers that were not 200 {"already": false}
    cpu: dict[str, float] | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def _parse_wrk(output: str, seconds: float) -> WrkResult:
    match = re.search(r"^RESULT (.*)$", output, re.M)
    if match is None:
        raise SystemExit(f"wrk printed no RESULT line:\n{output}")
    values = {key: int(float(value)) for key, value in (pair.split("=") for pair in match.group(1).split())}
    errors = {key: values[key] for key in ("connect", "read", "write", "status", "timeout")}
    return WrkResult(
        requests=values["requests"],
        seconds=seconds,
        p50_ms=values["p50_us"] / 1000,
        p90_ms=values["p90_us"] / 1000,
        p99_ms=values["p99_us"] / 1000,
        max_ms=values["max_us"] / 1000,
        mean_ms=values["mean_us"] / 1000,
        errors=errors,
    )


def _wrk_base(args: argparse.Namespace) -> list[str]:
    return ["wrk", "-t", str(args.wrk_threads), "-c", str(args.connections), "--timeout", "10s"]


def run_checkins(
    args: argparse.Namespace,
    base: str,
    server_pid: int,
    tmp: Path,
    tokens_file: Path,
    count: int,
    meeting_id: int,
    code: str,
) -> WrkResult:
    """Every one of the first ``count`` members checks in once; timed until the last answer arrives."""
    markers = Path(tempfile.mkdtemp(dir=tmp, prefix="markers-"))
    path = f"/api/meetings/{meeting_id}/checkin"
    script_args = [str(tokens_file), str(count), str(args.wrk_threads), str(markers), path, code]
    command = [*_wrk_base(args), "-d", "600s", "-s", str(BENCH_DIR / "checkin.lua"), base, "--", *script_args]
    before = cpu_snapshot(server_pid, None)
    started = time.perf_counter()
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while len(list(markers.iterdir())) < args.wrk_threads:
            if wrk.poll() is not None or time.perf_counter() - started > 590:
                raise SystemExit(f"wrk ended or hung before every member checked in:\n{wrk.communicate()}")
            time.sleep(0.002)
        seconds = time.perf_counter() - started
        after = cpu_snapshot(server_pid, wrk.pid)
        wrk.send_signal(signal.SIGINT)  # the threads are done; stop wrk's own sleep
        out, err = wrk.communicate(timeout=30)
    finally:
        if wrk.poll() is None:
            wrk.kill()
            wrk.wait()
    if err.strip():
        print(err.strip(), file=sys.stderr)
    result = _parse_wrk(out, seconds)
    result.unexpected = sum(int(marker.read_text() or 0) for marker in markers.iterdir())
    result.cpu = {key: after[key] - before.get(key, 0.0) for key in after}
    return result


def run_bare(args: argparse.Namespace, base: str, server_pid: int, seconds: int) -> WrkResult:
    command = [*_wrk_base(args), "-d", f"{seconds}s", "-s", str(BENCH_DIR / "bare.lua"), f"{base}/bench/bare"]
    before = cpu_snapshot(server_pid, None)
    started = time.perf_counter()
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Sample the CPU just before wrk ends (it exits right after printing).
    time.sleep(max(seconds - 0.05, 0))
    after = cpu_snapshot(server_pid, wrk.pid)
    out, err = wrk.communicate(timeout=seconds + 30)
    wall = time.perf_counter() - started
    if err.strip():
        print(err.strip(), file=sys.stderr)
    result = _parse_wrk(out, wall)
    result.seconds = seconds  # wrk counts the requests completed within -d
    result.cpu = {key: after[key] - before.get(key, 0.0) for key in after}
    return result


# -- report ----------------------------------------------------------------------------------------------------


def cpu_per_request(result: WrkResult) -> dict[str, float]:
    return {key: 1000 * value / max(result.requests, 1) for key, value in (result.cpu or {}).items()}


def utilisation(result: WrkResult) -> float:
    """How busy the whole machine was during the run, in percent of all its cores."""
    return 100 * (result.cpu or {}).get("machine_busy", 0) / (result.seconds * (os.cpu_count() or 1))


def cpu_line(name: str, result: WrkResult) -> str:
    per_request = cpu_per_request(result)
    return (
        f"{name:<10} CPU ms per request: app {per_request.get('app', 0):.2f}, postgres "
        f"{per_request.get('postgres', 0):.2f}, redis {per_request.get('redis', 0):.2f}, wrk "
        f"{per_request.get('wrk', 0):.2f}; machine {utilisation(result):.0f}% busy"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=2000, help="members who check in (default 2000)")
    parser.add_argument("--warmup", type=int, default=400, help="check-ins to the warm-up meeting first")
    parser.add_argument(
        "--connections",
        type=int,
        default=16,
        help="wrk connections (default 16: enough to keep every worker thread busy; more only queue)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds, each with new connections (5)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, help="GUNICORN_WORKERS (default: deploy/gunicorn.conf.py's)")
    parser.add_argument("--gunicorn-threads", type=int, help="GUNICORN_THREADS (default: deploy/gunicorn.conf.py's)")
    parser.add_argument("--worker-class", help="override the config's gthread, e.g. sync")
    parser.add_argument(
        "--app",
        default="bench_wsgi:app",
        help="WSGI app to serve (default bench_wsgi:app: the product plus a bare JSON endpoint)",
    )
    parser.add_argument(
        "--max-requests",
        type=int,
        default=0,
        help="GUNICORN_MAX_REQUESTS; 0 (default) so no worker restarts in the middle of a run",
    )
    parser.add_argument(
        "--no-access-log", dest="access_log", action="store_false", help="GUNICORN_ACCESS_LOG=/dev/null"
    )
    parser.add_argument("--check", action="store_true", help="exit status 1 when the target is missed")
    args = parser.parse_args()
    deploy_config = runpy.run_path(str(ROOT / "deploy" / "gunicorn.conf.py"))
    args.workers = args.workers or deploy_config["workers"]
    args.gunicorn_threads = args.gunicorn_threads or deploy_config["threads"]
    if min(args.members, args.warmup or args.wrk_threads) < args.wrk_threads:
        parser.error("--members and --warmup must be at least --wrk-threads (or --warmup 0)")

    url = libpq_url(os.environ.get("CHECKIN_BENCH_DATABASE_URL", DEFAULT_URL))
    redis_url = os.environ.get("CHECKIN_BENCH_REDIS_URL", DEFAULT_REDIS)
    tmp = Path(tempfile.mkdtemp(prefix="checkin-bench-"))
    os.environ.update(
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        SECRET_KEY=SECRET_KEY,
        MEETING_CODE_TTL="600",
        INSTANCE_DIR=str(tmp / "instance"),
        TRUSTED_PROXIES="0",
        EDANGWU_STAGING="1",  # PostgreSQL with the emulator's settings: not production, on purpose
    )

    t0 = time.perf_counter()
    ensure_database(url)
    reset_schema_and_migrate(url)
    Redis.from_url(redis_url).flushdb()
    seeded = seed(args.members, args.rounds)
    tokens_file = tmp / "tokens.txt"
    tokens_file.write_text("\n".join(seeded.tokens) + "\n")
    print(f"schema and {args.members} members with sessions ready in {time.perf_counter() - t0:.1f} s")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp / "gunicorn.log"
    server = start_gunicorn(args, port, log_path)
    rounds: list[WrkResult] = []
    try:
        wait_healthy(server, base, args.workers)
        if args.warmup:
            warm = run_checkins(args, base, server.pid, tmp, tokens_file, args.warmup, *seeded.warmup)
            print(f"warm-up: {warm.requests} check-ins at {warm.rate:.0f}/s")
        for meeting in seeded.rounds:
            rounds.append(run_checkins(args, base, server.pid, tmp, tokens_file, args.members, *meeting))
            print(f"round {len(rounds)}: {rounds[-1].rate:.0f} check-ins/s, p99 {rounds[-1].p99_ms:.1f} ms")
        seconds = statistics.median(result.seconds for result in rounds)
        bare = run_bare(args, base, server.pid, max(3, round(seconds)))
    finally:
        stop_gunicorn(server)

    problems = check(url, args, seeded, rounds, bare, log_path)
    report(args, url, seeded, rounds, bare, log_path)
    median = sorted(rounds, key=lambda result: result.rate)[len(rounds) // 2]
    met = median.rate >= TARGET_RATE and median.p99_ms < TARGET_P99_MS
    print(
        f"target ≥ {TARGET_RATE:.0f}/s with p99 < {TARGET_P99_MS:.0f} ms (median round): "
        f"{'met' if met else 'MISSED'}; verification: {'ok' if not problems else 'FAILED'}"
    )
    for problem in problems:
        print(f"  - {problem}")
    return 1 if problems or (args.check and not met) else 0


def check(
    url: str, args: argparse.Namespace, seeded: Seeded, rounds: list[WrkResult], bare: WrkResult, log_path: Path
) -> list[str]:
    """Everything that must hold after the run, as problems to print."""
    problems = []
    for (meeting_id, _), result in zip(seeded.rounds, rounds, strict=True):
        problems += verify(url, meeting_id, args.members)
        if result.requests != args.members or result.unexpected or any(result.errors.values()):
            problems.append(
                f"check-ins to meeting {meeting_id}: {result.requests} answers, {result.unexpected} unexpected, "
                f"{result.errors}"
            )
    if args.warmup:
        problems += verify(url, seeded.warmup[0], args.warmup)
    if any(bare.errors.values()):
        problems.append(f"bare run: {bare.errors}")
    log_text = log_path.read_text(errors="replace")
    if "Traceback" in log_text or "[ERROR]" in log_text:
        problems.append(f"gunicorn log has errors: {log_path}")
    return problems


def report(
    args: argparse.Namespace, url: str, seeded: Seeded, rounds: list[WrkResult], bare: WrkResult, log_path: Path
) -> None:
    config = f"{args.workers} {args.worker_class or 'gthread'} workers x {args.gunicorn_threads} threads"
    print()
    print(
        f"{args.members} check-ins per round, {args.app}, {config}, "
        f"wrk {args.wrk_threads} threads x {args.connections} connections"
    )
    print(f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; gunicorn log {log_path}")
    print()
    print("| round | check-ins/s (wall) | check-ins/s (commit stamps) | p50 / p90 / p99 / max ms | app / PG CPU ms "
          "| busy |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- |")
    for number, ((meeting_id, _), result) in enumerate(zip(seeded.rounds, rounds, strict=True), start=1):
        db_rate, _ = server_side_rate(url, meeting_id)
        cpu = cpu_per_request(result)
        print(
            f"| {number} | {result.rate:.0f} | {db_rate:.0f} | {result.p50_ms:.1f} / {result.p90_ms:.1f} / "
            f"{result.p99_ms:.1f} / {result.max_ms:.1f} | {cpu['app']:.2f} / {cpu['postgres']:.2f} | "
            f"{utilisation(result):.0f}% |"
        )
    rate = statistics.median(result.rate for result in rounds)
    p50 = statistics.median(result.p50_ms for result in rounds)
    p99 = statistics.median(result.p99_ms for result in rounds)
    print(f"| **median** | **{rate:.0f}** | | {p50:.1f} / – / **{p99:.1f}** / – | | |")
    print()
    print(f"bare endpoint: {bare.rate:.0f} requests/s, p50 {bare.p50_ms:.1f} ms, p99 {bare.p99_ms:.1f} ms")
    print(f"ratio median check-ins / bare: {rate / bare.rate:.2f}")
    print(cpu_line("bare", bare))


if __name__ == "__main__":
    sys.exit(main())
