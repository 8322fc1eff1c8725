"""Machines fail, releases change: drills on the local stack (deploy/local_stack.py) under check-in load.

    .venv/bin/python deploy/drills.py failover   # make drill-failover
    .venv/bin/python deploy/drills.py upgrade    # make drill-upgrade

The load: ``--concurrency`` members (default 30) of 综合办公室党支部, each in a loop, scan the projected code of
an open meeting through nginx (POST /api/meetings/<id>/checkin over HTTPS, the mini-program's call; the code
refreshed every 5 s as the projector does). A request fails when it gets no answer or anything but 200.

failover, in turn, each under load, counting the failed requests of each step:
  1. web1 stopped gracefully (SIGTERM: gunicorn finishes what it has; nginx sends new requests to web2),
     started again;
  2. web2's machine dies (SIGKILL to master and workers; nginx's connection is refused: next upstream),
     started again;
  3. PostgreSQL restarted (fast: every connection dropped); the pools reconnect by themselves;
  4. Redis restarted (the job queue, sessions, rate limits); the app reconnects by itself, and the
     secretary's admin session, kept in Redis with append-only persistence, still works afterwards;
  5. a job worker killed (SIGKILL) while it sends meeting reminders to the branch's members through the
     emulator: the sweep queues the rest again (what the scheduler does every ten minutes; the drill runs
     it as soon as the lease has passed) and the other worker sends them; the emulator's record shows
     who got how many reminders (target: nobody twice).

upgrade: the stack's database is stepped back one migration first (so there is something to apply), then,
under load, ``local_stack.py upgrade`` (deploy/upgrade.py's check, `db upgrade` while the old code serves,
web1 and web2 restarted one at a time, each taken out of nginx first and put back when /healthz answers).
Target: 0 failed requests.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import requests

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]
import local_stack  # noqa: E402
import smoke  # noqa: E402

CODE_REFRESH_S = 5


# -- the load ------------------------------------------------------------------------------------------------


@dataclass
class Drill:
    meeting_id: int
    code_secret: str
    tokens: list[str]
    branch_id: int


def prepare(members: int) -> Drill:
    """A meeting of shuji1's branch open for check-in, and a mini-program session for ``members`` of its members."""
    import sqlalchemy as sa

    from server.audit.context import SYSTEM, acting_as
    from server.auth.models import AdminUser, MemberSession
    from server.auth.tokens import digest, new_token
    from server.db import db, utcnow
    from server.members.models import Member

    with smoke.app_context(), acting_as(SYSTEM):
        secretary = db.session.scalar(sa.select(AdminUser).where(AdminUser.username == smoke.SECRETARY))
        branch = secretary.org
        now = utcnow()
        meeting = smoke.open_theme_day(branch, secretary, f"演练：签到压力下的故障 {time.strftime('%H:%M:%S')}")
        member_ids = db.session.scalars(sa.select(Member.id).where(Member.org_id == branch.id).limit(members)).all()
        tokens = [new_token() for _ in member_ids]
        db.session.execute(
            sa.insert(MemberSession),
            [
                {
                    "token_hash": digest(token),
                    "member_id": member_id,
                    "openid": f"drill-{member_id}-{time.time_ns()}",
                    "created_at": now,
                    "expires_at": now + timedelta(days=1),
                }
                for token, member_id in zip(tokens, member_ids, strict=True)
            ],
        )
        db.session.commit()
        drill = Drill(meeting.id, meeting.code_secret, tokens, branch.id)
        db.engine.dispose()
    return drill


@dataclass
class Load:
    drill: Drill
    concurrency: int
    events: list[tuple[float, bool, str]] = field(default_factory=list)  # (time, ok, what failed)
    _stop: threading.Event = field(default_factory=threading.Event)
    _code: tuple[float, str] = (0.0, "")
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def code(self) -> str:
        from itsdangerous import URLSafeTimedSerializer

        with self._lock:
            made, code = self._code
            if time.monotonic() - made > CODE_REFRESH_S:
                signed = URLSafeTimedSerializer(self.drill.code_secret, salt="meeting-checkin").dumps(
                    self.drill.meeting_id
                )
                code = f"M{self.drill.meeting_id}.{signed}"
                self._code = (time.monotonic(), code)
            return code

    def _member(self, index: int) -> None:
        session = requests.Session()
        session.verify, session.trust_env = str(local_stack.CA_FILE), False
        token = self.drill.tokens[index % len(self.drill.tokens)]
        url = f"{local_stack.BASE_URL}/api/meetings/{self.drill.meeting_id}/checkin"
        headers = {"Authorization": f"Bearer {token}"}
        while not self._stop.is_set():
            try:
                response = session.post(url, json={"code": self.code()}, headers=headers, timeout=30)
                ok, what = response.status_code == 200, f"HTTP {response.status_code}"
            except requests.RequestException as exc:
                ok, what = False, type(exc).__name__
            self.events.append((time.monotonic(), ok, "" if ok else what))
            if not ok:
                time.sleep(0.2)  # a member taps again after a moment, not a thousand times a second

    def start(self) -> Load:
        self.threads = [threading.Thread(target=self._member, args=(i,), daemon=True) for i in range(self.concurrency)]
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        for thread in self.threads:
            thread.join(40)

    def since(self, start: float, end: float | None = None) -> tuple[int, int, Counter, float]:
        """Requests answered in [start, end): total, failed, what failed, seconds from first to last failure."""
        window = [e for e in list(self.events) if e[0] >= start and (end is None or e[0] < end)]
        failed = Counter(e[2] for e in window if not e[1])
        times = [e[0] for e in window if not e[1]]
        return len(window), sum(failed.values()), failed, (max(times) - min(times)) if times else 0.0


