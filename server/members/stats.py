"""Figures a committee looks at: members by unit, status, age, party seniority, WeChat binding."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from server.auth.models import WechatBinding
from server.db import db
from server.members.models import STATUS_LABELS, Member
from server.members.services import MemberFilter
from server.orgs.models import Organisation, OrgKind
from server.orgs.services import tree_order

# (from whole years, to whole years exclusive, label)
AGE_BANDS = (
    (0, 30, "30岁以下"),
    (30, 40, "30–39岁"),
    (40, 50, "40–49岁"),
    (50, 60, "50–59岁"),
    (60, 200, "60岁及以上"),
)
SENIORITY_BANDS = (
    (0, 5, "5年以下"),
    (5, 10, "5–9年"),
    (10, 20, "10–19年"),
    (20, 30, "20–29年"),
    (30, 200, "30年及以上"),
)


def _years_ago(today: date, years: int) -> date:
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _banded(column: sa.ColumnElement, bands: tuple, today: date) -> sa.Case:
    """A CASE that labels a date column by how many whole years ago it lies."""
    whens = [
        (sa.and_(column <= _years_ago(today, low), column > _years_ago(today, high)), label)
        for low, high, label in bands
    ]
    return sa.case(*whens, else_="未填写")


def _ordered(counts: dict[str, int], bands: tuple) -> dict[str, int]:
    ordered = {band[2]: counts.get(band[2], 0) for band in bands}
    if counts.get("未填写"):
        ordered["未填写"] = counts["未填写"]
    return ordered


def _profile(scope: MemberFilter, today: date) -> tuple[dict, dict[str, int], dict[str, int]]:
    """Members by status, by age band and by seniority band, from one pass over the scope's members
    (three grouped queries read the whole table three times: the committee's 140,000 rows)."""
    age = _banded(Member.birth_date, AGE_BANDS, today).label("age")
    seniority = _banded(Member.join_date, SENIORITY_BANDS, today).label("seniority")
    rows = db.session.execute(
        sa.select(Member.status, age, seniority, sa.func.count())
        .where(*scope.where())
        .group_by(Member.status, age, seniority)
    ).all()
    statuses: dict = {}
    ages: dict[str, int] = {}
    seniorities: dict[str, int] = {}
    for status, age_band, seniority_band, count in rows:
        statuses[status] = statuses.get(status, 0) + count
        ages[age_band] = ages.get(age_band, 0) + count
        seniorities[seniority_band] = seniorities.get(seniority_band, 0) + count
    return statuses, _ordered(ages, AGE_BANDS), _ordered(seniorities, SENIORITY_BANDS)


def _units_below(root: Organisation) -> list[Organisation]:
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.parent_id == root.id, Organisation.dissolved_at.is_(None))
            .order_by(tree_order())
        )
    )


def by_unit(root: Organisation) -> dict[str, int]:
    """Members per organisation directly below ``root`` (whole subtrees); per group inside a branch."""
    if root.kind is OrgKind.BRANCH:
        rows = db.session.execute(
            sa.select(Organisation.name, sa.func.count(Member.id))
            .select_from(Member)
            .outerjoin(Organisation, Organisation.id == Member.group_id)
            .where(Member.org_id == root.id)
            .group_by(Organisation.name, Organisation.tree_key)
            .order_by(Organisation.tree_key.is_(None), Organisation.tree_key)  # the groups in order, then the rest
        ).all()
        return {name or "未分党小组": count for name, count in rows}
    # Members per organisation (an index-only scan), each added to the unit below ``root`` its path names:
    # no join of every member against every path.
    per_org = db.session.execute(
        sa.select(Organisation.path, sa.func.count(Member.id))
        .select_from(Member)
        .join(Organisation, Organisation.id == Member.org_id)
        .where(*MemberFilter(scope_path=root.path or "/").where())
        .group_by(Organisation.path)
    ).all()
    counts: dict[int, int] = {}
    for path, count in per_org:
        segments = (path or "").strip("/").split("/")
        if len(segments) > root.depth + 1:
            unit = int(segments[root.depth + 1])
            counts[unit] = counts.get(unit, 0) + count
    return {unit.name: counts.get(unit.id, 0) for unit in _units_below(root)}


def _pairs(counts: dict[str, int]) -> list[list]:
    """[[label, count], …]: JSON objects lose their order, and bands must stay in order."""
    return [[label, count] for label, count in counts.items()]


def dashboard(scope_path: str, root: Organisation | None, today: date | None = None) -> dict:
    today = today or date.today()
    scope = MemberFilter(scope_path=scope_path)
    statuses, ages, seniorities = _profile(scope, today)
    total = sum(statuses.values())
    bound = db.session.scalar(sa.select(sa.func.count()).select_from(Member).join(WechatBinding).where(*scope.where()))
    return {
        "total": total,
        "bound": bound or 0,
        "by_status": _pairs({STATUS_LABELS[status]: count for status, count in sorted(statuses.items())}),
        "by_unit": _pairs(by_unit(root) if root is not None else {}),
        "by_age": _pairs(ages),
        "by_seniority": _pairs(seniorities),
    }
