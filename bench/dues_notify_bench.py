"""WeChat Pay notifications verified and applied per second, through gunicorn on PostgreSQL.

    .venv/bin/python bench/dues_notify_bench.py [--orders 400] [--duplicates 1] [--senders 16]
        [--workers 2] [--threads 4] [--rounds 1] [--configs 2x4,2x2]

Uses its own database (default ``edangwu_notify_bench``, dropped and rebuilt from the migrations).
Starts the WeChat emulator in this process, places ``--orders`` real orders (each of one member's three
monthly bills) through ``payments.place_order`` and has every member pay; then starts gunicorn
(``deploy/gunicorn.conf.py``, 2 workers by default here: the machine has 2 cores) serving the app,
and sends every order's TRANSACTION.SUCCESS notification, plus ``--duplicates`` copies each, from
``--senders`` threads at once, each encrypted and signed by the emulator as WeChat would (its own nonce,
timestamp and RSA signature) just before the timed part: the signing is WeChat's work, not ours. Reported: deliveries
per second (each one verified: RSA signature, AES-GCM decryption; then applied or found applied), and
the check that every order is paid once with each bill paid by it. Target: ≥ 300 deliveries/s.

Because the machine is shared, the run also reports what each delivery cost, which other processes do not
change: CPU time (from /proc) of the gunicorn workers, of the PostgreSQL backends serving this database and
of this process (the emulator sending; the signing is done before), and the commits and rollbacks PostgreSQL counted for
this database (pg_stat_database), each per delivery; plus the load average when the run ended. The
figures start once every worker has booted and gone idle (a worker's start-up is not a delivery's cost).
``--rounds N`` sends everything N times on the same orders, the database put back between rounds (every
order pending again, its bills unpaid, the notification ids and the payments' audit entries deleted), so
one set-up gives several figures to compare while other processes come and go; ``--configs 2x4,2x2``
does that for each gunicorn set-up (workers x threads), a fresh gunicorn each.

The emulator's sending (a new connection per delivery, ``post_on_a_new_connection``) runs in this process
on the same two cores, so the figure is a lower bound.
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/edangwu_notify_bench"
TARGET_PER_SECOND = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=400)
    parser.add_argument("--duplicates", type=int, default=1, help="extra deliveries of each notification")
    parser.add_argument("--senders", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--rounds", type=int, default=1, help="send everything this many times (reset between)")
    parser.add_argument("--configs", help="gunicorn set-ups to compare, each for --rounds rounds: e.g. 2x4,2x2,4x2")
    args = parser.parse_args(argv)
    url = os.environ.get("NOTIFY_BENCH_URL", DEFAULT_URL)

    import psycopg
    from benchdb import ensure_database, libpq_url

    ensure_database(libpq_url(url))
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")

    from server.wechat.emulator.testing import running_emulator

    port = free_port()
    scratch = Path(tempfile.mkdtemp(prefix="edangwu-notify-bench-"))
    with running_emulator("wx_demo_appid", "demo_secret") as emulator:
        env = {
            "DATABASE_URL": url,
            "INSTANCE_DIR": str(scratch),
            "JOBS_DB": str(scratch / "jobs.db"),
            "HUEY_NAME": f"edangwu-notify-bench-{os.getpid()}",
            "SECRET_KEY": "notify-bench",
            "EDANGWU_STAGING": "1",
            "WECHATPAY_API_BASE": emulator.base_url,
            "WECHAT_API_BASE": emulator.base_url,
            "WECHATPAY_NOTIFY_URL": f"http://127.0.0.1:{port}/api/wechatpay/notify",
            "LOG_LEVEL": "WARNING",
            "GUNICORN_ACCESS_LOG": "/dev/null",
        }
        os.environ.update(env)
        orders = place_orders(args.orders, emulator)
        emulator.use_transport(post_on_a_new_connection)
        emulator.hold_notifications()
        notes = [emulator.pay.latest(no) for no in orders]
        deliveries = [note for note in notes for _ in range(1 + args.duplicates)]
        configs = [parse_config(c) for c in args.configs.split(",")] if args.configs else [(args.workers, args.threads)]
        failed = False
        round_no = 0
        for workers, threads in configs:
            server = start_gunicorn(port, workers, threads, env)
            try:
                wait_for_port(port)
                for note in notes[:workers]:  # warm up the workers' adapters
                    emulator.pay.send(note, kind="now")
                wait_until_idle(server.pid)
                for _ in range(args.rounds):
                    round_no += 1
                    if round_no > 1:
                        reset(url)
                    signed = sign_deliveries(emulator, deliveries)
                    before = cost_snapshot(url, server.pid)
                    start = time.perf_counter()
                    with ThreadPoolExecutor(args.senders) as pool:
                        attempts = list(pool.map(lambda d: emulator.pay.send(d[0], kind="duplicate", **d[1]), signed))
                    elapsed = time.perf_counter() - start
                    after = cost_snapshot(url, server.pid)
                    label = f"round {round_no}: " if len(configs) * args.rounds > 1 else ""
                    failed |= report(args, label, workers, threads, len(orders), attempts, elapsed, before, after)
                    check(url, len(orders))
            finally:
                server.terminate()
                server.wait(timeout=30)
    return 1 if failed else 0


def post_on_a_new_connection(url: str, headers: dict[str, str], body: bytes, timeout: float) -> tuple[int, str]:
    """One delivery on its own TCP connection, as the emulator's default transport makes it, with the
    standard library's client instead of ``requests``: the server does the same work (connect, parse,
    answer, close), and the sender, which stands for WeChat's servers and shares this machine's two
    cores with the app, spends about half the CPU on it."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("POST", parts.path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", errors="replace")
    finally:
        connection.close()


