"""gunicorn server hooks for Prometheus's multiprocess mode, called from deploy/gunicorn.conf.py.

Each gunicorn worker process writes its counters into files in ``PROMETHEUS_MULTIPROC_DIR``; ``/metrics``
adds them up. The directory must start empty at each start of the service (values of a previous run
would be counted again), and a worker that exits is marked dead.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def on_starting(server: Any) -> None:
    """In the master, before any worker: empty the directory of the previous run's files."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    path = Path(directory)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker exited (recycled after GUNICORN_MAX_REQUESTS, or killed): drop its live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
