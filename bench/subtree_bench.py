"""Time the member register's subtree queries through the application's own services.

Runs ``list_members`` (page 1 sorted by name, with the total count) and ``count_by_status`` for the
whole committee, the largest and a mid-size committee below it, and a single branch (the largest),
each ``--runs`` times after a warm-up, in an app context with the real session, engine and
connection pool, and prints p50/p95/max.
Each run starts with a fresh session, as a request would. Load the data first with ``bench/generate.py``.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/edangwu_bench python bench/subtree_bench.py

``--explain`` also prints EXPLAIN (ANALYZE, BUFFERS) of the exact SQL each service sends.
``--check`` exits 1 when a whole-committee p95 misses the target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/edangwu_bench"


@dataclass
class Scope:
    label: str
    name: str
    path: str
    members: int
    whole: bool = False  # the whole committee: the one the target applies to


@dataclass
class Result:
    scope: Scope
    query: str
    timings_ms: list[float]

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile."""
        ordered = sorted(self.timings_ms)
        return ordered[max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))]


def pick_scopes() -> list[Scope]:
    import sqlalchemy as sa

    from server.db import db

    counts = """
        SELECT o.name, o.path, o.depth, count(m.id) AS members
        FROM organisations o
        JOIN organisations d ON d.path LIKE o.path || '%'
        JOIN members m ON m.org_id = d.id
        WHERE o.depth <= 1 AND o.kind = 'committee'
        GROUP BY o.id
        ORDER BY members DESC
    """
    rows = db.session.execute(sa.text(counts)).all()
    if not rows:
        raise SystemExit("no data: run bench/generate.py first")
    root = next(r for r in rows if r.depth == 0)
    committees = [r for r in rows if r.depth == 1]
    middle = committees[len(committees) // 2]
    branch = db.session.execute(
        sa.text(
            """SELECT o.name, o.path, count(*) AS members FROM organisations o JOIN members m ON m.org_id = o.id
               GROUP BY o.id ORDER BY members DESC, o.id LIMIT 1"""
        )
    ).one()
    rank = f"{len(committees) // 2 + 1} of {len(committees)}"
    largest = committees[0]
    return [
        Scope("whole committee", root.name, root.path, root.members, whole=True),
        Scope("largest committee (1 of 20)", largest.name, largest.path, largest.members),
        Scope(f"mid-size committee ({rank})", middle.name, middle.path, middle.members),
        Scope("largest branch", branch.name, branch.path, branch.members),
    ]


def queries() -> dict[str, Callable[[str], object]]:
    from server.members.services import MemberFilter, count_by_status, list_members

    def page_one(path: str) -> object:
        members, total = list_members(MemberFilter(scope_path=path), page=1, per_page=20)
        assert len(members) == min(20, total)
        return total

    def by_status(path: str) -> object:
        return sum(count_by_status(path).values())

    return {"list_members p1 + count": page_one, "count_by_status": by_status}


def measure(fn: Callable[[str], object], scope: Scope, runs: int, warmup: int) -> list[float]:
    from server.db import db

    timings = []
    for i in range(warmup + runs):
        db.session.remove()  # a fresh session per "request"; the pooled connection stays, as in production
        started = time.perf_counter()
        total = fn(scope.path)
        elapsed = (time.perf_counter() - started) * 1000
        if total != scope.members:
            raise AssertionError(f"{scope.label}: got {total} members, expected {scope.members}")
        if i >= warmup:
            timings.append(elapsed)
    db.session.remove()
    return timings


def explain(fn: Callable[[str], object], scope: Scope) -> None:
    """Run ``fn`` once, recording its SQL, then EXPLAIN ANALYZE each statement with the same parameters."""
    import sqlalchemy as sa

    from server.db import db

    captured: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    db.session.remove()
    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        fn(scope.path)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    db.session.remove()
    with db.engine.connect() as conn:
        for statement, parameters in captured:
            print(f"\n--- {statement.strip()}\n--- parameters: {parameters}")
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars()
            print("\n".join(plan))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--target-ms", type=float, default=50.0, help="p95 target for the whole committee")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each service's SQL")
    parser.add_argument("--check", action="store_true", help="exit 1 if a whole-committee p95 misses the target")
    args = parser.parse_args(argv)

    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ["EDANGWU_STAGING"] = "1"  # PostgreSQL with the emulator's settings: not production, on purpose
    from server import create_app

    app = create_app({"LOG_LEVEL": "WARNING"})
    results: list[Result] = []
    load_before = os.getloadavg()[0]
    with app.app_context():
        scopes = pick_scopes()
        for scope in scopes:
            print(f"{scope.label}: {scope.name} {scope.path} — {scope.members:,d} members")
        for scope in scopes:
            for query, fn in queries().items():
                results.append(Result(scope, query, measure(fn, scope, args.runs, args.warmup)))
                if args.explain:
                    print(f"\n===== {scope.label} — {query}")
                    explain(fn, scope)

    print(f"\n{args.runs} runs each after {args.warmup} warm-up runs; times in ms, measured around the service call")
    print(f"1-minute load average {load_before:.2f} before, {os.getloadavg()[0]:.2f} after ({os.cpu_count()} CPUs)\n")
    header = f"{'scope':<34} {'members':>8}  {'query':<26} {'p50':>7} {'p95':>7} {'max':>7}"
    header += f"  target p95 < {args.target_ms:g}"
    print(header)
    print("-" * len(header))
    missed = False
    for r in results:
        p50, p95, worst = statistics.median(r.timings_ms), r.percentile(95), max(r.timings_ms)
        verdict = ""
        if r.scope.whole:
            ok = p95 < args.target_ms
            missed |= not ok
            verdict = "ok" if ok else "MISSED"
        print(
            f"{r.scope.label:<34} {r.scope.members:>8,d}  {r.query:<26} {p50:7.2f} {p95:7.2f} {worst:7.2f}  {verdict}"
        )
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    raise SystemExit(main())
