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


def _band_counts(scope: MemberFilter, column: sa.ColumnElement, bands: tuple, today: date) -> dict[str, int]:
    label = _banded(column, bands, today).label("band")
    rows = db.session.execute(sa.select(label, sa.func.count()).where(*scope.where()).group_by(label)).all()
    counts = dict(rows)
    ordered = {band[2]: counts.get(band[2], 0) for band in bands}
    if counts.get("未填写"):
        ordered["未填写"] = counts["未填写"]
    return ordered


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
    child = sa.orm.aliased(Organisation)
    rows = db.session.execute(
        sa.select(child.id, sa.func.count(Member.id))
        .select_from(child)
        .join(Organisation, Organisation.path.startswith(child.path))
        .join(Member, Member.org_id == Organisation.id)
        .where(child.parent_id == root.id, child.dissolved_at.is_(None))
        .group_by(child.id)
    ).all()
    counts = dict(rows)
    return {unit.name: counts.get(unit.id, 0) for unit in _units_below(root)}


def _pairs(counts: dict[str, int]) -> list[list]:
    """[[label, count], …]: JSON objects lose their order, and bands must stay in order."""
    return [[label, count] for label, count in counts.items()]


def dashboard(scope_path: str, root: Organisation | None, today: date | None = None) -> dict:
    today = today or date.today()
    scope = MemberFilter(scope_path=scope_path)
    status_rows = db.session.execute(
        sa.select(Member.status, sa.func.count()).where(*scope.where()).group_by(Member.status)
    ).all()
    total = sum(count for _, count in status_rows)
    bound = db.session.scalar(sa.select(sa.func.count()).select_from(Member).join(WechatBinding).where(*scope.where()))
    return {
        "total": total,
        "bound": bound or 0,
        "by_status": _pairs({STATUS_LABELS[status]: count for status, count in sorted(status_rows)}),
        "by_unit": _pairs(by_unit(root) if root is not None else {}),
        "by_age": _pairs(_band_counts(scope, Member.birth_date, AGE_BANDS, today)),
        "by_seniority": _pairs(_band_counts(scope, Member.join_date, SENIORITY_BANDS, today)),
    }
