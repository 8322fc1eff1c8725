"""Jobs: counted by outcome, and run under the request id of the request that queued them.

The id travels in the job's own keyword arguments (``_request_id``), added as Huey enqueues a job that
``server.tasks.job`` declared; the job's wrapper takes it out again before calling the job's function.
"""

from __future__ import annotations

from typing import Any

from huey import signals

from server.observability import metrics, request_ids

#: the keyword the request id travels in; ``server.tasks.job`` pops it before the job's function runs
KEYWORD = "_request_id"
_installed = False


def install() -> None:
    """Once per process (every app built in it shares the one Huey)."""
    global _installed
    if _installed:
        return
    _installed = True
    from server.tasks import huey

    @huey.signal(signals.SIGNAL_ENQUEUED)
    def carry_request_id(signal: str, task: Any, *args: Any) -> None:
        request_id = request_ids.current.get()
        if request_id and getattr(task, "carries_request_id", False):
            task.kwargs.setdefault(KEYWORD, request_id)

    @huey.signal(signals.SIGNAL_COMPLETE)
    def count_completed(signal: str, task: Any, *args: Any) -> None:
        metrics.JOBS.labels(job_name(task), "complete").inc()

    @huey.signal(signals.SIGNAL_ERROR)
    def count_failed(signal: str, task: Any, *args: Any) -> None:
        metrics.JOBS.labels(job_name(task), "error").inc()


def job_name(task: Any) -> str:
    """ "members.tasks.run_import": the module tells apart two domains' jobs of the same name."""
    return f"{type(task).__module__.removeprefix('server.')}.{task.name}"
