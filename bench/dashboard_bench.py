"""Time the admin dashboard (首页) for the whole committee at 140,000 members, beside the subtree queries.

The dashboard is the member figures (server/members/stats.py) and the month's panels (server/admin/
dashboard.py: meetings, dues, newspaper). ``bench/generate.py`` loads organisations and members only, so
this first adds a month of activity to the bench database, once (kept for the next run):

- this month: a 支委会 and a 主题党日 held by every branch and a 党小组会 by every party group (started
  between the 1st and two hours ago), a 支部党员大会 scheduled in three days; about 6 in 7 of the expected
  members checked in, one in ten of them late;
- dues bills for every member for this month and the eleven before (1.7 million rows), this month three
  in five paid, the earlier months all paid;
- one newspaper issue of the root committee in every member's inbox, three in five opened.

Then it times, for the committee of the root (as its org_admin opens 首页):

- each part counted now, and all of them: what a page pays when it counts while the secretary waits
  (a branch's page always does; a large subtree's only when the periodic job has stopped);
- the periodic job that counts every large subtree (``admin.dashboard_counts.refresh``, once a minute);
- the dashboard's answer (``admin.dashboard.figures``), which for a subtree this large reads the job's
  count: nothing is kept in the process.

Each run starts on a fresh session, as a request does. It prints p50/p95/max wall time, the CPU time of
this process and of the database's server process per run (read from /proc when the database runs on
this machine: on a busy machine CPU time compares before and after where wall time cannot).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/edangwu_bench python bench/dashboard_bench.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/edangwu_bench"
BENCH_TITLE = "压测会议"

MEETINGS = """
INSERT INTO meetings (kind, title, organiser_org_id, starts_at, ends_at, place, checkin_opens_at,
                      checkin_closes_at, code_secret, created_at, strict_checkin)
SELECT k.kind, :title, COALESCE(CASE WHEN k.kind = 'group_meeting' THEN o.parent_id END, o.id), s.starts,
       s.starts + interval '2 hours', 'bench:' || o.id, s.starts - interval '30 minutes',
       s.starts + interval '2 hours', md5(o.id || k.kind), s.starts - interval '5 days', false
FROM organisations o
JOIN (VALUES ('branch_committee', 'branch', 0), ('theme_day', 'branch', 1), ('branch_assembly', 'branch', 2),
             ('group_meeting', 'group', 1)) AS k(kind, level, slot) ON k.level = o.kind
CROSS JOIN LATERAL (
    SELECT CASE WHEN k.slot = 2 THEN CAST(:now AS timestamptz) + interval '3 days'
                ELSE CAST(:since AS timestamptz) + (CAST(:now AS timestamptz) - interval '2 hours'
                     - CAST(:since AS timestamptz)) * ((o.id % 97) + 97 * k.slot) / 200.0 END AS starts
) AS s
"""
PARTICIPANTS = """
INSERT INTO meeting_participants (meeting_id, org_id)
SELECT id, CAST(split_part(place, ':', 2) AS integer) FROM meetings WHERE title = :title
"""
ATTENDANCE = """
INSERT INTO attendances (meeting_id, member_id, status, method, note, checked_in_at, flags)
SELECT m.id, mb.id, CASE WHEN mb.id % 10 = 0 THEN 'late' ELSE 'present' END, 'meeting_code', '', m.starts_at, ''
FROM meetings m
JOIN meeting_participants p ON p.meeting_id = m.id
JOIN members mb ON mb.{column} = p.org_id
WHERE m.title = :title AND m.ends_at < :now AND (mb.id + m.id) % 7 <> 0
"""
PAYMENT = """
INSERT INTO dues_payments (out_trade_no, member_id, org_id, payer_kind, payer_name, channel, status, amount_fen,
                           extra_fen, refunded_fen, note, receipt_no, paid_at, created_at)
SELECT 'BENCH', id, org_id, 'self', '压测', 'cash', 'paid', 1, 0, 0, '', 'BENCH', :now, :now FROM members
ORDER BY id LIMIT 1
RETURNING id
"""
BILLS = """
INSERT INTO dues_bills (member_id, org_id, month, rule_id, category, base_fen, amount_fen, status,
                        voluntary_extra_fen, note, created_at, paid_by_payment_id, paid_at)
SELECT mb.id, mb.org_id, m.month, :rule, mb.dues_category, mb.dues_base_fen, GREATEST(mb.dues_base_fen / 200, 20),
       CASE WHEN paid THEN 'paid' ELSE 'unpaid' END, 0, '', m.month, CASE WHEN paid THEN :payment END,
       CASE WHEN paid THEN CAST(m.month AS timestamptz) + interval '3 days' END
FROM members mb
CROSS JOIN (SELECT CAST(generate_series(CAST(:first AS date), CAST(:month AS date), interval '1 month') AS date)
            AS month) AS m