@dataclass
class Step:
    name: str
    requests: int
    failed: int
    failures: Counter
    span: float = 0.0
    note: str = ""

    def line(self) -> str:
        kinds = ", ".join(f"{k} x{v}" for k, v in self.failures.most_common()) or "-"
        span = f", within {self.span:.1f} s" if self.failed else ""
        return f"  {self.name:52s} {self.requests:6d} requests {self.failed:4d} failed ({kinds}{span}) {self.note}"


def run_step(load: Load, name: str, action, settle: float = 3.0) -> Step:
    """``action()`` under load, then ``settle`` seconds more; the failures of that whole span."""
    started = time.monotonic()
    note = action() or ""
    time.sleep(settle)
    total, failed, failures, span = load.since(started)
    step = Step(name, total, failed, failures, span, note)
    print(step.line(), flush=True)
    return step


def after(load: Load, seconds: float = 5.0) -> Step:
    started = time.monotonic()
    time.sleep(seconds)
    total, failed, failures, span = load.since(started)
    step = Step(f"    then, for {seconds:.0f} s", total, failed, failures, span)
    print(step.line(), flush=True)
    return step


# -- the failover steps --------------------------------------------------------------------------------------


def stop_web_gracefully() -> str:
    local_stack.stop_piece("web1")
    time.sleep(5)  # web2 alone
    local_stack.start_piece(local_stack.piece("web1"))
    return "web1 down ~5 s, then started"


def kill_web_machine() -> str:
    pid = local_stack.pid_of("web2")
    os.killpg(pid, signal.SIGKILL)  # master and workers at once, as a power cut would
    time.sleep(5)
    local_stack.stop("web2")  # clears the pid file
    local_stack.start_piece(local_stack.piece("web2"))
    return "web2 killed, ~5 s later started"


def restart_postgres() -> str:
    started = time.monotonic()
    local_stack.pg_restart()
    return f"restart took {time.monotonic() - started:.1f} s"


def restart_redis(admin: requests.Session) -> str:
    started = time.monotonic()
    local_stack.redis_stop()
    time.sleep(2)
    local_stack.redis_start()
    took = time.monotonic() - started
    answers = []
    for _ in range(3):  # the secretary reloads the page after a moment
        try:
            page = admin.get(f"{local_stack.BASE_URL}/admin/members/", timeout=10, allow_redirects=False)
            answers.append(f"HTTP {page.status_code}")
        except requests.RequestException as exc:
            answers.append(type(exc).__name__)
        time.sleep(2)
    return f"Redis down {took:.1f} s; the secretary's admin page afterwards: {', '.join(answers)}"


def admin_session() -> requests.Session:
    admin = requests.Session()
    admin.verify, admin.trust_env = str(local_stack.CA_FILE), False
    response = smoke.admin_login(admin, local_stack.BASE_URL)
    if response.status_code != 302:
        raise SystemExit(f"drill: the secretary could not log in: HTTP {response.status_code}")
    return admin


# -- the job worker step: reminders, a worker killed while it sends them ---------------------------------------


