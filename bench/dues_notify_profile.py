"""What one WeChat Pay notification costs the app, without gunicorn or the machine's noise.

    .venv/bin/python bench/dues_notify_profile.py [--orders 200] [--top 25] [--no-profile] [--save FILE]

The same database and set-up as ``dues_notify_bench.py`` (``NOTIFY_BENCH_URL``, dropped and rebuilt),
then, in this one process, every order's TRANSACTION.SUCCESS notification and one duplicate are signed
first and then POSTed one after the other through the app's test client. Reported per delivery: the SQL
statements the app sent, the commits and rollbacks, and this process's CPU time for the POSTs alone
(the signing is done before); then cProfile's most expensive functions. For A/B comparisons of the
handler's work; the throughput through gunicorn is the bench's.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from dues_notify_bench import DEFAULT_URL, place_orders  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="cProfile's order: tottime, cumulative, ...")
    parser.add_argument("--no-profile", action="store_true", help="CPU time without cProfile's overhead")
    parser.add_argument("--save", help="also write the profile to this file (pstats, for snakeviz or print_callers)")
    args = parser.parse_args(argv)
    url = os.environ.get("NOTIFY_BENCH_URL", DEFAULT_URL)

    import psycopg
    import sqlalchemy as sa
    from benchdb import ensure_database, libpq_url

    ensure_database(libpq_url(url))
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")

    from server.wechat.emulator.testing import running_emulator

    scratch = Path(tempfile.mkdtemp(prefix="edangwu-notify-profile-"))
    with running_emulator("wx_demo_appid", "demo_secret") as emulator:
        os.environ.update(
            {
                "DATABASE_URL": url,
                "INSTANCE_DIR": str(scratch),
                "JOBS_DB": str(scratch / "jobs.db"),
                "HUEY_NAME": f"edangwu-notify-profile-{os.getpid()}",
                "SECRET_KEY": "notify-profile",
                "EDANGWU_STAGING": "1",
                "WECHATPAY_API_BASE": emulator.base_url,
                "WECHAT_API_BASE": emulator.base_url,
                "WECHATPAY_NOTIFY_URL": "http://127.0.0.1:1/api/wechatpay/notify",
                "LOG_LEVEL": "WARNING",
            }
        )
        orders = place_orders(args.orders, emulator)
        emulator.hold_notifications()
        notes = [emulator.pay.latest(no) for no in orders]
        signed = []
        for note in notes:
            for _ in range(2):  # the notification and one duplicate, each signed afresh
                body = emulator.pay.envelope(note)
                headers = {"Content-Type": "application/json", **emulator.pay.signed_headers(body)}
                signed.append((body.encode(), headers))

        from server import create_app
        from server.db import db

        app = create_app({"LOG_LEVEL": "WARNING"})
        client = app.test_client()
        client.post("/api/wechatpay/notify", data=signed[0][0], headers=signed[0][1])  # warm up
        counts = {"statements": 0, "commits": 0, "rollbacks": 0}
        with app.app_context():
            engine = db.engine

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _statement(*_args, **_kwargs):
            counts["statements"] += 1

        @sa.event.listens_for(engine, "commit")
        def _commit(*_args):
            counts["commits"] += 1

        @sa.event.listens_for(engine, "rollback")
        def _rollback(*_args):
            counts["rollbacks"] += 1

        work = signed[1:]
        # Two floors to read the figure against: the request refused at its first header check (the
        # Flask stack alone), and the verification alone (RSA, AES-GCM, JSON), both on this process's CPU.
        cpu = time.process_time()
        for body, _headers in work:
            client.post("/api/wechatpay/notify", data=body, headers={"Content-Type": "application/json"})
        floor_stack = (time.process_time() - cpu) / len(work)
        with app.app_context():
            from server.dues.paygate import get_pay

            cpu = time.process_time()
            for body, headers in work:
                get_pay().verify_notification(headers, body)
            floor_verify = (time.process_time() - cpu) / len(work)
        profile = cProfile.Profile(time.process_time)  # CPU, not waiting on PostgreSQL
        cpu = time.process_time()
        if not args.no_profile:
            profile.enable()
        answers = [client.post("/api/wechatpay/notify", data=b, headers=h).status_code for b, h in work]
        profile.disable()
        cpu = time.process_time() - cpu
    bad = [status for status in answers if status != 204]
    n = len(work)
    print(
        f"{n} deliveries in process: CPU {cpu * 1000 / n:.2f} ms each"
        f"{'' if args.no_profile else ' (profiled)'}; statements "
        f"{counts['statements'] / n:.2f}, commits {counts['commits'] / n:.2f}, rollbacks "
        f"{counts['rollbacks'] / n:.2f} per delivery; not 204: {len(bad)}"
    )
    print(
        f"floors: a request refused at its first header check {floor_stack * 1000:.2f} ms CPU; "
        f"verification alone {floor_verify * 1000:.2f} ms CPU"
    )
    if not args.no_profile:
        pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
        if args.save:
            profile.dump_stats(args.save)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