CROSS JOIN LATERAL (SELECT m.month < :month OR mb.id % 5 < 3 AS paid) AS p
"""
ISSUE = """
INSERT INTO news_issues (org_id, number, title, status, review_note, urgent, created_at, published_at)
SELECT id, 1, :title, 'published', '', false, :now, :now FROM organisations WHERE parent_id IS NULL
ORDER BY id LIMIT 1
RETURNING id
"""
INBOX = """
INSERT INTO inbox_items (member_id, kind, ref_id, delivered_at, read_at)
SELECT id, 'newspaper', :issue, :now, CASE WHEN id % 5 < 3 THEN CAST(:now AS timestamptz) END FROM members
"""


def _seed(db) -> None:
    """Add the month's activity once (the bench database keeps it)."""
    import sqlalchemy as sa

    from server.db import utcnow
    from server.dues.months import add_months, current_month
    from server.dues.rules import ensure_rules_2008
    from server.meetings.compliance_rules import local_midnight

    if db.session.scalar(sa.text("SELECT 1 FROM meetings WHERE title = :t LIMIT 1"), {"t": BENCH_TITLE}):
        return
    started = time.perf_counter()
    now, month = utcnow(), current_month()
    params = {"title": BENCH_TITLE, "now": now, "since": local_midnight(month)}
    db.session.execute(sa.text(MEETINGS), params)
    db.session.execute(sa.text(PARTICIPANTS), params)
    for column in ("org_id", "group_id"):
        db.session.execute(sa.text(ATTENDANCE.format(column=column)), params)
    rule = ensure_rules_2008()
    db.session.flush()
    payment = db.session.execute(sa.text(PAYMENT), params).scalar_one()
    bills = {"rule": rule.id, "payment": payment, "first": add_months(month, -11), "month": month}
    db.session.execute(sa.text(BILLS), bills)
    issue = db.session.execute(sa.text(ISSUE), params).scalar_one()
    db.session.execute(sa.text(INBOX), {**params, "issue": issue})
    db.session.commit()
    for table in ("meetings", "meeting_participants", "attendances", "dues_bills", "inbox_items", "news_issues"):
        db.session.execute(sa.text(f"ANALYZE {table}"))
    db.session.commit()
    print(f"added a month of activity in {time.perf_counter() - started:.1f} s")


def _backend_cpu_ms(pid: int | None) -> float:
    """CPU time of the database server process ``pid`` so far (0 when it is not on this machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, TypeError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def measure(fn, runs: int, warmup: int) -> tuple[list[float], float, float]:
    """Wall times in ms, and this process's and the database server's CPU ms per run."""
    import sqlalchemy as sa

    from server.db import db

    pid = db.session.scalar(sa.text("SELECT pg_backend_pid()"))  # the pool holds one connection
    timings = []
    cpu = db_cpu = 0.0
    for i in range(warmup + runs):
        db.session.remove()
        started, cpu_started, db_started = time.perf_counter(), time.process_time(), _backend_cpu_ms(pid)
        fn()
        elapsed, cpu_used = (time.perf_counter() - started) * 1000, (time.process_time() - cpu_started) * 1000
        if i >= warmup:
            timings.append(elapsed)
            cpu += cpu_used
            db_cpu += _backend_cpu_ms(pid) - db_started
    db.session.remove()
    return timings, cpu / runs, db_cpu / runs


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--job-runs", type=int, default=5, help="runs of the periodic job (a second or more each)")
    parser.add_argument("--target-ms", type=float, default=50.0, help="p95 target for the dashboard's answer")
    parser.add_argument("--check", action="store_true", help="exit 1 if the dashboard answer's p95 misses the target")
    args = parser.parse_args(argv)

    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ["EDANGWU_STAGING"] = "1"  # PostgreSQL with the emulator's settings: not production, on purpose
    import sqlalchemy as sa

    from server import create_app
    from server.admin import dashboard, dashboard_counts
    from server.auth.scope import widest
    from server.db import db
    from server.dues.collection import month_collection
    from server.dues.months import current_month
    from server.meetings.month_summary import month_summary
    from server.members import stats
    from server.newspaper.latest import latest_reach
    from server.orgs.models import Organisation

    # one connection, so that the database's CPU per run is that of one server process
    app = create_app({"LOG_LEVEL": "WARNING", "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0}})
    with app.app_context():
        _seed(db)
        root_id, path = db.session.execute(
            sa.select(Organisation.id, Organisation.path).where(Organisation.parent_id.is_(None))
        ).one()  # the committee's account (org_admin of the root), as the 党委 opens its 首页

        def root() -> Organisation:
            return db.session.get_one(Organisation, root_id)

        def answer():
            figures, panels = dashboard.figures(path, root())
            assert panels.counted_at is not None, "the periodic job's count is missing or stale"
            return figures, panels

        counted_now = {
            "member figures": lambda: stats.dashboard(path, root()),
            "meetings panel": lambda: month_summary(widest(path), current_month()),
            "dues panel": lambda: month_collection(widest(path), current_month()),
            "newspaper panel": lambda: latest_reach(widest(path)),
            "all counted now": lambda: (stats.dashboard(path, root()), dashboard.panels(path)),
        }
        members = db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("members")))
        print(f"whole committee: {members:,d} members; {args.runs} runs each after {args.warmup} warm-up runs")
        load_before = os.getloadavg()[0]
        results = {name: measure(fn, args.runs, args.warmup) for name, fn in counted_now.items()}
        job_runs = max(1, min(args.runs, args.job_runs))
        results["periodic job"] = measure(dashboard_counts.refresh, job_runs, 1)
        dashboard_counts.refresh()  # what the page reads: counted within the minute, as the job keeps it
        results["dashboard answer"] = measure(answer, args.runs, args.warmup)
        print(f"1-minute load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after ({os.cpu_count()} CPUs)")
        print(f"{'part':<18} {'p50':>7} {'p95':>7} {'max':>7} {'app CPU':>8} {'db CPU':>7}  (ms)")
        missed = False
        for name, (timings, cpu, db_cpu) in results.items():
            p95 = percentile(timings, 95)
            verdict = ""
            if name == "dashboard answer":
                missed = p95 >= args.target_ms
                verdict = f"  target p95 < {args.target_ms:g}: {'MISSED' if missed else 'ok'}"
            median = statistics.median(timings)
            print(f"{name:<18} {median:7.2f} {p95:7.2f} {max(timings):7.2f} {cpu:8.2f} {db_cpu:7.1f}{verdict}")
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    raise SystemExit(main())
