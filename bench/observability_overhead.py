"""CPU per request with and without the observability hooks (request id, metrics, JSON-ready log records).

The embedded default's app on a fresh SQLite file, driven in-process by Flask's test client, so only this
process's CPU is counted (time.process_time): no server, no network, little noise from a busy machine.
Rounds alternate hooks on and hooks off (the request hooks removed, the check-in counter a no-op):

    .venv/bin/python bench/observability_overhead.py            # 7 rounds of 400 requests of each kind

Two kinds of request: ``GET /livez`` (the least a request does, where fixed costs show most) and a
member's check-in scan (``POST /api/meetings/<id>/checkin``, a repeat scan: token, meeting, attendance
read, the repeat logged). Prints the median CPU per request of each, on and off, and the difference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ["INSTANCE_DIR"] = tempfile.mkdtemp(prefix="edangwu-obs-bench-")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from server import create_app
from server.observability import metrics


def seed(app):
    from datetime import date

    from flask_migrate import upgrade

    from server.auth.member_services import _start_session
    from server.db import db, utcnow
    from server.meetings import codes
    from server.meetings.models import MeetingKind
    from server.meetings.services import create_meeting
    from server.members.models import DuesCategory, Gender, MemberStatus
    from server.members.schemas import clean_member_data
    from server.members.services import create_member
    from server.orgs.models import OrgKind
    from server.orgs.services import create_org

    with app.app_context():
        upgrade()
        committee = create_org("基准党委", OrgKind.COMMITTEE, None)
        branch = create_org("基准支部", OrgKind.BRANCH, committee)
        member = create_member(
            clean_member_data(
                {
                    "name": "张三",
                    "gender": Gender.MALE,
                    "birth_date": date(1980, 1, 1),
                    "join_date": date(2005, 7, 1),
                    "full_member_date": date(2006, 7, 1),
                    "status": MemberStatus.FULL,
                    "dues_category": DuesCategory.EMPLOYED,
                    "dues_base_yuan": Decimal("5000"),
                    "org_id": branch.id,
                }
            )
        )
        starts = utcnow() + timedelta(minutes=10)
        meeting = create_meeting(
            kind=MeetingKind.THEME_DAY,
            title="基准会议",
            organiser=branch,
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            checkin_closes_at=starts + timedelta(hours=2),
        )
        db.session.commit()
        token = _start_session(member, "openid-bench").token
        db.session.commit()
        return meeting.id, token, lambda: codes.meeting_code(db.session.get(type(meeting), meeting.id))


def hooks_off(app) -> dict:
    """Remove the observability request hooks; returns what to put back."""
    saved = {
        "before": list(app.before_request_funcs[None]),
        "after": list(app.after_request_funcs[None]),
        "teardown": list(app.teardown_request_funcs[None]),
        "count_checkin": metrics.count_checkin,
    }
    ours = lambda f: f.__module__.startswith("server.observability")  # noqa: E731
    app.before_request_funcs[None] = [f for f in saved["before"] if not ours(f)]
    app.after_request_funcs[None] = [f for f in saved["after"] if not ours(f)]
    app.teardown_request_funcs[None] = [f for f in saved["teardown"] if not ours(f)]
    metrics.count_checkin = lambda *a: None
    return saved


def hooks_on(app, saved: dict) -> None:
    app.before_request_funcs[None] = saved["before"]
    app.after_request_funcs[None] = saved["after"]
    app.teardown_request_funcs[None] = saved["teardown"]
    metrics.count_checkin = saved["count_checkin"]


def cpu_per_request(send, n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        send()
    return (time.process_time() - started) / n


def hooks_alone(app, n: int = 20_000) -> float:
    """The observability hooks called by themselves, as Flask calls them for a check-in, n times."""
    from flask import Response

    ours = lambda f: f.__module__.startswith("server.observability")  # noqa: E731
    before = [f for f in app.before_request_funcs[None] if ours(f)]
    after = [f for f in reversed(app.after_request_funcs[None]) if ours(f)]
    teardown = [f for f in app.teardown_request_funcs[None] if ours(f)]
    response = Response("{}")
    with app.test_request_context("/api/meetings/1/checkin", method="POST") as context:
        context.request.url_rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "meetings_api.check_in")
        started = time.process_time()
        for _ in range(n):
            for f in before:
                f()
            for f in after:
                f(response)
            for f in teardown:
                f(None)
        return (time.process_time() - started) / n * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    app = create_app({"SERVER_NAME": "localhost", "MEETING_CODE_TTL": 3600})  # one code for the whole run
    meeting_id, token, code_for = seed(app)
    client = app.test_client()
    with app.app_context():
        code = code_for()
    headers = {"Authorization": f"Bearer {token}"}
    first = client.post(f"/api/meetings/{meeting_id}/checkin", json={"code": code}, headers=headers)
    assert first.status_code == 200, first.get_json()

    def livez():
        assert client.get("/livez").status_code == 200

    def checkin():
        response = client.post(f"/api/meetings/{meeting_id}/checkin", json={"code": code}, headers=headers)
        assert response.status_code == 200, response.get_json()

    results: dict[tuple[str, str], list[float]] = {}
    for round_ in range(args.rounds):
        for state in ("on", "off") if round_ % 2 == 0 else ("off", "on"):
            saved = hooks_off(app) if state == "off" else None
            for name, send in (("GET /livez", livez), ("POST check-in (repeat scan)", checkin)):
                send()  # warm
                results.setdefault((name, state), []).append(cpu_per_request(send, args.requests))
            if saved:
                hooks_on(app, saved)
    print(f"hooks alone (request id, timer, counter, histogram, header), {hooks_alone(app):.1f} µs CPU per request")
    print(f"CPU per request, median of {args.rounds} rounds x {args.requests} requests (time.process_time)")
    for name in ("GET /livez", "POST check-in (repeat scan)"):
        on, off = (statistics.median(results[(name, s)]) * 1e6 for s in ("on", "off"))
        change = f"{on - off:+6.0f} µs ({(on - off) / off:+.1%})"
        print(f"  {name:30s} hooks on {on:7.0f} µs   off {off:7.0f} µs   difference {change}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
