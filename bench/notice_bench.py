"""A notice to a whole committee, then a reminder to those who have not read it, on PostgreSQL + Redis with the
job worker and the WeChat emulator each in their own process, as in production.

    .venv/bin/python bench/notice_bench.py                    # 140,000 members (the lead's full run)
    .venv/bin/python bench/notice_bench.py --members 5000     # a quick run on a shared machine

Steps:

1. ``bench/generate.py`` into ``edangwu_notice_bench`` (or ``NOTICE_BENCH_DATABASE_URL``; **its schema ``public``
   is dropped and rebuilt**): 8,000 organisations and ``--members`` members, with the real migrations.
2. The WeChat emulator starts as its own process (``python -m server.wechat.emulator``) with the notice's
   template; every member is bound to a WeChat user (rows written with one INSERT … SELECT) and has tapped
   开启通知提醒 twice (two consents: in the emulator, through its simulated phone, and in our count).
3. The job worker starts (``flask --app wsgi worker``, ``--workers`` processes, Redis queue
   ``NOTICE_BENCH_REDIS_URL``, default 6379/6, flushed first).
4. The committee's admin sends a notice to the whole committee (``services.compose``, the admin page's
   code). Timed: until every member's inbox has it (the delivery job sets ``delivered_at``; target < 60 s),
   and until every push of it is settled (sent through the emulator).
5. 10% of the members, drawn at random, read it; the admin reminds the rest (``services.remind``). Timed:
   until every reminder push is settled.
6. Checked: one inbox row per member, no duplicates; every first push sent once; reminders sent to exactly
   the members who had not read, none to a reader; the emulator holds one message per member plus one per
   reminded member, and no member has more than that.

Exit status 1 when a check fails, or, with ``--check``, when the inbox delivery misses 60 s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests
from benchdb import ensure_database, libpq_url
from redis import Redis

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/edangwu_notice_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/6"
APPID, SECRET = "wx_bench_appid", "bench_secret"
TEMPLATE = "bench_notice"
FIELDS = {"thing1": "notice_title", "thing2": "org_name", "time3": "sent_at"}
TARGET_INBOX_S = 60.0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def generate_args(members: int) -> list[str]:
    """The full committee's shape (8,000 organisations, 40,000 distinct names) for the full run; the same
    shape scaled down with the members for a quick run, where the name pool would dominate the time."""
    if members >= 140_000:
        return ["--members", str(members)]
    scale = members / 140_000
    shape = {"--orgs": 8000, "--committees": 20, "--general-branches": 150, "--branches": 6500}
    scaled = [str(part) for key, full in shape.items() for part in (key, max(4, round(full * scale)))]
    return ["--members", str(members), "--distinct-names", str(max(500, members // 3)), *scaled]


def wait_until(condition, seconds: float, what: str, poll: float = 0.2) -> float:
    started = time.perf_counter()
    while not condition():
        if time.perf_counter() - started > seconds:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(poll)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=140_000)
    parser.add_argument("--workers", type=int, default=2, help="job worker processes")
    parser.add_argument("--read-share", type=float, default=0.10)
    parser.add_argument("--check", action="store_true", help="exit 1 when the inbox delivery misses 60 s")
    parser.add_argument("--skip-generate", action="store_true", help="reuse the register already loaded")
    args = parser.parse_args(argv)
    url = os.environ.get("NOTICE_BENCH_DATABASE_URL", DEFAULT_URL)
    redis_url = os.environ.get("NOTICE_BENCH_REDIS_URL", DEFAULT_REDIS)
    scratch = Path(tempfile.mkdtemp(prefix="edangwu-notice-bench-"))

    if not args.skip_generate:
        ensure_database(libpq_url(url))
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, str(BENCH_DIR / "generate.py"), *generate_args(args.members)],
            env=os.environ | {"DATABASE_URL": url},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"register: {args.members} members generated in {time.perf_counter() - started:.1f} s")
    Redis.from_url(redis_url).flushdb()

    templates = scratch / "templates.json"
    templates.write_text(json.dumps({TEMPLATE: list(FIELDS)}))
    mp_config = scratch / "mp_config.json"
    tpl = {"template_id": TEMPLATE, "page": "pages/notice/index", "fields": FIELDS}
    mp_config.write_text(
        json.dumps(
            {
                "app_id": APPID,
                "server_url": "http://127.0.0.1:5000",
                "checkin_link_prefix": "https://bench.example.cn/m/checkin",
                "subscribe_templates": {"notice": tpl},
            }
        )
    )
    port = free_port()
    env = {
        "DATABASE_URL": url,
        "REDIS_URL": redis_url,
        "INSTANCE_DIR": str(scratch),
        "HUEY_NAME": f"edangwu-notice-bench-{os.getpid()}",
        "SECRET_KEY": "notice-bench-secret",
        "EDANGWU_STAGING": "1",
        "MP_CONFIG": str(mp_config),
        "WECHAT_APPID": APPID,
        "WECHAT_SECRET": SECRET,
        "WECHAT_API_BASE": f"http://127.0.0.1:{port}",
        "PUSH_QUIET_HOURS": "",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    emulator_log = open(scratch / "emulator.log", "w")  # noqa: SIM115  (kept open while it runs)
    emulator = subprocess.Popen(
        [sys.executable, "-m", "server.wechat.emulator", "--port", str(port), "--templates", str(templates)],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=emulator_log,
        stderr=subprocess.STDOUT,
    )
    worker = None
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(base), 30, "the emulator")
        users = bind_and_consent(url, base, args.members)
        worker_log = open(scratch / "worker.log", "w")  # noqa: SIM115
        worker = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "worker", "--workers", str(args.workers)],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=worker_log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        ok = run(url, base, users, args)
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=60)
        emulator.terminate()
        emulator.wait(timeout=30)
    print(f"logs in {scratch}")
    return 0 if ok else 1


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/_phone/openid", params={"user": "probe"}, timeout=1).ok
    except requests.RequestException:
        return False


def bind_and_consent(url: str, base: str, members: int) -> dict[int, str]:
    """Every member bound to WeChat user ``bench-<member id>``, with two notice consents (WeChat and ours)."""

    started = time.perf_counter()
    with psycopg.connect(libpq_url(url)) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM members ORDER BY id")]
    from server.wechat.emulator.state import EmulatorState

    # Two taps each in the emulator, 20,000 members a call (its bulk phone endpoint); the openid is the
    # emulator's own derivation, so no request per member.
    openid_of = EmulatorState(appid=APPID, secret=SECRET).openid
    users = {member_id: openid_of(f"bench-{member_id}") for member_id in ids}
    names = [f"bench-{member_id}" for member_id in ids]
    for start in range(0, len(names), 20_000):
        body = {"users": names[start : start + 20_000], "template_ids": [TEMPLATE], "times": 2}
        requests.post(f"{base}/_phone/subscribe_many", json=body, timeout=120).raise_for_status()
    with psycopg.connect(libpq_url(url)) as conn, conn.cursor() as cur:
        with cur.copy("COPY wechat_bindings (openid, member_id, method, bound_at) FROM STDIN") as copy:
            for member_id, openid in users.items():
                copy.write_row((openid, member_id, "phone", "2026-11-01T00:00:00+00"))
        columns = "member_id, template_id, openid, remaining, last_choice, last_choice_at, updated_at"
        with cur.copy(f"COPY member_subscriptions ({columns}) FROM STDIN") as copy:
            for member_id, openid in users.items():
                at = "2026-11-01T00:00:00+00"
                copy.write_row((member_id, TEMPLATE, openid, 2, "accept", at, at))
    print(f"{len(users)} members bound and consenting twice in {time.perf_counter() - started:.1f} s")
    return users


def _count(conn, query: str, *params) -> int:
    return conn.execute(query, params).fetchone()[0]


def run(url: str, base: str, users: dict[int, str], args) -> bool:
    import sqlalchemy as sa

    from server import create_app
    from server.audit.context import Actor, acting_as
    from server.auth.models import AdminUser, Role
    from server.db import db
    from server.notices import audience, services
    from server.notices.models import Notice
    from server.orgs.models import Organisation

    app = create_app({"LOG_LEVEL": "WARNING"})
    members = len(users)
    with app.app_context():
        root = db.session.scalar(sa.select(Organisation).where(Organisation.parent_id.is_(None)))
        admin = AdminUser(username="bench-dangwei", password_hash="x", display_name="党委管理员", role=Role.ORG_ADMIN)
        admin.org_id = root.id
        db.session.add(admin)
        db.session.commit()
        db.session.refresh(admin)
        with acting_as(Actor("admin", admin.id, admin.display_name)):
            started = time.perf_counter()
            notice = services.compose(
                admin,
                root,
                services.Draft("关于开展冬季安全生产大检查的通知", "各单位于月底前完成自查。"),
                audience.Targets([root], []),
            )
            db.session.commit()
        notice_id = notice.id
    conn = psycopg.connect(libpq_url(url), autocommit=True)
    inbox_s = wait_until(
        lambda: conn.execute("SELECT delivered_at IS NOT NULL FROM notices WHERE id = %s", (notice_id,)).fetchone()[0],
        600,
        "every inbox",
    )
    inbox_rows = _count(conn, "SELECT count(*) FROM inbox_items WHERE kind = 'notice' AND ref_id = %s", notice_id)
    print(f"notice to {members} members: every inbox in {inbox_s:.1f} s (target < {TARGET_INBOX_S:.0f} s)")

    def unsettled(round_: int) -> int:
        return _count(
            conn,
            "SELECT count(*) FROM inbox_pushes WHERE kind = 'notice' AND ref_id = %s AND round = %s "
            "AND status IN ('pending', 'sending')",
            notice_id,
            round_,
        )

    push_s = wait_until(lambda: unsettled(0) == 0, 3600, "the first pushes", poll=0.5)
    sent0 = _count(
        conn, "SELECT count(*) FROM inbox_pushes WHERE ref_id = %s AND round = 0 AND status = 'sent'", notice_id
    )
    elapsed = time.perf_counter() - started
    print(f"first pushes: {sent0} sent, all settled {elapsed:.1f} s after sending ({sent0 / max(push_s, 1e-9):.0f}/s)")

    rng = random.Random(2026)
    readers = sorted(rng.sample(sorted(users), round(members * args.read_share)))
    conn.execute(
        "UPDATE inbox_items SET read_at = now() WHERE kind = 'notice' AND ref_id = %s AND member_id = ANY(%s)",
        (notice_id, readers),
    )
    with app.app_context():
        notice = db.session.get(Notice, notice_id)
        admin = db.session.scalar(sa.select(AdminUser).where(AdminUser.username == "bench-dangwei"))
        with acting_as(Actor("admin", admin.id, admin.display_name)):
            reminder_started = time.perf_counter()
            done = services.remind(admin, notice)
            db.session.commit()
    remind_s = wait_until(lambda: unsettled(1) == 0, 3600, "the reminders", poll=0.5)
    total_s = time.perf_counter() - reminder_started
    sent1 = _count(
        conn, "SELECT count(*) FROM inbox_pushes WHERE ref_id = %s AND round = 1 AND status = 'sent'", notice_id
    )
    print(
        f"reminder to the {done.members} who had not read ({members - len(readers)} expected): {sent1} pushes sent, "
        f"all settled {total_s:.1f} s after 提醒 ({sent1 / max(remind_s, 1e-9):.0f}/s)"
    )
    return check(conn, base, users, set(readers), notice_id, members, inbox_rows, sent0, sent1, inbox_s, args)


def check(conn, base, users, readers, notice_id, members, inbox_rows, sent0, sent1, inbox_s, args) -> bool:
    problems = []
    distinct = _count(
        conn, "SELECT count(DISTINCT member_id) FROM inbox_items WHERE kind = 'notice' AND ref_id = %s", notice_id
    )
    if not inbox_rows == distinct == members:
        problems.append(f"inbox rows {inbox_rows}, distinct members {distinct}, members {members}")
    if sent0 != members:
        problems.append(f"first pushes sent {sent0} of {members}")
    reminded = {
        row[0]
        for row in conn.execute(
            "SELECT member_id FROM inbox_pushes WHERE kind = 'notice' AND ref_id = %s AND round = 1", (notice_id,)
        )
    }
    if reminded & readers:
        problems.append(f"{len(reminded & readers)} members who had read were reminded")
    if reminded != set(users) - readers or sent1 != len(reminded):
        problems.append(f"reminders: {len(reminded)} rows, {sent1} sent, {members - len(readers)} expected")
    messages = requests.get(f"{base}/_phone/messages", timeout=120).json()
    per_openid: dict[str, int] = {}
    for message in messages:
        if message.get("template_id") == TEMPLATE:
            per_openid[message["openid"]] = per_openid.get(message["openid"], 0) + 1
    expected = {openid: (1 if member_id in readers else 2) for member_id, openid in users.items()}
    wrong = [openid for openid, count in expected.items() if per_openid.get(openid, 0) != count]
    if wrong:
        problems.append(f"{len(wrong)} members' phones hold the wrong number of messages (e.g. {wrong[:3]})")
    print(
        f"checked: {inbox_rows} inbox rows, {sent0} first pushes, {sent1} reminders, {len(messages)} messages "
        f"in the emulator, none to a reader: {'OK' if not problems else 'FAILED'}"
    )
    for problem in problems:
        print("  ", problem)
    if args.check and inbox_s > TARGET_INBOX_S:
        problems.append("inbox delivery missed 60 s")
    return not problems


if __name__ == "__main__":
    sys.exit(main())