def reminder_drill(lease_minutes: int) -> list[str]:
    """Bind and give consent to every member of the branch, schedule a meeting for tomorrow, queue its reminders
    with worker2 and the scheduler paused so worker1 takes the job, kill worker1 mid-way, resume the others, run
    the sweep after the lease; then count each member's reminders in the emulator's record."""
    import sqlalchemy as sa

    from server.audit.context import SYSTEM, acting_as
    from server.auth.models import BindMethod, WechatBinding
    from server.db import db, utcnow
    from server.meetings import tasks as meeting_tasks
    from server.meetings.models import MeetingKind, MeetingReminder
    from server.meetings.services import create_meeting
    from server.members.models import Member
    from server.orgs.models import Organisation, OrgKind
    from server.subscriptions.services import deployment_templates
    from server.wechat.emulator.state import EmulatorState

    emulator = f"http://127.0.0.1:{local_stack.EMULATOR_PORT}"
    lines = []
    os.environ["JOB_LEASE_MINUTES"] = str(lease_minutes)
    with smoke.app_context(), acting_as(SYSTEM):
        openid_of = EmulatorState(
            appid=os.environ.get("WECHAT_APPID", "wx_demo_appid"), secret=os.environ.get("WECHAT_SECRET", "demo_secret")
        ).openid
        template_id = dict(deployment_templates())["meeting_reminder"]
        # The whole committee's members take part in a committee meeting: every bound member is reminded.
        members = db.session.scalars(sa.select(Member).order_by(Member.id)).all()
        bound = {b.member_id: b.openid for b in db.session.scalars(sa.select(WechatBinding))}
        for member in members:
            if member.id not in bound:
                openid = openid_of(f"drill-member-{member.id}")
                db.session.add(WechatBinding(openid=openid, member_id=member.id, method=BindMethod.PHONE))
                bound[member.id] = openid
        db.session.commit()
        users = {openid: member_id for member_id, openid in bound.items()}
        # Reachable in the emulator: the members the drill bound (the demo's own bindings have made-up openids).
        reachable = {m.id for m in members if bound[m.id] == openid_of(f"drill-member-{m.id}")}
        # Consent in WeChat (the emulator) for every bound member: each reminder sent is delivered and recorded.
        taps = [f"drill-member-{m.id}" for m in members if bound[m.id] == openid_of(f"drill-member-{m.id}")]
        requests.post(
            f"{emulator}/_phone/subscribe_many",
            json={"users": taps, "template_ids": [template_id], "times": 2},
            timeout=60,
        ).raise_for_status()
        root = db.session.scalar(
            sa.select(Organisation).where(Organisation.parent_id.is_(None)).order_by(Organisation.id)
        )
        branches = db.session.scalars(sa.select(Organisation).where(Organisation.kind == OrgKind.BRANCH)).all()
        now = utcnow()
        meeting = create_meeting(
            kind=MeetingKind.PARTY_LECTURE,
            title=f"演练：明天的党课 {time.strftime('%H:%M:%S')}",
            organiser=root,
            participants=branches,
            place="党员活动室",  # the reminder's template shows the place: WeChat refuses an empty one
            starts_at=now + timedelta(hours=20),
            ends_at=now + timedelta(hours=22),
        )
        db.session.commit()
        meeting_id = meeting.id

        paused = [local_stack.pid_of("worker2"), local_stack.pid_of("scheduler")]
        for pid in paused:
            os.kill(pid, signal.SIGSTOP)
        # A paused consumer may have a blocking pop pending in Redis, which would hand it the job: let those
        # time out (1 s, server/tasks.py) before queueing, so worker1 is the one that takes it.
        time.sleep(3)
        try:
            meeting_tasks.queue_reminders()  # what the scheduler's ten-minute sweep does
            from server.tasks import huey

            lines.append(f"reminders of meeting #{meeting_id} queued ({huey.pending_count()} job(s) waiting)")
            started = time.monotonic()
            before = 0
            while time.monotonic() - started < 60:
                before = db.session.scalar(
                    sa.select(sa.func.count())
                    .select_from(MeetingReminder)
                    .where(MeetingReminder.meeting_id == meeting_id)
                )
                db.session.rollback()
                if before >= 40:
                    break
                time.sleep(0.05)
            os.killpg(local_stack.pid_of("worker1"), signal.SIGKILL)
            lines.append(f"worker1 killed (SIGKILL) after claiming {before} of the reminders")
        finally:
            for pid in paused:
                os.kill(pid, signal.SIGCONT)
        local_stack.stop("worker1")
        local_stack.start_piece(local_stack.piece("worker1"))
        claimed = db.session.scalar(
            sa.select(sa.func.count()).select_from(MeetingReminder).where(MeetingReminder.meeting_id == meeting_id)
        )
        db.session.rollback()
        lines.append(f"{claimed} reminders claimed when the job died; waiting out the {lease_minutes}-minute lease")
        time.sleep(lease_minutes * 60 + 2)
        requeued = meeting_tasks.queue_reminders()
        lines.append(f"the sweep queued meeting(s) {requeued} again; worker2 or the scheduler takes the job")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            outcomes = dict(
                db.session.execute(
                    sa.select(MeetingReminder.outcome, sa.func.count())
                    .where(MeetingReminder.meeting_id == meeting_id)
                    .group_by(MeetingReminder.outcome)
                ).all()
            )
            db.session.rollback()
            if sum(outcomes.values()) >= len(bound) and outcomes.get("sending", 0) <= 1:
                break
            time.sleep(1)
        outcomes = {getattr(k, "value", k): v for k, v in outcomes.items()}
        lines.append(f"reminders by outcome in the database: {outcomes} (bound members: {len(bound)})")
        db.engine.dispose()

    messages = requests.get(f"{emulator}/_phone/messages", timeout=60).json()
    ours = [m for m in messages if (m.get("page") or "").endswith(f"meeting={meeting_id}")]
    per_member = Counter(users.get(m["openid"]) for m in ours)
    twice = sum(1 for count in per_member.values() if count > 1)
    missing = sum(1 for member_id in reachable if not per_member[member_id])
    lines.append(
        f"emulator: {len(ours)} reminders delivered to {len(per_member)} members ({len(reachable)} bound and"
        f" consenting in the emulator); received twice: {twice}; consenting but never received: {missing}"
        " (the one in the killed worker's hands when it died is not sent again: it may have arrived)"
    )
    return lines


