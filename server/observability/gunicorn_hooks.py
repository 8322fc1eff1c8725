"""gunicorn server hooks for Prometheus's multiprocess mode, called from deploy/gunicorn.conf.py.

Each gunicorn worker process writes its counters into files in ``PROMETHEUS_MULTIPROC_DIR``; ``/metrics``
adds them up. The directory must start empty at each start of the service (values of a previous run
would be counted again), and a worker that exits is marked dead. gunicorn.conf.py runs this file by its
path, not as part of the ``server`` package: application code imported into the master would be
inherited by every worker forked later, even after a reload with new code on disk.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any


def on_starting(server: Any) -> None:
    """In the master, before any worker: this instance's own directory, emptied of the previous run's files.

    Its own: a subdirectory named by the addresses it listens on, which its workers inherit through the
    environment. Two instances on one machine that share one env file then never add up, or wipe, each
    other's files, and an instance restarted finds its own. (prometheus_client reads the variable when a
    worker first counts, after the fork, so setting it here holds even with the app preloaded.)
    """
    base = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not base:
        return
    name = "_".join(re.sub(r"[^0-9A-Za-z.]+", "-", address) for address in server.cfg.bind)
    path = Path(base) / f"gunicorn-{name}"
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """A worker exited (recycled after GUNICORN_MAX_REQUESTS, or killed): drop its live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