def sign_deliveries(emulator, deliveries: list) -> list[tuple[object, dict[str, str]]]:
    """Every delivery encrypted and signed as WeChat would (each its own nonce, timestamp and signature),
    before the clock starts: the RSA signing is WeChat's work, not ours, and on this machine it would
    otherwise take a third of the CPU the run measures. The server still verifies each one, and the
    timestamps stay well inside its five-minute window (the signing and the run take seconds)."""
    started = time.perf_counter()
    signed = []
    for note in deliveries:
        body = emulator.pay.envelope(note)
        signed.append((note, {"body": body, "headers": emulator.pay.signed_headers(body)}))
    seconds = time.perf_counter() - started
    print(f"{len(signed)} deliveries signed in {seconds:.1f} s (before the timed part)")
    if seconds > 120:
        print("warning: signing took so long that the last timestamps near the server's 5-minute window")
    return signed


def parse_config(text: str) -> tuple[int, int]:
    workers, threads = text.lower().split("x")
    return int(workers), int(threads)


def start_gunicorn(port: int, workers: int, threads: int, env: dict) -> subprocess.Popen:
    command = [str(ROOT / ".venv" / "bin" / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py")]
    command += ["--workers", str(workers), "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "wsgi:app"]
    return subprocess.Popen(command, cwd=ROOT, env=os.environ | env)


def report(args, label, workers, threads, orders, attempts, elapsed, before, after) -> bool:
    refused = [a for a in attempts if not a.acknowledged]
    rate = len(attempts) / elapsed
    print(
        f"{label}{len(attempts)} deliveries ({orders} orders, {args.duplicates} duplicate(s) each) "
        f"with {args.senders} senders, {workers} gunicorn workers x {threads} threads: "
        f"{elapsed:.2f} s, {rate:.0f}/s (target ≥ {TARGET_PER_SECOND}/s); not acknowledged: {len(refused)}"
    )
    report_costs(before, after, len(attempts))
    if refused:
        from collections import Counter

        print("not acknowledged:", Counter((a.status, a.answer[:80]) for a in refused).most_common(5))
    return bool(refused)


def reset(url: str) -> None:
    """Every order pending again with its bills unpaid, as before the first round (bench only)."""
    import psycopg
    from benchdb import libpq_url

    with psycopg.connect(libpq_url(url)) as conn:
        conn.execute("DELETE FROM dues_pay_notifications")
        conn.execute("DELETE FROM audit_log WHERE action = 'dues_payment.status'")
        conn.execute(
            "UPDATE dues_bills SET status = 'unpaid', paid_by_payment_id = NULL, paid_at = NULL "
            "WHERE paid_by_payment_id IS NOT NULL"
        )
        conn.execute("UPDATE dues_payments SET status = 'pending', transaction_id = NULL, paid_at = NULL")
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE dues_bills, dues_payments, dues_pay_notifications, audit_log")


def place_orders(count: int, emulator) -> list[str]:
    """``count`` members of one branch, three unpaid months each, an order for them, paid on the phone."""
    from server import create_app
    from server.auth.models import AdminUser  # noqa: F401  (mappers)
    from server.db import db
    from server.dues import payments
    from server.dues.bills import generate_bills
    from server.dues.months import add_months, current_month
    from server.dues.rules import ensure_rules_2008
    from server.members.models import DuesCategory, Gender, MemberStatus
    from server.members.schemas import clean_member_data
    from server.members.services import create_member
    from server.orgs.models import OrgKind
    from server.orgs.services import create_org

    app = create_app({"LOG_LEVEL": "WARNING"})
    with app.app_context():
        from flask_migrate import upgrade

        upgrade()
        ensure_rules_2008()
        branch = create_org("压测支部", OrgKind.BRANCH, create_org("压测党委", OrgKind.COMMITTEE, None))
        members = [
            create_member(
                clean_member_data(
                    {
                        "name": f"党员{n}",
                        "gender": Gender.MALE,
                        "status": MemberStatus.FULL,
                        "dues_category": DuesCategory.EMPLOYED,
                        "dues_base_yuan": Decimal("5000"),
                        "org_id": branch.id,
                    }
                )
            )
            for n in range(count)
        ]
        for back in range(3):
            generate_bills(add_months(current_month(), -back))
        db.session.commit()
        numbers = []
        started = time.perf_counter()
        for n, member in enumerate(members):
            import sqlalchemy as sa

            from server.dues.models import DuesBill

            ids = db.session.scalars(sa.select(DuesBill.id).where(DuesBill.member_id == member.id)).all()
            user = f"bench{n}"
            placed = payments.place_order(member, ids, payer=member, payer_openid=emulator.openid(user))
            db.session.commit()
            emulator.confirm_payment(placed.payment.prepay_id, user)
            numbers.append(placed.payment.out_trade_no)
        print(f"{count} orders placed and paid in {time.perf_counter() - started:.1f} s")
        return numbers


# -- what a delivery costs ------------------------------------------------------------------------------

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    """utime + stime of ``pid`` (all its threads) in seconds; 0 for a process that is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
            if ppid == pid:
                found.add(int(entry.name))
    return found


def cost_snapshot(url: str, gunicorn_pid: int) -> dict:
    """CPU seconds per process (gunicorn master and workers, this database's backends, this process) and
    PostgreSQL's commit/rollback counters for the database. A backend opened during the run counts from 0."""
    import psycopg
    from benchdb import libpq_url

    time.sleep(1.5)  # backends flush their statistics about a second after going idle
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        backends = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ]
        conn.execute("SELECT pg_stat_clear_snapshot()")
        commits, rollbacks = conn.execute(
            "SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    app = {pid: _proc_cpu(pid) for pid in {gunicorn_pid} | _children(gunicorn_pid)}
    return {
        "app": app,
        "postgres": {pid: _proc_cpu(pid) for pid in backends},
        "sender": time.process_time(),
        "commits": commits,
        "rollbacks": rollbacks,
    }


def report_costs(before: dict, after: dict, deliveries: int) -> None:
    def spent(kind: str) -> float:
        return sum(cpu - before[kind].get(pid, 0.0) for pid, cpu in after[kind].items())

    # the two snapshots' own connections are one commit each (or none): close enough to subtract
    commits = after["commits"] - before["commits"] - 1
    rollbacks = after["rollbacks"] - before["rollbacks"]
    app, pg, sender = spent("app"), spent("postgres"), after["sender"] - before["sender"]
    per = 1000 / deliveries
    print(
        f"CPU per delivery: gunicorn {app * per:.2f} ms, postgres backends {pg * per:.2f} ms "
        f"({len(after['postgres'])} backends), sender/emulator {sender * per:.2f} ms; "
        f"commits per delivery {commits / deliveries:.2f}, rollbacks {rollbacks / deliveries:.2f}; "
        f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


def wait_until_idle(gunicorn_pid: int, seconds: float = 120) -> None:
    """Until gunicorn's processes use no CPU for half a second: every worker has booted."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        pids = {gunicorn_pid} | _children(gunicorn_pid)
        now = sum(_proc_cpu(pid) for pid in pids)
        if last is not None and now - last < 0.02:
            return
        last = now
        time.sleep(0.5)
    raise SystemExit("gunicorn's workers did not settle")


def wait_for_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def check(url: str, orders: int) -> None:
    import psycopg
    from benchdb import libpq_url

    with psycopg.connect(libpq_url(url)) as conn:
        paid = conn.execute("SELECT count(*) FROM dues_payments WHERE status = 'paid'").fetchone()[0]
        bills = conn.execute(
            "SELECT count(*) FROM dues_bills b JOIN dues_payments p ON p.id = b.paid_by_payment_id "
            "WHERE b.status = 'paid'"
        ).fetchone()[0]
    print(f"paid orders: {paid} of {orders}; bills paid: {bills} of {orders * 3}")
    if paid != orders or bills != orders * 3:
        raise SystemExit("not every order was paid exactly once")


if __name__ == "__main__":
    raise SystemExit(main())
