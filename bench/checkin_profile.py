"""Where a check-in's time goes: SQL statements per request and a cProfile of the app, in one process.

Run after ``bench/checkin_bench.py`` (it reuses that database, whose members and sessions it left):

    .venv/bin/python bench/checkin_profile.py [--members 500] [--top 30] [--sort tottime]

It schedules a fresh meeting for the bench branch, gives every member a new session, and checks the first
``--members`` of them in through ``app.test_client()`` (the whole Flask stack, no gunicorn, no network):
it prints the SQL statements of one check-in, the statement count and wall time per check-in, and the
functions that cost the most (cumulative), so a change in server/ can be weighed before it is made.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent))

from checkin_bench import DEFAULT_REDIS, DEFAULT_URL, SECRET_KEY  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime, ...")
    args = parser.parse_args()
    os.environ.update(
        DATABASE_URL=os.environ.get("CHECKIN_BENCH_DATABASE_URL", DEFAULT_URL),
        REDIS_URL=os.environ.get("CHECKIN_BENCH_REDIS_URL", DEFAULT_REDIS),
        SECRET_KEY=SECRET_KEY,
        MEETING_CODE_TTL="600",
        INSTANCE_DIR="/tmp/checkin-profile-instance",
        TRUSTED_PROXIES="0",
        EDANGWU_STAGING="1",  # PostgreSQL with the emulator's settings: not production, on purpose
    )
    import logging

    import sqlalchemy as sa

    from server import create_app
    from server.auth.member_services import _start_session
    from server.db import db, utcnow
    from server.meetings.codes import meeting_code
    from server.meetings.models import MeetingKind
    from server.meetings.services import create_meeting
    from server.members.models import Member
    from server.orgs.models import Organisation, OrgKind

    app = create_app({"LOG_LEVEL": "WARNING"})
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    with app.app_context():
        branch = db.session.scalar(sa.select(Organisation).where(Organisation.kind == OrgKind.BRANCH).limit(1))
        now = utcnow()
        meeting = create_meeting(
            kind=MeetingKind.THEME_DAY,
            title=f"签到剖析 {now:%H:%M:%S}",
            organiser=branch,
            starts_at=now + timedelta(minutes=10),
            ends_at=now + timedelta(hours=2),
        )
        members = list(db.session.scalars(sa.select(Member).where(Member.org_id == branch.id).limit(args.members)))
        tokens = [_start_session(member, f"profile-{member.id}").token for member in members]
        meeting_id, code = meeting.id, meeting_code(meeting)
        db.session.commit()
        db.session.remove()

    statements: list[str] = []

    @sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    client = app.test_client()
    path = f"/api/meetings/{meeting_id}/checkin"

    def check_in(token: str) -> None:
        response = client.post(path, json={"code": code}, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200 and response.json["already"] is False, response.json

    check_in(tokens[0])  # warm: compiled statements, prepared plans
    statements.clear()
    check_in(tokens[1])
    print("SQL of one check-in:")
    for statement in statements:
        print(f"  {statement[:150]}")

    # Half without the profiler (its wall and CPU time per check-in), half under cProfile.
    plain, profiled = tokens[2 : len(tokens) // 2], tokens[len(tokens) // 2 :]
    statements.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    for token in plain:
        check_in(token)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    kinds = Counter(statement.split()[0] for statement in statements)
    print(
        f"\n{len(plain)} check-ins in one thread, no profiler: {1000 * wall / len(plain):.2f} ms wall and "
        f"{1000 * cpu / len(plain):.2f} ms CPU of this process each; {len(statements) / len(plain):.1f} "
        f"statements each ({dict(kinds)}, plus COMMIT)"
    )
    profile = cProfile.Profile(time.process_time)  # CPU time: waiting on PostgreSQL is not counted
    profile.enable()
    for token in profiled:
        check_in(token)
    profile.disable()
    print(f"cProfile of {len(profiled)} more:")
    stats = pstats.Stats(profile)
    by_package: Counter[str] = Counter()
    for (filename, _, _), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        parts = Path(filename).parts
        if "site-packages" in parts:
            package = parts[parts.index("site-packages") + 1]
        elif "server" in parts:
            package = "server (ours)"
        else:
            package = "python stdlib/builtins" if filename.startswith(("~", "<")) or "python3" in filename else filename
        by_package[package] += tottime
    total = sum(by_package.values())
    print("CPU by package (own time, share of the profiled total):")
    for package, seconds in by_package.most_common(12):
        print(f"  {package:<28} {100 * seconds / total:5.1f} %")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats(args.sort).print_stats(args.top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
