"""What a gunicorn worker restart costs: CPU seconds of a freshly forked worker until it has served its first
request, with the app built in each worker (GUNICORN_PRELOAD=0, the old way) and preloaded in the master
(deploy/gunicorn.conf.py's default).

    .venv/bin/python bench/fork_bench.py            # needs the local stack's PostgreSQL and Redis (make stack-up)
    make bench-fork

For each mode: one gunicorn (deploy/gunicorn.conf.py, one worker, 127.0.0.1:8199) on the stack's settings;
then ``--restarts`` times: SIGTERM the worker (as GUNICORN_MAX_REQUESTS recycling or a crash would end it),
wait for the master's new worker, GET /healthz until it answers (the first request of that worker opens its
database and Redis connections), and read the worker's utime+stime from /proc. CPU time, not wall time, so
the figure holds on a machine shared with other work. Prints the median and the range of each mode.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "deploy"))
import local_stack  # noqa: E402

PORT = 8199
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def healthy() -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def wait(predicate, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise SystemExit("fork bench: gunicorn did not get ready in time")
        time.sleep(0.01)


def measure(preload: bool, restarts: int) -> list[float]:
    env = local_stack.stack_env(
        GUNICORN_BIND=f"127.0.0.1:{PORT}",
        GUNICORN_WORKERS="1",
        GUNICORN_PRELOAD="1" if preload else "0",
        GUNICORN_ACCESS_LOG="/dev/null",
        GUNICORN_MAX_REQUESTS="0",
    )
    master = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "deploy/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    costs = []
    try:
        wait(healthy)
        for _ in range(restarts):
            (old,) = children(master.pid)
            os.kill(old, signal.SIGTERM)
            wait(lambda old=old: children(master.pid) not in ([], [old]))
            (new,) = children(master.pid)
            wait(healthy)
            costs.append(cpu_seconds(new))
    finally:
        master.terminate()
        master.wait(30)
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--restarts", type=int, default=5)
    args = parser.parse_args()
    if not local_stack.pg_ready() or not local_stack.redis_ping():
        raise SystemExit("fork bench: the local stack's PostgreSQL and Redis are not running: make stack-up")
    print("worker restart cost: CPU seconds of a new worker until its first request is served")
    for preload in (False, True):
        costs = measure(preload, args.restarts)
        label = "preload_app (master builds the app)" if preload else "no preload (each worker builds it) "
        print(
            f"  {label}  median {statistics.median(costs) * 1000:7.0f} ms CPU"
            f"  (min {min(costs) * 1000:.0f}, max {max(costs) * 1000:.0f}, {len(costs)} restarts)",
            flush=True,
        )


if __name__ == "__main__":
    main()
