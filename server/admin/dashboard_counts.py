"""The dashboard's summary of large subtrees, counted by a periodic job.

A committee of 140,000 members cannot have its month counted while its 首页 waits: every member, bill
and check-in of the month is read (0.5 s of database time on the 2-core development machine,
bench/dashboard_bench.py). So once a minute the job counts them all for the whole tree, per
organisation, with the very functions a branch's page counts with (members/stats.py,
meetings/month_summary.py, dues/collection.py), adds them up over the subtree of every organisation
with at least ``LARGE_FROM_ORGS`` organisations, adds the newspaper's latest issue reaching that
subtree (newspaper/latest.py), and keeps one row per such organisation (admin/models.py:
DashboardCount). The page of a large subtree reads its row and says when it was counted; a smaller
subtree — a branch whose secretary watches arrivals and payments come in — is counted now, and so is
a large one whose row is missing or older than ``FRESH_FOR`` (the job has stopped): slower, never
wrong.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from server.admin.models import DashboardCount
from server.auth.scope import widest
from server.db import db, utcnow
from server.dues import collection
from server.dues.months import current_month
from server.meetings import month_summary
from server.members import stats
from server.newspaper.latest import LatestReach, latest_reach
from server.orgs.models import Organisation
from server.tally import Counts, add_up
from server.timezone import local_today

#: subtrees of at least this many organisations are counted by the job, not while the page waits
LARGE_FROM_ORGS = 500
#: a row older than this is not shown (the job runs every minute): the page counts now instead
FRESH_FOR = timedelta(minutes=5)
DOMAINS = ("members", "meetings", "dues")


@dataclass(frozen=True)
class Summary:
    """A subtree's counts per domain, the members of each organisation directly below, and when."""

    counts: dict[str, Counts]
    units: dict[int, int]
    #: the latest issue reaching the subtree and its reach there (newspaper/latest.py), if any
    newspaper: LatestReach | None
    counted_at: datetime


def _ids_on(path: str) -> list[int]:
    """The ids of the organisations on ``path``, from the root down to the organisation itself."""
    return [int(part) for part in path.strip("/").split("/") if part]


def _path(chain: list[int]) -> str:
    return "/" + "".join(f"{org_id}/" for org_id in chain)


#: held by the transaction that replaces the rows (the key: the table's name, as a number)
_TAKE_THE_COUNT = sa.select(sa.func.pg_try_advisory_xact_lock(sa.func.hashtext("dashboard_counts")))


def refresh(now: datetime | None = None) -> int:
    """Count the month for every large subtree and replace the rows; how many subtrees were counted.

    A count still running when the next minute's begins (a slow database, several job workers) keeps the
    table to itself: the later one finds it busy and counts nothing (0), instead of both deleting and one
    failing on the other's rows. SQLite has one writer at a time already."""
    now = now or utcnow()
    if db.session.get_bind().dialect.name == "postgresql" and not db.session.scalar(_TAKE_THE_COUNT):
        return 0
    paths = {
        org_id: _ids_on(path or "")
        for org_id, path in db.session.execute(sa.select(Organisation.id, Organisation.path))
    }
    sizes: dict[int, int] = {}
    for chain in paths.values():
        for org_id in chain:
            sizes[org_id] = sizes.get(org_id, 0) + 1
    large = {org_id for org_id, size in sizes.items() if size >= LARGE_FROM_ORGS}
    db.session.execute(sa.delete(DashboardCount))
    if large:
        month = current_month()
        per_domain = {
            "members": stats.counts_by_org("/", local_today()),
            "meetings": month_summary.counts_by_org("/", month),
            "dues": collection.counts_by_org("/", month),
        }
        totals: dict[int, dict[str, list[Counts]]] = {org_id: {name: [] for name in DOMAINS} for org_id in large}
        units: dict[int, dict[int, int]] = {org_id: {} for org_id in large}
        for name, per_org in per_domain.items():
            for org_id, counts in per_org.items():
                chain = paths.get(org_id, [])
                for depth, above in enumerate(chain):
                    if above not in large:
                        continue
                    totals[above][name].append(counts)
                    if name == "members" and depth + 1 < len(chain):
                        unit = chain[depth + 1]
                        units[above][unit] = units[above].get(unit, 0) + stats.member_total(counts)
        for org_id in large:
            counts: dict = {name: add_up(totals[org_id][name]) for name in DOMAINS}
            counts["units"] = {str(unit): members for unit, members in units[org_id].items()}
            reach = latest_reach(widest(_path(paths[org_id])))
            counts["newspaper"] = dataclasses.asdict(reach) if reach else None
            db.session.add(DashboardCount(org_id=org_id, month=month, counted_at=now, counts=counts))
    db.session.commit()
    return len(large)


def stored(scope_path: str, month: date) -> Summary | None:
    """The summary of the subtree at ``scope_path`` ("/": every root) for ``month``, if the job counted
    it within ``FRESH_FOR``; None for a small subtree, or when the job has not run lately."""
    if scope_path == "/":  # every root: a single one is read as its own subtree, several are counted now
        roots = db.session.scalars(sa.select(Organisation.id).where(Organisation.parent_id.is_(None)).limit(2)).all()
        org_id = roots[0] if len(roots) == 1 else None
    else:
        org_id = _ids_on(scope_path)[-1]
    row = db.session.get(DashboardCount, org_id) if org_id is not None else None
    if row is None or row.month != month or row.counted_at < utcnow() - FRESH_FOR:
        return None
    counts = row.counts
    units = {int(unit): members for unit, members in counts["units"].items()}
    newspaper = LatestReach(**counts["newspaper"]) if counts["newspaper"] else None
    return Summary({name: counts[name] for name in DOMAINS}, units, newspaper, row.counted_at)
