"""One newspaper issue published to a committee of 100,000 members on the production stack: PostgreSQL, Redis,
Huey job workers (``flask --app wsgi worker``, as deploy/systemd/edangwu-worker.service runs them) and the WeChat
emulator as a separate process (``python -m server.wechat.emulator``, the app pointed at it by ``WECHAT_API_BASE``).

    .venv/bin/python bench/news_publish_bench.py                  # or `make bench-news`; 100,000 members
    .venv/bin/python bench/news_publish_bench.py --members 5000   # a quick check that it all works

Steps:

1. ``bench/generate.py`` into ``edangwu_news_bench`` (or ``NEWS_BENCH_DATABASE_URL``; **its schema ``public`` is
   dropped and rebuilt** from the migrations): ``--members`` members in a tree scaled to them (the 140,000-member
   group's proportions). Redis db ``NEWS_BENCH_REDIS_URL`` (default 6379/12) is **flushed**.
2. WeChat as the members left it: 3% never bound WeChat (the inbox only), 5% bound without consent to the
   newspaper's template (``no_quota``), 92% bound with consent (``member_subscriptions``, written with COPY): a
   fifth of them (``--two-consents``) tapped 订阅 twice, the rest once. The emulator's quota is what our count
   says before each run, as it is when the mini-program reports every tap: a member with one consent can
   receive one message at most (WeChat refuses a second with 43101, which is what lets server/inbox/push.py send
   again a push left in doubt); a member with two would receive a second message, and it would be counted.
3. Two runs, each a new issue of the root committee to the whole committee, through ``server/newspaper/workflow.py``:
   written by one account, submitted, approved by another, published now; the delivery job queued on commit.
   The bench then polls the database (inbox rows, push rows by status) and samples the workers' RSS from /proc.

   - run 1, clean: time until every member's inbox has the issue (target < 60 s) and until every push row is
     settled (target < 120 s), with the emulator's count of messages;
   - run 2, a worker killed: when half the consenting members have been pushed, the worker process using the
     most CPU is sent SIGKILL and started again. Rows it held ``sending`` are settled after a lease
     (``--lease-minutes``, 1 here instead of the deployment's 5, so the run ends sooner): ``resend`` for members
     with one consent (sent again; a 43101 then means the first call got through), ``uncertain`` for the others
     (at most once); the sweep queues the push again.

4. From the emulator's record of each run's messages: **duplicates** (a member who received the issue twice) and
   **losses** (a member with consent who never received it), both to be 0 for members with one consent; for
   members with two, a loss is accepted only as ``uncertain`` (a call in the killed worker's hands that never
   reached WeChat: at most once is their rule). Losses are broken down by consent and the push row's status.
   Also CPU seconds of the workers and the emulator over each run (from /proc), per message.

Workers: ``--workers`` processes (2: two worker machines' worth on this 2-core box) x ``--worker-threads`` (4,
the systemd unit's). The push settings are the deployment's (``PUSH_BATCH_SIZE`` 500, ``PUSH_THREADS`` 8,
``PUSH_JOBS`` 2; set them in the environment to try others); no quiet hours (``PUSH_QUIET_HOURS=""``), so a
run at night pushes too. Exit status 1 when a check fails or, with ``--check``, a time target is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import requests
from benchdb import ensure_database, libpq_url
from checkin_bench import free_port
from redis import Redis

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/edangwu_news_bench"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"
SECRET_KEY = "news-bench-secret-key-not-for-production"
APPID, APP_SECRET = "wx_demo_appid", "demo_secret"  # the demo deployment's, which the emulator reads too
TARGET_INBOX_S, TARGET_PUSH_S = 60.0, 120.0
UNBOUND, NO_CONSENT = 0.03, 0.05  # shares of the members; the rest consented
BULK = 20_000  # members per /_phone/subscribe_many call


# -- data ------------------------------------------------------------------------------------------------------


def load_register(url: str, members: int) -> None:
    """``members`` members in a tree with the proportions of bench/generate.py's 140,000-member group."""
    import generate

    committees = min(20, max(2, members // 5000))
    general = max(1, members * 150 // 140_000)
    branches = max(committees * 2, members * 6500 // 140_000)
    groups = members * 1329 // 140_000
    os.environ["DATABASE_URL"] = url
    argv = ["--members", str(members), "--committees", str(committees), "--general-branches", str(general)]
    argv += ["--branches", str(branches), "--orgs", str(1 + committees + general + branches + groups)]
    argv += ["--distinct-names", str(min(40_000, max(1000, members // 3)))]
    generate.main(argv)


def user_of(member_id: int) -> str:
    return f"bench-{member_id}"


@dataclass
class Register:
    members: int
    bound: dict[str, int]  # openid -> member id
    consenting: set[int]  # member ids
    two_consents: set[int]  # those of them who tapped twice


def seed_wechat(url: str, template_id: str, two_consents: float) -> Register:
    """Bindings and our count of consent (COPY), as the mini-program would have recorded them."""
    from server.wechat.emulator.state import EmulatorState

    openid_of = EmulatorState(appid=APPID, secret=APP_SECRET).openid  # the emulator's own derivation
    rng = random.Random(11)
    now = datetime.now(UTC)
    bound: dict[str, int] = {}
    consenting: set[int] = set()
    twice: set[int] = set()
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        member_ids = [row[0] for row in cur.execute("SELECT id FROM members ORDER BY id")]
        bindings, subscriptions = [], []
        for member_id in member_ids:
            draw = rng.random()
            if draw < UNBOUND:
                continue
            openid = openid_of(user_of(member_id))
            bound[openid] = member_id
            bindings.append((openid, member_id, "phone", now))
            if draw >= UNBOUND + NO_CONSENT:
                consenting.add(member_id)
                if rng.random() < two_consents:
                    twice.add(member_id)
                taps = 2 if member_id in twice else 1
                subscriptions.append((member_id, template_id, openid, taps, "accept", now, now))
        copy(cur, "wechat_bindings", ("openid", "member_id", "method", "bound_at"), bindings)
        columns = ("member_id", "template_id", "openid", "remaining", "last_choice", "last_choice_at", "updated_at")
        copy(cur, "member_subscriptions", columns, subscriptions)
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE wechat_bindings; ANALYZE member_subscriptions")
    return Register(len(member_ids), bound, consenting, twice)


def copy(cur: psycopg.Cursor, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as stream:
        for row in rows:
            stream.write_row(row)


def grant_consent(url: str, emulator: str, register: Register, template_id: str, first: bool) -> None:
    """Before each run: our count back to one or two messages per consenting member, and WeChat's quota the same
    (after a clean run, each member has one message fewer left in WeChat: one tap more each)."""
    with psycopg.connect(url) as conn:
        conn.execute(
            "UPDATE member_subscriptions SET remaining = CASE WHEN member_id = ANY(%s) THEN 2 ELSE 1 END,"
            " refused_at = NULL WHERE template_id = %s",
            (sorted(register.two_consents), template_id),
        )
    once = sorted(register.consenting - register.two_consents)
    for members, taps in ((once, 1), (sorted(register.two_consents), 2 if first else 1)):
        users = [user_of(member_id) for member_id in members]
        for start in range(0, len(users), BULK):
            body = {"users": users[start : start + BULK], "template_ids": [template_id], "times": taps}
            requests.post(f"{emulator}/_phone/subscribe_many", json=body, timeout=120).raise_for_status()


def make_app():
    import logging

    from server import create_app

    app = create_app({"LOG_LEVEL": "WARNING"})
    logging.getLogger("server").setLevel(logging.WARNING)
    return app


def staff(app) -> tuple[int, int]:
    """The committee's newspaper editor and the reviewer who approves and publishes (two accounts)."""
    from server.auth.models import AdminUser, Role
    from server.auth.passwords import hash_password
    from server.db import db
    from server.orgs.models import Organisation

    with app.app_context():
        root = db.session.scalar(sa_root(Organisation))
        password = hash_password("news-bench-password")
        editor = AdminUser(username="bianji", password_hash=password, display_name="宣传部编辑", role=Role.ORG_ADMIN)
        reviewer = AdminUser(username="shenhe", password_hash=password, display_name="宣传部部长", role=Role.ORG_ADMIN)
        editor.org, reviewer.org = root, root
        db.session.add_all([editor, reviewer])
        db.session.commit()
        return editor.id, reviewer.id


def sa_root(organisation):
    """SELECT of the root committee (``organisation``: the model class, imported inside an app)."""
    import sqlalchemy as sa

    return sa.select(organisation).where(organisation.parent_id.is_(None)).order_by(organisation.id).limit(1)


def publish_issue(app, editor_id: int, reviewer_id: int, number: int) -> tuple[int, float]:
    """Written, submitted, approved by another account and published now through the workflow; the delivery job
    is queued when the publishing commits. The issue's id and the wall-clock time of that commit."""
    from server.audit.context import Actor, acting_as
    from server.auth.models import AdminUser
    from server.db import db
    from server.newspaper import workflow
    from server.newspaper.models import Narrowing
    from server.orgs.models import Organisation

    body = "<p>各单位要认真落实安全生产责任制，节前开展隐患排查。</p>" * 20
    with app.app_context():
        editor, reviewer = db.session.get(AdminUser, editor_id), db.session.get(AdminUser, reviewer_id)
        root = db.session.scalar(sa_root(Organisation))
        with acting_as(Actor("admin", editor.id, editor.display_name)):
            issue = workflow.create_issue(editor, root, f"压测 {number}：安全生产专刊")
            for n in range(3):
                workflow.add_article(editor, issue, title=f"第{n + 1}篇：节前安全检查", summary="摘要", body_html=body)
            workflow.set_audience(editor, issue, [(root.id, Narrowing.ALL)])
            workflow.submit(editor, issue)
            db.session.commit()
        with acting_as(Actor("admin", reviewer.id, reviewer.display_name)):
            workflow.approve(reviewer, issue, "同意发布")
            db.session.commit()
            workflow.publish(reviewer, issue)
            db.session.commit()  # the delivery job goes to Redis now
            published = time.time()
        return issue.id, published


# -- processes -------------------------------------------------------------------------------------------------


def start_emulator(port: int, log_path: Path) -> subprocess.Popen:
    log = log_path.open("ab")
    command = [sys.executable, "-m", "server.wechat.emulator", "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    wait_for(lambda: _answers(f"http://127.0.0.1:{port}/"), 30, "the emulator did not start", process)
    return process


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).ok
    except requests.RequestException:
        return False


def wait_for(condition, seconds: float, failure: str, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if (process is not None and process.poll() is not None) or time.monotonic() > deadline:
            raise SystemExit(failure)
        time.sleep(0.1)


def start_worker(threads: int, log_path: Path) -> subprocess.Popen:
    log = log_path.open("ab")
    command = [str(ROOT / ".venv" / "bin" / "flask"), "--app", "wsgi", "worker", "--workers", str(threads)]
    return subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen, sig: int = signal.SIGINT) -> None:
    """SIGINT: Huey finishes the running jobs (as systemd stops the worker)."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def warm_up(app, jobs: int) -> None:
    """A worker builds its app at its first job; running workers have long done so (the periodic jobs run every
    minute). Jobs that find nothing to deliver, until the queue is empty again."""
    from server.newspaper.tasks import deliver_issue
    from server.tasks import huey

    with app.app_context():
        for _ in range(jobs):
            deliver_issue(0)
    wait_for(lambda: huey.pending_count() == 0, 60, "the workers took no job")
    time.sleep(2)


def rss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError):
        return 0


def tree_cpu_ticks(pid: int) -> int:
    """CPU ticks of a process and its children (the emulator is a gunicorn master and its worker)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return cpu_ticks(pid) + sum(tree_cpu_ticks(int(child)) for child in children)


# -- one run ---------------------------------------------------------------------------------------------------


@dataclass
class Run:
    name: str
    kill: bool = False  # SIGKILL a worker half-way
    issue_id: int = 0
    inbox_s: float | None = None
    push_s: float | None = None
    last_message_s: float | None = None
    peak_rss: dict[int, int] = field(default_factory=dict)  # pid -> bytes
    cpu_start: dict[int, int] = field(default_factory=dict)  # pid -> CPU ticks when the run began
    cpu_last: dict[int, int] = field(default_factory=dict)  # pid -> CPU ticks at the last poll
    emulator_pid: int = 0
    statuses: Counter = field(default_factory=Counter)
    messages: int = 0
    duplicates: int = 0
    losses: Counter = field(default_factory=Counter)  # the lost members' push status -> count
    unexpected: int = 0  # messages to members without consent
    killed_pid: int | None = None
    killed_at_sent: int = 0
    held_at_kill: int = 0  # rows ``sending`` when the worker was killed (its and the other worker's)
    resent: int = 0  # rows claimed again after being in doubt
    confirmed_by_43101: int = 0  # of those, the ones WeChat refused because the first call had got through
    problems: list[str] = field(default_factory=list)


def counts(conn: psycopg.Connection, issue_id: int) -> tuple[int, Counter]:
    inbox = conn.execute(
        "SELECT count(*) FROM inbox_items WHERE kind = 'newspaper' AND ref_id = %s", (issue_id,)
    ).fetchone()[0]
    rows = conn.execute(
        "SELECT status, count(*) FROM inbox_pushes WHERE kind = 'newspaper' AND ref_id = %s GROUP BY status",
        (issue_id,),
    ).fetchall()
    return inbox, Counter(dict(rows))


def sample_cpu(run: Run, pids: list[int]) -> None:
    """CPU ticks of each worker and of the emulator, so that the run can say what one push costs each side."""
    for pid in pids:
        ticks = tree_cpu_ticks(pid) if pid == run.emulator_pid else cpu_ticks(pid)
        if ticks:
            run.cpu_start.setdefault(pid, ticks)
            run.cpu_last[pid] = ticks


def cpu_seconds(run: Run, pids) -> float:
    return sum(run.cpu_last[pid] - run.cpu_start[pid] for pid in pids if pid in run.cpu_last) / os.sysconf("SC_CLK_TCK")


def watch(args, url: str, run: Run, register: Register, workers: list[subprocess.Popen], published: float, tmp: Path):
    """Poll until every inbox has the issue and every push row is settled; kill a worker half-way if asked."""
    started = time.monotonic() - (time.time() - published)
    kill_when = len(register.consenting) // 2 if run.kill else None
    timeout = args.timeout + (args.lease_minutes * 60 + 120 if kill_when is not None else 0)
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            now = time.monotonic() - started
            for worker in workers:
                run.peak_rss[worker.pid] = max(run.peak_rss.get(worker.pid, 0), rss_bytes(worker.pid))
            sample_cpu(run, [worker.pid for worker in workers] + [run.emulator_pid])
            inbox, statuses = counts(conn, run.issue_id)
            if run.inbox_s is None and inbox >= register.members:
                run.inbox_s = now
            total = sum(statuses.values())
            waiting = statuses["pending"] + statuses["sending"] + statuses["resend"]
            if run.push_s is None and total >= len(register.bound) and not waiting:
                run.push_s = now
            if kill_when is not None and statuses["sent"] >= kill_when and statuses["sending"]:
                kill_when = None
                run.held_at_kill = statuses["sending"]
                kill_busiest(args, run, workers, tmp, statuses["sent"])
            if run.inbox_s is not None and run.push_s is not None:
                run.statuses = statuses
                return
            if now > timeout:
                run.statuses = statuses
                run.problems.append(f"not done after {timeout:.0f} s: {inbox:,d} in inboxes, pushes {dict(statuses)}")
                return
            time.sleep(0.2)


def kill_busiest(args, run: Run, workers: list[subprocess.Popen], tmp: Path, sent: int) -> None:
    """While a batch is out, SIGKILL the worker process using the most CPU over half a second (a worker waiting on
    an empty queue uses next to none), and start another in its place."""
    before = {w.pid: cpu_ticks(w.pid) for w in workers}
    time.sleep(0.5)
    busiest = max(workers, key=lambda w: cpu_ticks(w.pid) - before[w.pid])
    busiest.kill()
    busiest.wait()
    run.killed_pid, run.killed_at_sent = busiest.pid, sent
    index = workers.index(busiest)
    workers[index] = start_worker(args.worker_threads, tmp / f"worker-{index}.log")
    run.cpu_start[workers[index].pid] = 0  # its start-up is part of the run's cost
    print(f"  killed worker {busiest.pid} with {sent:,d} sent; started {workers[index].pid} in its place")


def tally(url: str, emulator: str, run: Run, register: Register, template_id: str, published: float) -> None:
    """Duplicates and losses from the emulator's record of the issue's messages."""
    page_suffix = f"?id={run.issue_id}"
    listed = requests.get(f"{emulator}/_phone/messages", timeout=300).json()
    ours = [m for m in listed if m["template_id"] == template_id and (m["page"] or "").endswith(page_suffix)]
    run.messages = len(ours)
    if ours:
        run.last_message_s = max(m["sent_at"] for m in ours) - published
    per_member = Counter(register.bound.get(m["openid"]) for m in ours)
    run.duplicates = sum(1 for count in per_member.values() if count > 1)
    run.unexpected = sum(count for member, count in per_member.items() if member not in register.consenting)
    lost = [member for member in register.consenting if not per_member[member]]
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT member_id, status FROM inbox_pushes WHERE kind = 'newspaper' AND ref_id = %s"
            " AND member_id = ANY(%s)",
            (run.issue_id, lost),
        ).fetchall()
        run.resent, run.confirmed_by_43101 = conn.execute(
            "SELECT count(*) FILTER (WHERE attempts > 1), count(*) FILTER (WHERE errcode = 43101 AND status = 'sent')"
            " FROM inbox_pushes WHERE kind = 'newspaper' AND ref_id = %s",
            (run.issue_id,),
        ).fetchone()
    status_of = dict(rows)
    run.losses = Counter(
        ("two consents" if member in register.two_consents else "one consent", status_of.get(member, "no push row"))
        for member in lost
    )
    if run.duplicates:
        run.problems.append(f"{run.duplicates} members received the issue twice")
    # At most once is the rule for members with more than one consent: a call cut off by the kill may be lost.
    wrong = {key: n for key, n in run.losses.items() if key != ("two consents", "uncertain")}
    if wrong:
        run.problems.append(f"{sum(wrong.values())} members with consent never received it: {wrong}")
    if run.unexpected:
        run.problems.append(f"{run.unexpected} messages to members without consent")
    sent = run.statuses["sent"]
    if not run.kill and (run.messages != sent or sent != len(register.consenting)):
        expected = len(register.consenting)
        run.problems.append(f"{run.messages} messages in WeChat, {sent} pushes sent, {expected} expected")


# -- main ------------------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100_000, help="members of the committee (100,000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument("--worker-threads", type=int, default=4, help="threads per worker, as the systemd unit (4)")
    parser.add_argument("--lease-minutes", type=int, default=1, help="JOB_LEASE_MINUTES for the run with a kill (1)")
    parser.add_argument("--timeout", type=float, default=900, help="seconds a run may take before it counts as failed")
    parser.add_argument("--no-kill", dest="kill", action="store_false", help="only the clean run")
    parser.add_argument(
        "--two-consents", type=float, default=0.2, help="share of the consenting members who tapped twice (0.2)"
    )
    parser.add_argument("--check", action="store_true", help="exit status 1 when a time target is missed too")
    args = parser.parse_args()

    url = libpq_url(os.environ.get("NEWS_BENCH_DATABASE_URL", DEFAULT_URL))
    redis_url = os.environ.get("NEWS_BENCH_REDIS_URL", DEFAULT_REDIS)
    tmp = Path(tempfile.mkdtemp(prefix="news-bench-"))
    emulator_port = free_port()
    emulator = f"http://127.0.0.1:{emulator_port}"
    # Read by this process (which publishes and so queues the delivery) and inherited by the workers.
    os.environ.update(
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        SECRET_KEY=SECRET_KEY,
        INSTANCE_DIR=str(tmp / "instance"),
        EDANGWU_STAGING="1",  # PostgreSQL with the emulator: not production, on purpose
        HUEY_NAME="edangwu-news-bench",
        WECHAT_API_BASE=emulator,
        WECHAT_APPID=APPID,
        WECHAT_SECRET=APP_SECRET,
        PUSH_QUIET_HOURS="",
        JOB_LEASE_MINUTES=str(args.lease_minutes),
        LOG_LEVEL="INFO",
    )
    os.environ.pop("MP_CONFIG", None)  # the demo deployment's templates, on both sides
    t0 = time.perf_counter()
    ensure_database(url)
    load_register(url, args.members)
    Redis.from_url(redis_url).flushdb()
    app = make_app()
    with app.app_context():
        from server.wechat import subscribe

        template_id = subscribe.template("newspaper_issue")["template_id"]
    register = seed_wechat(url, template_id, args.two_consents)
    editor_id, reviewer_id = staff(app)
    t1 = time.perf_counter()
    print(
        f"\nregister of {register.members:,d} members, {len(register.bound):,d} bound to WeChat,"
        f" {len(register.consenting):,d} with consent ({len(register.two_consents):,d} of them twice):"
        f" {t1 - t0:.1f} s; scratch {tmp}"
    )

    processes = [start_emulator(emulator_port, tmp / "emulator.log")]
    workers = [start_worker(args.worker_threads, tmp / f"worker-{n}.log") for n in range(args.workers)]
    runs: list[Run] = []
    try:
        warm_up(app, args.workers * args.worker_threads * 2)
        for number, name in enumerate(["clean", "worker killed half-way"][: 1 + args.kill], start=1):
            grant_consent(url, emulator, register, template_id, first=number == 1)
            run = Run(name, kill=number == 2, emulator_pid=processes[0].pid)
            sample_cpu(run, [worker.pid for worker in workers] + [run.emulator_pid])
            run.issue_id, published = publish_issue(app, editor_id, reviewer_id, number)
            print(f"run {number} ({name}): issue {run.issue_id} published")
            watch(args, url, run, register, workers, published, tmp)
            if run.kill and run.killed_pid is None:
                run.problems.append("no worker was killed: the push ended before half-way")
            elif run.kill and not run.held_at_kill:
                run.problems.append("the workers held no pushes when one was killed: nothing was tested")
            tally(url, emulator, run, register, template_id, published)
            runs.append(run)
    finally:
        for worker in workers:
            stop(worker)
        for process in processes:
            stop(process, signal.SIGTERM)

    report(args, register, runs, tmp)
    problems = [f"run {n} ({run.name}): {p}" for n, run in enumerate(runs, start=1) for p in run.problems]
    clean = runs[0]
    met = (clean.inbox_s or 1e9) < TARGET_INBOX_S and (clean.push_s or 1e9) < TARGET_PUSH_S
    print(
        f"\ntargets (clean run): inboxes < {TARGET_INBOX_S:.0f} s, pushes < {TARGET_PUSH_S:.0f} s:"
        f" {'met' if met else 'MISSED'}; duplicates and losses: {'none' if not problems else 'FAILED'}"
    )
    for problem in problems:
        print(f"  - {problem}")
    return 1 if problems or (args.check and not met) else 0


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} s"


def report(args, register: Register, runs: list[Run], tmp: Path) -> None:
    from server.config import Config

    config = Config()
    print(
        f"\n{register.members:,d} members; {args.workers} worker processes x {args.worker_threads} threads;"
        f" PUSH_BATCH_SIZE {config.PUSH_BATCH_SIZE}, PUSH_CLAIM_SIZE {config.PUSH_CLAIM_SIZE},"
        f" PUSH_THREADS {config.PUSH_THREADS}, PUSH_JOBS {config.PUSH_JOBS};"
        f" load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}; logs in {tmp}"
    )
    print("\n| run | every inbox | every push settled | last message | messages | push rows by status |")
    print("| --- | --- | --- | --- | --- | --- |")
    for run in runs:
        statuses = ", ".join(f"{k} {v:,d}" for k, v in sorted(run.statuses.items()))
        print(
            f"| {run.name} | {seconds(run.inbox_s)} | {seconds(run.push_s)} | {seconds(run.last_message_s)} |"
            f" {run.messages:,d} | {statuses} |"
        )
    for run in runs:
        peaks = ", ".join(f"{rss / 2**20:.0f} MiB" for rss in run.peak_rss.values())
        print(f"\npeak worker RSS, {run.name}: {peaks} (pid by pid, restarted ones included)")
        losses = {f"{consent}, {status}": n for (consent, status), n in sorted(run.losses.items())}
        print(
            f"  duplicates {run.duplicates}; losses {sum(run.losses.values())} {losses or ''};"
            f" messages to members without consent {run.unexpected}"
        )
        worker_cpu = cpu_seconds(run, [pid for pid in run.cpu_last if pid != run.emulator_pid])
        emulator_cpu = cpu_seconds(run, [run.emulator_pid])
        per_message = 1000 / max(1, run.messages)
        rate = run.messages / run.push_s if run.push_s else 0
        print(
            f"  {rate:,.0f} pushes/s; CPU: workers {worker_cpu:.1f} s ({worker_cpu * per_message:.2f} ms a message),"
            f" emulator {emulator_cpu:.1f} s ({emulator_cpu * per_message:.2f} ms a message)"
        )
        if run.killed_pid:
            print(
                f"  worker {run.killed_pid} killed with {run.killed_at_sent:,d} sent, {run.held_at_kill} rows"
                f" sending (both workers'); a lease later {run.resent} were sent again"
                f" ({run.confirmed_by_43101} of them refused with 43101: the first call had got through)"
                f" and {run.statuses['uncertain']} left uncertain"
            )


if __name__ == "__main__":
    sys.exit(main())
