"""Under gunicorn each worker process counts on its own; /metrics adds up every process's counts."""

from __future__ import annotations

import os
import subprocess
import sys

from server.config import PROJECT_ROOT

# The metrics module alone, as a worker process that has counted a few check-ins (the whole app is not needed).
COUNT = """
import importlib.util
spec = importlib.util.spec_from_file_location("metrics", "server/observability/metrics.py")
metrics = importlib.util.module_from_spec(spec)
spec.loader.exec_module(metrics)
for _ in range({n}):
    metrics.count_checkin("meeting_code", "checked_in")
"""
SCRAPE = """
from server.observability import metrics
print(metrics.exposition().decode())
"""


def _start(code: str, directory) -> subprocess.Popen:
    env = os.environ | {"PROMETHEUS_MULTIPROC_DIR": str(directory)}
    return subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _output(process: subprocess.Popen) -> str:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return out


def test_the_counts_of_every_worker_process_are_added_up(tmp_path):
    directory = tmp_path / "metrics"  # created by the first process that counts
    workers = [_start(COUNT.format(n=3), directory), _start(COUNT.format(n=4), directory)]
    for worker in workers:
        _output(worker)
    scraped = _output(_start(SCRAPE, directory))
    line = 'edangwu_checkins_total{method="meeting_code",result="checked_in"} 7.0'
    assert line in scraped.splitlines()
    assert len(list(directory.glob("counter_*.db"))) == 2
