"""Scratch experiments for the subtree queries: candidate indexes and query shapes, measured side by side.

Each experiment changes the bench database (an index, a denormalised column, a summary table), runs the
same two questions as ``subtree_bench.py`` — page 1 by name with the total, and the counts by status —
for the same three scopes through the app's session, then undoes its change. Nothing here touches
``server/``; it tells us what a migration and a service change would buy.

    python bench/alt_queries.py                       # every experiment
    python bench/alt_queries.py baseline org_status   # some of them
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/edangwu_bench"

PageFn = Callable[[str], int]  # returns the total, after fetching page 1
StatusFn = Callable[[str], int]  # returns the sum of the counts


@dataclass
class Experiment:
    name: str
    about: str
    setup: list[str] = field(default_factory=list)
    teardown: list[str] = field(default_factory=list)
    page: PageFn | None = None  # None: the service as it is
    status: StatusFn | None = None
    settings: list[str] = field(default_factory=list)  # SET ... on the pooled connection


def _services() -> tuple[PageFn, StatusFn]:
    from server.members.services import MemberFilter, count_by_status, list_members

    def page(path: str) -> int:
        return list_members(MemberFilter(scope_path=path), page=1, per_page=20)[1]

    def status(path: str) -> int:
        return sum(count_by_status(path).values())

    return page, status


def _org_path_shapes() -> tuple[PageFn, StatusFn]:
    """The services' queries with ``members.org_path LIKE :path || '%'`` in place of the IN (subquery)."""
    from server.db import db
    from server.members.models import Member

    org_path = sa.literal_column("members.org_path", sa.String)

    def page(path: str) -> int:
        cond = org_path.startswith(path)
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Member).where(cond)) or 0
        rows = db.session.scalars(sa.select(Member).where(cond).order_by(Member.name_sort, Member.id).limit(20))
        assert len(list(rows)) == min(20, total)
        return total

    def status(path: str) -> int:
        stmt = sa.select(Member.status, sa.func.count()).where(org_path.startswith(path)).group_by(Member.status)
        return sum(n for _, n in db.session.execute(stmt))

    return page, status


def _covering_shapes() -> tuple[PageFn, StatusFn]:
    """The services with one change in ``MemberFilter.where``: a scope that contains every organisation
    adds no condition at all, like the superadmin's "/" already does. Whether it does is two probes of
    the path index: is there any path below the scope's range, or above it?"""
    from server.db import db
    from server.members.models import Member
    from server.members.services import MemberFilter, list_members
    from server.orgs.models import Organisation

    def covers_everything(path: str) -> bool:
        upper = path[:-1] + chr(ord(path[-1]) + 1)  # "/1/" -> "/10": the first path after the subtree
        outside = sa.select(Organisation.id).where(sa.or_(Organisation.path < path, Organisation.path >= upper))
        return not db.session.scalar(sa.select(sa.exists(outside)))

    class Filter(MemberFilter):
        def where(self) -> list[sa.ColumnElement[bool]]:
            if self.org_id is None and self.scope_path != "/" and covers_everything(self.scope_path):
                return MemberFilter("/", self.q, None, self.status, self.dues_category, self.sort).where()
            return super().where()

    def page(path: str) -> int:
        return list_members(Filter(scope_path=path), page=1, per_page=20)[1]

    def status(path: str) -> int:
        stmt = sa.select(Member.status, sa.func.count()).where(*Filter(scope_path=path).where()).group_by(Member.status)
        return sum(n for _, n in db.session.execute(stmt))

    return page, status


def _summary_status() -> StatusFn:
    """Counts by status from a per-branch summary table (kept up to date by the services or triggers)."""
    from server.db import db

    stmt = sa.text(
        """SELECT c.status, sum(c.n) FROM org_member_counts c
           JOIN organisations o ON o.id = c.org_id
           WHERE o.path LIKE :path || '%'
           GROUP BY c.status"""
    )

    def status(path: str) -> int:
        return sum(int(n) for _, n in db.session.execute(stmt, {"path": path}))

    return status


def _summary_page() -> PageFn:
    """Page 1 from the service's query, the total from the summary table."""
    from server.db import db
    from server.members.models import Member
    from server.members.services import MemberFilter

    total_stmt = sa.text(
        """SELECT coalesce(sum(c.n), 0) FROM org_member_counts c
           JOIN organisations o ON o.id = c.org_id WHERE o.path LIKE :path || '%'"""
    )

    def page(path: str) -> int:
        total = int(db.session.scalar(total_stmt, {"path": path}))
        conditions = MemberFilter(scope_path=path).where()
        rows = db.session.scalars(sa.select(Member).where(*conditions).order_by(Member.name_sort, Member.id).limit(20))
        assert len(list(rows)) == min(20, total)
        return total

    return page


ORG_PATH_SETUP = [
    'ALTER TABLE members ADD COLUMN org_path varchar(255) COLLATE "C"',
    "UPDATE members m SET org_path = o.path FROM organisations o WHERE o.id = m.org_id",
    "ALTER TABLE members ALTER COLUMN org_path SET NOT NULL",
    "VACUUM FULL members",  # the UPDATE left every row twice; compact, as a freshly loaded table would be
    "CREATE INDEX ix_members_org_path_status ON members (org_path, status)",
    "VACUUM ANALYZE members",
]


