"""What one newspaper push costs the worker and the emulator, without Huey, the other worker or the machine's noise.

    .venv/bin/python bench/news_push_profile.py [--pushes 3000] [--top 30]

Needs the database ``news_publish_bench.py`` left behind (``NEWS_BENCH_DATABASE_URL``; run it once, ``--members
5000`` is enough). Starts the WeChat emulator as its own process, gives every member with consent one more tap
there and in our count, adds a new push round of the bench's first issue for ``--pushes`` of them, and sends it
in this process through ``server/inbox/push.py``'s ``run_batch`` until nothing is due. Reported per push: this
process's CPU time (all its threads) and the emulator's (from /proc); then, with ``--profile``, cProfile's most
expensive functions, the engine's threads replaced by calls one after another so that cProfile sees them.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import signal
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))
sys.path.insert(0, str(BENCH_DIR))

from news_publish_bench import (  # noqa: E402
    APP_SECRET,
    APPID,
    DEFAULT_REDIS,
    DEFAULT_URL,
    SECRET_KEY,
    make_app,
    start_emulator,
    stop,
    tree_cpu_ticks,
    user_of,
)


class _InThisThread:
    """A stand-in for the engine's thread pool that runs each call in the calling thread (for cProfile)."""

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def map(self, fn, items):
        return [fn(item) for item in items]

    def submit(self, fn, *args):
        from concurrent.futures import Future

        future: Future = Future()
        future.set_result(fn(*args))
        return future


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pushes", type=int, default=3000)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--profile", action="store_true", help="cProfile, the calls one after another")
    args = parser.parse_args(argv)

    from benchdb import libpq_url
    from checkin_bench import free_port

    url = libpq_url(os.environ.get("NEWS_BENCH_DATABASE_URL", DEFAULT_URL))
    port = free_port()
    tmp = Path(tempfile.mkdtemp(prefix="news-profile-"))
    os.environ.update(
        DATABASE_URL=url,
        REDIS_URL=os.environ.get("NEWS_BENCH_REDIS_URL", DEFAULT_REDIS),
        SECRET_KEY=SECRET_KEY,
        INSTANCE_DIR=str(tmp / "instance"),
        EDANGWU_STAGING="1",
        WECHAT_API_BASE=f"http://127.0.0.1:{port}",
        WECHAT_APPID=APPID,
        WECHAT_SECRET=APP_SECRET,
        PUSH_QUIET_HOURS="",
    )
    os.environ.pop("MP_CONFIG", None)
    app = make_app()
    import requests
    import sqlalchemy as sa

    from server.db import db
    from server.inbox import push
    from server.inbox.models import InboxKind, Push
    from server.newspaper.models import NewsIssue
    from server.subscriptions.models import Subscription
    from server.wechat import subscribe

    emulator = start_emulator(port, tmp / "emulator.log")
    try:
        with app.app_context():
            template_id = subscribe.template("newspaper_issue")["template_id"]
            issue_id = db.session.scalar(sa.select(sa.func.min(NewsIssue.id)))
            round = (db.session.scalar(sa.select(sa.func.max(Push.round)).where(Push.ref_id == issue_id)) or 0) + 1
            members = db.session.scalars(
                sa.select(Subscription.member_id)
                .where(Subscription.template_id == template_id)
                .order_by(Subscription.member_id)
                .limit(args.pushes)
            ).all()
            db.session.execute(
                sa.update(Subscription)
                .where(Subscription.member_id.in_(members), Subscription.template_id == template_id)
                .values(remaining=1, refused_at=None)
            )
            body = {"users": [user_of(m) for m in members], "template_ids": [template_id], "times": 1}
            requests.post(f"{os.environ['WECHAT_API_BASE']}/_phone/subscribe_many", json=body, timeout=120)
            selected = sa.select(Subscription.member_id).where(Subscription.member_id.in_(members))
            created = push.create(InboxKind.NEWSPAPER, issue_id, round, template_id, selected)
            db.session.commit()
            if args.profile:
                push.ThreadPoolExecutor = _InThisThread
            profiler = cProfile.Profile(time.process_time) if args.profile else None
            emulator_before, cpu_before, wall_before = (
                tree_cpu_ticks(emulator.pid),
                time.process_time(),
                time.perf_counter(),
            )
            batches = 0
            if profiler:
                profiler.enable()
            while True:
                batches += 1
                report = push.run_batch(InboxKind.NEWSPAPER, issue_id, round)
                if not report.more:
                    break
            if profiler:
                profiler.disable()
            cpu = time.process_time() - cpu_before
            wall = time.perf_counter() - wall_before
            emulator_cpu = (tree_cpu_ticks(emulator.pid) - emulator_before) / os.sysconf("SC_CLK_TCK")
            statuses = dict(
                db.session.execute(
                    sa.select(Push.status, sa.func.count())
                    .where(Push.ref_id == issue_id, Push.round == round)
                    .group_by(Push.status)
                ).all()
            )
    finally:
        stop(emulator, signal.SIGTERM)
    print(
        f"{created:,d} pushes in {batches} batches, {wall:.1f} s ({created / wall:,.0f}/s) on a load of"
        f" {os.getloadavg()[0]:.1f}: {statuses}\nCPU a push: this process {1000 * cpu / created:.2f} ms,"
        f" the emulator {1000 * emulator_cpu / created:.2f} ms"
    )
    if profiler:
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
