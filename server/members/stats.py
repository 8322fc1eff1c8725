"""Figures a committee looks at: members by unit, status, age, party seniority, WeChat binding."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from server.auth.models import WechatBinding
from server.db import db
from server.members.models import STATUS_LABELS, Member
from server.members.services import MemberFilter
from server.orgs.models import Organisation, OrgKind
from server.orgs.services import tree_order, within
from server.tally import Counts, add_up
from server.timezone import local_today

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


def _in_band(column: sa.ColumnElement, low: int, high: int, today: date) -> sa.ColumnElement[bool]:
    """``column`` (a date) lies from ``low`` whole years ago up to ``high`` exclusive."""
    return sa.and_(column <= _years_ago(today, low), column > _years_ago(today, high))


def _ordered(counts: Counts, prefix: str, bands: tuple) -> dict[str, int]:
    ordered = {band[2]: counts.get(f"{prefix}:{band[2]}", 0) for band in bands}
    if counts.get(f"{prefix}:未填写"):
        ordered["未填写"] = counts[f"{prefix}:未填写"]
    return ordered


def counts_by_org(scope_path: str, today: date) -> dict[int, Counts]:
    """Organisation id → its own members (members.org_id: its branch) counted by status ("status:full"),
    age band ("age:30岁以下", "age:未填写"), seniority band ("seniority:…") and WeChat binding ("bound").

    One pass over the members, a row per organisation: a grouped query per figure would read the
    committee's 140,000 rows once per figure."""
    scope = MemberFilter(scope_path=scope_path)
    columns: dict[str, sa.ColumnElement] = {
        f"status:{status.value}": sa.func.count(sa.case((Member.status == status, 1))) for status in STATUS_LABELS
    }
    for prefix, column, bands in (
        ("age", Member.birth_date, AGE_BANDS),
        ("seniority", Member.join_date, SENIORITY_BANDS),
    ):
        for low, high, label in bands:
            columns[f"{prefix}:{label}"] = sa.func.count(sa.case((_in_band(column, low, high, today), 1)))
        known = sa.or_(*(_in_band(column, low, high, today) for low, high, _ in bands))
        columns[f"{prefix}:未填写"] = sa.func.count(sa.case((known, None), else_=1))
    names = list(columns)
    per_org: dict[int, Counts] = {}
    for org_id, *values in db.session.execute(
        sa.select(Member.org_id, *columns.values()).where(*scope.where()).group_by(Member.org_id)
    ):
        per_org[org_id] = {name: value for name, value in zip(names, values, strict=True) if value}
    bound = sa.select(Member.org_id, sa.func.count()).join(WechatBinding).where(*scope.where()).group_by(Member.org_id)
    for org_id, count in db.session.execute(bound):
        per_org.setdefault(org_id, {})["bound"] = count
    return per_org


def units_below(root: Organisation) -> list[Organisation]:
    """The live organisations directly below ``root``, in tree order: the units 各单位党员人数 compares."""
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(Organisation.parent_id == root.id, Organisation.dissolved_at.is_(None))
            .order_by(tree_order())
        )
    )


def unit_of(path: str, root_depth: int) -> int | None:
    """The id of the organisation below the one at depth ``root_depth`` that ``path`` lies in (None for
    that organisation itself)."""
    segments = path.strip("/").split("/")
    return int(segments[root_depth + 1]) if len(segments) > root_depth + 1 else None


def members_per_unit(root: Organisation, per_org: dict[int, Counts]) -> dict[int, int]:
    """Unit id (organisation directly below ``root``) → the members of its whole subtree, from the
    members counted per organisation: each added to the unit its path names, no join of every member
    against every path."""
    paths = db.session.execute(sa.select(Organisation.id, Organisation.path).where(within(root.path or "/")))
    units: dict[int, int] = {}
    for org_id, path in paths:
        unit = unit_of(path or "", root.depth)
        if unit is not None and org_id in per_org:
            units[unit] = units.get(unit, 0) + member_total(per_org[org_id])
    return units


def member_total(counts: Counts) -> int:
    return sum(counts.get(f"status:{status.value}", 0) for status in STATUS_LABELS)


def by_unit(root: Organisation, units: dict[int, int]) -> dict[str, int]:
    """Members per organisation directly below ``root`` (whole subtrees, ``units`` as
    :func:`members_per_unit` counts them); per group inside a branch."""
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
    return {unit.name: units.get(unit.id, 0) for unit in units_below(root)}


def _pairs(counts: dict[str, int]) -> list[list]:
    """[[label, count], …]: JSON objects lose their order, and bands must stay in order."""
    return [[label, count] for label, count in counts.items()]


def dashboard(scope_path: str, root: Organisation | None, today: date | None = None) -> dict:
    """The figures of the subtree at ``scope_path``, counted now."""
    per_org = counts_by_org(scope_path, today or local_today())
    units = members_per_unit(root, per_org) if root is not None and root.kind is not OrgKind.BRANCH else {}
    return figures(add_up(per_org.values()), root, units)


def figures(counts: Counts, root: Organisation | None, units: dict[int, int]) -> dict:
    """The page's figures from a subtree's counts (:func:`counts_by_org` added up) and its units' members."""
    return {
        "total": member_total(counts),
        "bound": counts.get("bound", 0),
        "by_status": _pairs(
            {
                label: counts[f"status:{status.value}"]
                for status, label in sorted(STATUS_LABELS.items())
                if counts.get(f"status:{status.value}")
            }
        ),
        "by_unit": _pairs(by_unit(root, units) if root is not None else {}),
        "by_age": _pairs(_ordered(counts, "age", AGE_BANDS)),
        "by_seniority": _pairs(_ordered(counts, "seniority", SENIORITY_BANDS)),
    }