# -- the drills -------------------------------------------------------------------------------------------------


def failover(args: argparse.Namespace) -> int:
    drill = prepare(args.concurrency)
    admin = admin_session()
    print(
        f"drill: {args.concurrency} members checking in through nginx ({local_stack.BASE_URL}),"
        f" meeting #{drill.meeting_id}"
    )
    load = Load(drill, args.concurrency).start()
    steps = [run_step(load, "baseline, both instances up", lambda: time.sleep(5), settle=0)]
    # settle 12 s: nginx tries a failed instance again after fail_timeout (10 s); two machines failing within
    # that time is a real outage, not a failover.
    if "1" in args.steps:
        steps.append(run_step(load, "1. web1 stopped gracefully (SIGTERM), restarted", stop_web_gracefully, settle=12))
    if "2" in args.steps:
        steps.append(run_step(load, "2. web2's machine dies (SIGKILL), restarted", kill_web_machine, settle=12))
    if "3" in args.steps:
        steps.append(run_step(load, "3. PostgreSQL restarted", restart_postgres, settle=1))
        steps.append(after(load))
    if "4" in args.steps:
        steps.append(run_step(load, "4. Redis restarted", lambda: restart_redis(admin), settle=1))
        steps.append(after(load))
    load.stop()
    if "5" in args.steps:
        print("drill: 5. a job worker killed while sending meeting reminders", flush=True)
        for line in reminder_drill(args.lease_minutes):
            print(f"  {line}", flush=True)
    print("drill: failed requests per step")
    for step in steps:
        print(step.line())
    return 0


def upgrade(args: argparse.Namespace) -> int:
    env = local_stack.stack_env()
    flask = [str(local_stack.VENV_BIN / "flask"), "--app", "wsgi"]
    import upgrade as upgrading  # deploy/upgrade.py

    head = upgrading.current_revision(env["DATABASE_URL"])
    previous = upgrading.revision_files()[head][0]
    subprocess.run(
        [*flask, "db", "downgrade", previous], cwd=local_stack.ROOT, env=env, check=True, capture_output=True
    )
    print("drill: the stack's database stepped back one migration, so the upgrade has one to apply")
    drill = prepare(args.concurrency)
    print(
        f"drill: {args.concurrency} members checking in through nginx ({local_stack.BASE_URL}),"
        f" meeting #{drill.meeting_id}"
    )
    load = Load(drill, args.concurrency).start()
    baseline = run_step(load, "baseline", lambda: time.sleep(5), settle=0)
    started = time.monotonic()
    local_stack.upgrade()
    took = time.monotonic() - started
    time.sleep(3)
    total, failed, failures, span = load.since(started)
    load.stop()
    step = Step("rolling upgrade (migrate, web1, web2, workers)", total, failed, failures, span, f"took {took:.0f} s")
    print("drill: failed requests")
    print(baseline.line())
    print(step.line())
    return 1 if failed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("drill", choices=["failover", "upgrade"])
    parser.add_argument("--concurrency", type=int, default=30)
    parser.add_argument("--lease-minutes", type=int, default=1, help="the job lease the sweep waits out")
    parser.add_argument("--steps", default="12345", help="failover steps to run, e.g. 45")
    args = parser.parse_args()
    if not local_stack.pid_of("nginx"):
        raise SystemExit("drill: the local stack is not running: make stack-up")
    sys.exit({"failover": failover, "upgrade": upgrade}[args.drill](args))


if __name__ == "__main__":
    main()