def experiments() -> dict[str, Experiment]:
    org_path_page, org_path_status = _org_path_shapes()
    covering_page, covering_status = _covering_shapes()
    return {
        e.name: e
        for e in (
            Experiment("baseline", "the services and migrations as they are"),
            Experiment(
                "no_parallel",
                "baseline with max_parallel_workers_per_gather = 0 (2-core box)",
                settings=["SET max_parallel_workers_per_gather = 0"],
            ),
            Experiment(
                "rpc_1_1",
                "baseline with random_page_cost = 1.1 (data cached / SSD)",
                settings=["SET random_page_cost = 1.1"],
            ),
            Experiment(
                "org_status",
                "index members (org_id, status): counts by status become index-only",
                setup=["CREATE INDEX ix_members_org_status ON members (org_id, status)", "ANALYZE members"],
                teardown=["DROP INDEX ix_members_org_status"],
            ),
            Experiment(
                "org_status_np",
                "index members (org_id, status) and max_parallel_workers_per_gather = 0",
                setup=["CREATE INDEX ix_members_org_status ON members (org_id, status)", "ANALYZE members"],
                teardown=["DROP INDEX ix_members_org_status"],
                settings=["SET max_parallel_workers_per_gather = 0"],
            ),
            Experiment(
                "covering",
                "MemberFilter: no condition when the scope contains every organisation",
                page=covering_page,
                status=covering_status,
            ),
            Experiment(
                "org_st_cover",
                "index members (org_id, status) + the covering-scope shortcut",
                setup=["CREATE INDEX ix_members_org_status ON members (org_id, status)", "ANALYZE members"],
                teardown=["DROP INDEX ix_members_org_status"],
                page=covering_page,
                status=covering_status,
            ),
            Experiment(
                "recommended",
                "org_st_cover, and ix_members_org_id dropped (ix_members_org_sort and the new index lead with org_id)",
                setup=[
                    "CREATE INDEX ix_members_org_status ON members (org_id, status)",
                    "DROP INDEX ix_members_org_id",
                    "ANALYZE members",
                ],
                teardown=["DROP INDEX ix_members_org_status", "CREATE INDEX ix_members_org_id ON members (org_id)"],
                page=covering_page,
                status=covering_status,
            ),
            Experiment(
                "org_path",
                "denormalised members.org_path (branch path, COLLATE C) + index (org_path, status); no join",
                setup=ORG_PATH_SETUP,
                teardown=["ALTER TABLE members DROP COLUMN org_path", "VACUUM FULL members", "VACUUM ANALYZE members"],
                page=org_path_page,
                status=org_path_status,
            ),
            Experiment(
                "summary",
                "per-branch summary table org_member_counts(org_id, status, n) for the totals",
                setup=[
                    """CREATE TABLE org_member_counts AS
                       SELECT org_id, status, count(*)::int AS n FROM members GROUP BY org_id, status""",
                    "ALTER TABLE org_member_counts ADD PRIMARY KEY (org_id, status)",
                    "VACUUM ANALYZE org_member_counts",
                ],
                teardown=["DROP TABLE org_member_counts"],
                page=_summary_page(),
                status=_summary_status(),
            ),
        )
    }


def timed(
    fn: Callable[[str], int], path: str, expected: int, runs: int, warmup: int, settings: list[str]
) -> list[float]:
    from server.db import db

    out = []
    for i in range(warmup + runs):
        db.session.remove()
        for statement in settings:  # not timed; a pooled connection would have them from its configuration
            db.session.execute(sa.text(statement))
        started = time.perf_counter()
        total = fn(path)
        elapsed = (time.perf_counter() - started) * 1000
        assert total == expected, (path, total, expected)
        if i >= warmup:
            out.append(elapsed)
    db.session.rollback()
    db.session.remove()
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(0.95 * len(ordered) + 0.5) - 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="experiments to run (default: all)")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args(argv)

    os.environ.setdefault("DATABASE_URL", DEFAULT_URL)
    os.environ["EDANGWU_STAGING"] = "1"  # PostgreSQL with the emulator's settings: not production, on purpose
    from server import create_app
    from server.db import db

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from subtree_bench import pick_scopes

    app = create_app({"LOG_LEVEL": "WARNING"})
    with app.app_context():
        scopes = pick_scopes()
        all_experiments = experiments()
        chosen = args.names or list(all_experiments)
        base_page, base_status = _services()
        print(f"load average at start: {os.getloadavg()[0]:.2f}")
        print(f"{'experiment':<14} {'scope':<34} {'page+count p50':>15} {'p95':>7} {'by status p50':>14} {'p95':>7}")
        for name in chosen:
            exp = all_experiments[name]
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for statement in exp.setup:
                    conn.execute(sa.text(statement))
            try:
                for scope in scopes:
                    page = timed(exp.page or base_page, scope.path, scope.members, args.runs, args.warmup, exp.settings)
                    status = timed(
                        exp.status or base_status, scope.path, scope.members, args.runs, args.warmup, exp.settings
                    )
                    print(
                        f"{name:<14} {scope.label:<34} {statistics.median(page):15.2f} {p95(page):7.2f}"
                        f" {statistics.median(status):14.2f} {p95(status):7.2f}",
                        flush=True,
                    )
            finally:
                db.session.remove()
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    for statement in exp.teardown:
                        conn.execute(sa.text(statement))
        print(f"load average at end: {os.getloadavg()[0]:.2f}")
        for name in chosen:
            print(f"  {name}: {all_experiments[name].about}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
