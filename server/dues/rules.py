"""The dues rules: which version applies to a month, and the one function that computes dues.

Rounding, the one rule for the whole project: dues = base × rate rounded **half up to the fen**,
computed in integers as ``(base_fen × rate_bp + 5000) // 10000`` (rates are in basis points, 1/10000).
So a 3,000.01-yuan base at 1% is 30.0001 yuan → 3000 fen, and 1,234.50 yuan at 0.5% is 6.1725 → 617 fen.

Brackets include their upper bound, and the whole base is charged at its bracket's rate (not a
progressive tax): 3,000 yuan → 0.5% = 15 yuan, 3,000.01 yuan → 1% = 30 yuan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from server.db import db
from server.dues.models import BRACKET_CATEGORIES, DuesBracket, DuesRule
from server.errors import AppError, NotFound
from server.members.models import DuesCategory

RULE_MISSING = "党费规则不存在"
NO_RULE = ("no_dues_rule", "该月份没有适用的党费规则")
BP = 10_000


def round_half_up(base_fen: int, rate_bp: int) -> int:
    """base × rate to the fen, half up (the project's one rounding rule)."""
    return (base_fen * rate_bp + BP // 2) // BP


@dataclass(frozen=True)
class RuleTable:
    """A rule version as plain data, so a computation needs no database."""

    rule_id: int
    effective_month: date
    #: per bracket category: ((upper_fen or None, rate_bp), …) ordered by upper bound, open bracket last
    brackets: dict[DuesCategory, tuple[tuple[int | None, int], ...]]
    fixed_low_fen: int
    farmer_min_fen: int
    farmer_max_fen: int

    def rate_bp(self, category: DuesCategory, base_fen: int) -> int:
        for upper, rate in self.brackets[category]:
            if upper is None or base_fen <= upper:
                return rate
        raise AppError(*NO_RULE)  # a rule without an open top bracket: refused when it was added


def rule_table(rule: DuesRule) -> RuleTable:
    brackets: dict[DuesCategory, list[tuple[int | None, int]]] = {c: [] for c in BRACKET_CATEGORIES}
    for bracket in rule.brackets:
        brackets[bracket.category].append((bracket.upper_fen, bracket.rate_bp))
    ordered = {
        category: tuple(sorted(rows, key=lambda row: (row[0] is None, row[0] or 0)))
        for category, rows in brackets.items()
    }
    return RuleTable(
        rule_id=rule.id,
        effective_month=rule.effective_month,
        brackets=ordered,
        fixed_low_fen=rule.fixed_low_fen,
        farmer_min_fen=rule.farmer_min_fen,
        farmer_max_fen=rule.farmer_max_fen,
    )


def dues_for(table: RuleTable, category: DuesCategory, base_fen: int, farmer_fen: int | None = None) -> int:
    """A member's monthly dues in fen.

    Employed and retired members: the whole base at its bracket's rate, rounded half up to the fen.
    Students and the unemployed (laid off, on relief or 低保): the rule's fixed amount (20 fen in 2008).
    Farmers: what their branch set (``farmer_fen``), held within the rule's range (20–100 fen in 2008).
    """
    if base_fen < 0:
        raise ValueError("a base is never negative")
    if category in BRACKET_CATEGORIES:
        return round_half_up(base_fen, table.rate_bp(category, base_fen))
    if category is DuesCategory.FARMER:
        chosen = table.farmer_min_fen if farmer_fen is None else farmer_fen
        return min(max(chosen, table.farmer_min_fen), table.farmer_max_fen)
    return table.fixed_low_fen


def rule_for_month(month: date) -> DuesRule:
    """The version in force in ``month``: the latest whose effective month is not after it."""
    rule = db.session.scalar(
        sa.select(DuesRule).where(DuesRule.effective_month <= month).order_by(DuesRule.effective_month.desc()).limit(1)
    )
    if rule is None:
        raise AppError(*NO_RULE)
    return rule


def list_rules() -> list[DuesRule]:
    return list(db.session.scalars(sa.select(DuesRule).order_by(DuesRule.effective_month.desc())))


def get_rule(rule_id: int) -> DuesRule:
    rule = db.session.get(DuesRule, rule_id)
    if rule is None:
        raise NotFound(RULE_MISSING)
    return rule


def add_rule(
    *,
    effective_month: date,
    title: str,
    fixed_low_fen: int,
    farmer_min_fen: int,
    farmer_max_fen: int,
    brackets: dict[DuesCategory, list[tuple[int | None, int]]],
    created_by_id: int | None,
    today_month: date,
) -> DuesRule:
    """A new version, from a future month only: bills already made keep the rule they were made under."""
    if effective_month <= today_month:
        raise AppError("rule_not_future", "新规则只能从以后的月份起施行")
    if db.session.scalar(sa.select(DuesRule.id).where(DuesRule.effective_month == effective_month)):
        raise AppError("rule_exists", "该月份已有一版党费规则")
    if not 0 <= farmer_min_fen <= farmer_max_fen or fixed_low_fen < 0:
        raise AppError("rule_amounts", "固定金额不正确")
    for category in BRACKET_CATEGORIES:
        rows = brackets.get(category) or []
        uppers = [upper for upper, _ in rows]
        if not rows or uppers.count(None) != 1 or uppers[-1] is not None:
            raise AppError("rule_brackets", "每类档次须按上限从低到高排列，最后一档不设上限")
        bounded = [upper for upper in uppers if upper is not None]
        if bounded != sorted(set(bounded)) or any(u <= 0 for u in bounded):
            raise AppError("rule_brackets", "档次上限须为正数且从低到高")
        if any(not 0 <= rate <= BP for _, rate in rows):
            raise AppError("rule_brackets", "比例应在 0% 到 100% 之间")
    rule = DuesRule(
        effective_month=effective_month,
        title=title,
        fixed_low_fen=fixed_low_fen,
        farmer_min_fen=farmer_min_fen,
        farmer_max_fen=farmer_max_fen,
        created_by_id=created_by_id,
    )
    rule.brackets = [
        DuesBracket(category=category, upper_fen=upper, rate_bp=rate)
        for category in BRACKET_CATEGORIES
        for upper, rate in brackets[category]
    ]
    db.session.add(rule)
    db.session.flush()
    return rule


#: The 2008 rules (中组发〔2008〕3号), seeded by the migration from 2008-04 (the rules took effect on
#: 1 April 2008). Bounds in fen, rates in basis points.
RULES_2008 = {
    "effective_month": date(2008, 4, 1),
    "title": "中组发〔2008〕3号",
    "fixed_low_fen": 20,
    "farmer_min_fen": 20,
    "farmer_max_fen": 100,
    "brackets": {
        DuesCategory.EMPLOYED: [(300_000, 50), (500_000, 100), (1_000_000, 150), (None, 200)],
        DuesCategory.RETIRED: [(500_000, 50), (None, 100)],
    },
}


def ensure_rules_2008() -> DuesRule:
    """The 2008 rules, as the migration seeds them (for a database emptied by tests or a fresh demo)."""
    existing = db.session.scalar(sa.select(DuesRule).where(DuesRule.effective_month == RULES_2008["effective_month"]))
    if existing is not None:
        return existing
    data = dict(RULES_2008)
    brackets = data.pop("brackets")
    rule = DuesRule(**data)
    rule.brackets = [
        DuesBracket(category=category, upper_fen=upper, rate_bp=rate)
        for category, rows in brackets.items()
        for upper, rate in rows
    ]
    db.session.add(rule)
    db.session.flush()
    return rule
