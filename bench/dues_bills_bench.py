"""One month's dues bills for the 140,000-member register: the monthly job's INSERT … SELECT, timed.

    .venv/bin/python bench/dues_bills_bench.py            # generates the data first if the database is empty

Uses its own database (default ``edangwu_dues_bench``: generate.py drops and rebuilds the schema of the
database it is given, so sharing ``edangwu_bench`` would wipe another benchmark's data). Before timing it
gives every member a base history row from their join month, and 30% of the employed a raise from this
January (as a secretary's yearly import would), and 10% of the branches a farmers' amount, so the job
reads the history and the settings as in production. Each round deletes the bench month's bills, then
times ``server.dues.bills.generate_bills`` plus the commit; then a second run of the same month (which
must make nothing). Target: under 5 s for the month.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/edangwu_dues_bench"
TARGET_SECONDS = 5.0


def isolate_process(url: str) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="edangwu-dues-bench-"))
    os.environ["DATABASE_URL"] = url
    os.environ["INSTANCE_DIR"] = str(scratch)
    os.environ["JOBS_DB"] = str(scratch / "jobs.db")
    os.environ["HUEY_NAME"] = f"edangwu-dues-bench-{os.getpid()}"
    os.environ.setdefault("SECRET_KEY", "dues-bench")
    os.environ["EDANGWU_STAGING"] = "1"  # PostgreSQL with the emulator's settings: not production, on purpose


def member_count(url: str) -> int:
    import psycopg
    from benchdb import ensure_database, libpq_url

    ensure_database(libpq_url(url))
    with psycopg.connect(libpq_url(url)) as conn:
        exists = conn.execute("SELECT to_regclass('public.members')").fetchone()[0]
        return conn.execute("SELECT count(*) FROM members").fetchone()[0] if exists else 0


def prepare(month: date) -> None:
    """Base history and branch settings as production would have them (idempotent)."""
    import sqlalchemy as sa

    from server.db import db
    from server.dues.rules import ensure_rules_2008

    ensure_rules_2008()
    db.session.execute(
        sa.text(
            """INSERT INTO dues_bases (member_id, effective_month, base_fen, source, org_id, created_at)
               SELECT id, date_trunc('month', coalesce(join_date, DATE '2008-04-01'))::date, dues_base_fen,
                      'register', org_id, now()
               FROM members ON CONFLICT DO NOTHING"""
        )
    )
    db.session.execute(
        sa.text(
            """INSERT INTO dues_bases (member_id, effective_month, base_fen, source, org_id, created_at)
               SELECT id, :january, dues_base_fen + 50000, 'import', org_id, now()
               FROM members WHERE dues_category = 'employed' AND id % 10 < 3 ON CONFLICT DO NOTHING"""
        ),
        {"january": month.replace(month=1)},
    )
    db.session.execute(
        sa.text(
            """INSERT INTO dues_branch_settings (org_id, farmer_fen, allow_pay_ahead, ahead_months, updated_at)
               SELECT id, 50, false, 0, now() FROM organisations WHERE kind = 'branch' AND id % 10 = 0
               ON CONFLICT DO NOTHING"""
        )
    )
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE dues_bases")
        conn.exec_driver_sql("VACUUM ANALYZE dues_bills")


def one_round(month: date) -> tuple[float, int, float]:
    import sqlalchemy as sa

    from server.db import db
    from server.dues.bills import generate_bills
    from server.dues.models import DuesBill

    db.session.execute(sa.delete(DuesBill).where(DuesBill.month == month))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM dues_bills")  # a new month finds no dead rows of an earlier round
    start = time.perf_counter()
    made = generate_bills(month)
    db.session.commit()
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    again = generate_bills(month)
    db.session.commit()
    if again:
        raise SystemExit(f"the second run made {again} bills: it must make none")
    return elapsed, made, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--month", default="2026-12", help="the month to bill, YYYY-MM")
    parser.add_argument("--check", action="store_true", help="exit 1 if the median misses the target")
    args = parser.parse_args(argv)
    url = os.environ.get("DUES_BENCH_URL", DEFAULT_URL)
    if member_count(url) < 100_000:
        print("no register yet: running bench/generate.py …", flush=True)
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "generate.py")], check=True, env=os.environ | {"DATABASE_URL": url}
        )
    isolate_process(url)
    from server import create_app
    from server.dues.months import parse_month

    month = parse_month(args.month)
    app = create_app({"LOG_LEVEL": "WARNING"})
    with app.app_context():
        start = time.perf_counter()
        prepare(month)
        print(f"base history and settings ready in {time.perf_counter() - start:.1f} s")
        load_before = os.getloadavg()[0]
        results = [one_round(month) for _ in range(args.rounds)]
    times = [elapsed for elapsed, _, _ in results]
    made = results[-1][1]
    median = statistics.median(times)
    print(f"{made:,d} bills for {month:%Y-%m}: " + ", ".join(f"{t:.2f} s" for t in times) + f" (median {median:.2f} s)")
    print("second run of the same month (makes nothing): " + ", ".join(f"{r[2]:.2f} s" for r in results))
    print(f"1-minute load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after ({os.cpu_count()} CPUs)")
    print(f"target < {TARGET_SECONDS:g} s: {'met' if median < TARGET_SECONDS else 'MISSED'}")
    return 1 if args.check and median >= TARGET_SECONDS else 0


if __name__ == "__main__":
    sys.exit(main())
