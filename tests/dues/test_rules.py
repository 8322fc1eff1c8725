"""The dues formula: every bracket edge and category, and the rule versions over time."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.dues.rules import RULES_2008, RuleTable, dues_for, round_half_up
from server.errors import AppError
from server.members.models import DuesCategory

TABLE_2008 = RuleTable(
    rule_id=1,
    effective_month=date(2008, 4, 1),
    brackets={category: tuple(rows) for category, rows in RULES_2008["brackets"].items()},
    fixed_low_fen=20,
    farmer_min_fen=20,
    farmer_max_fen=100,
)
YUAN = 100
#: (category, highest base of the bracket in fen or None, rate as a fraction of 10000)
EMPLOYED_EDGES = [(300_000, 50), (500_000, 100), (1_000_000, 150)]
RETIRED_EDGES = [(500_000, 50)]


def exact_half_up(base_fen: int, rate_bp: int) -> int:
    """The same rounding done another way (with fractions), so a wrong formula cannot pass twice."""
    from fractions import Fraction

    value = Fraction(base_fen * rate_bp, 10_000)
    whole = value.numerator // value.denominator
    return whole + (1 if value - whole >= Fraction(1, 2) else 0)


@pytest.mark.parametrize(
    ("base_yuan", "expected_fen"),
    [
        (0, 0),
        (3000, 1500),  # the bound is in the lower bracket: 0.5%
        ("3000.01", 3000),  # one fen above: the whole base at 1% (30.0001 yuan → 30.00)
        (5000, 5000),
        ("5000.01", 7500),  # 75.00015 → 75.00
        (10000, 15000),
        ("10000.01", 20000),  # 200.0002 → 200.00
        ("1234.50", 617),  # 6.1725 → 6.17
        ("1235.00", 618),  # 6.175 → 6.18: half up
    ],
)
def test_employed_examples_at_the_edges(base_yuan, expected_fen):
    from decimal import Decimal

    base_fen = int(Decimal(str(base_yuan)) * 100)
    assert dues_for(TABLE_2008, DuesCategory.EMPLOYED, base_fen) == expected_fen


def test_retired_examples_at_the_edge():
    assert dues_for(TABLE_2008, DuesCategory.RETIRED, 5000 * YUAN) == 2500
    assert dues_for(TABLE_2008, DuesCategory.RETIRED, 5000 * YUAN + 1) == 5000
    assert dues_for(TABLE_2008, DuesCategory.RETIRED, 20000 * YUAN) == 20000


@given(
    edge=st.sampled_from(
        [(DuesCategory.EMPLOYED, u, r) for u, r in EMPLOYED_EDGES]
        + [(DuesCategory.RETIRED, u, r) for u, r in RETIRED_EDGES]
    ),
    offset=st.integers(min_value=-3, max_value=3),
)
def test_every_bracket_edge_includes_its_bound(edge, offset):
    category, upper, rate = edge
    base = upper + offset
    rows = TABLE_2008.brackets[category]
    expected_rate = rate if base <= upper else next(r for u, r in rows if u is None or u > upper)
    assert dues_for(TABLE_2008, category, base) == exact_half_up(base, expected_rate)


@given(
    category=st.sampled_from([DuesCategory.EMPLOYED, DuesCategory.RETIRED]),
    base=st.integers(min_value=0, max_value=100_000_000),
)
def test_whole_base_at_its_brackets_rate_rounded_half_up(category, base):
    rate = next(r for u, r in TABLE_2008.brackets[category] if u is None or base <= u)
    amount = dues_for(TABLE_2008, category, base)
    assert amount == exact_half_up(base, rate) == round_half_up(base, rate)
    assert amount >= 0
    assert abs(amount * 10_000 - base * rate) <= 5_000  # never more than half a fen off


@given(base=st.integers(min_value=0, max_value=100_000_000), step=st.integers(min_value=1, max_value=100_000))
def test_within_a_bracket_more_base_never_means_less_dues(base, step):
    for category in (DuesCategory.EMPLOYED, DuesCategory.RETIRED):
        rate_a = TABLE_2008.rate_bp(category, base)
        if rate_a == TABLE_2008.rate_bp(category, base + step):
            assert dues_for(TABLE_2008, category, base + step) >= dues_for(TABLE_2008, category, base)


@given(
    category=st.sampled_from([DuesCategory.STUDENT, DuesCategory.UNEMPLOYED]),
    base=st.integers(min_value=0, max_value=100_000_000),
)
def test_students_and_unemployed_pay_20_fen_whatever_their_base(category, base):
    assert dues_for(TABLE_2008, category, base) == 20


@given(farmer_fen=st.one_of(st.none(), st.integers(min_value=-1000, max_value=1000)), base=st.integers(0, 10**8))
def test_farmers_pay_the_branch_amount_held_within_20_to_100_fen(farmer_fen, base):
    amount = dues_for(TABLE_2008, DuesCategory.FARMER, base, farmer_fen)
    assert 20 <= amount <= 100
    if farmer_fen is not None and 20 <= farmer_fen <= 100:
        assert amount == farmer_fen
    if farmer_fen is None:
        assert amount == 20


def test_a_negative_base_is_refused():
    with pytest.raises(ValueError):
        dues_for(TABLE_2008, DuesCategory.EMPLOYED, -1)


def test_rule_versions_apply_from_their_month_and_only_from_a_future_one(rules):
    from server.db import db
    from server.dues.rules import add_rule, rule_for_month

    assert rule_for_month(date(2008, 4, 1)).id == rules.id
    with pytest.raises(AppError):
        rule_for_month(date(2008, 3, 1))
    brackets = {
        DuesCategory.EMPLOYED: [(400_000, 50), (None, 100)],
        DuesCategory.RETIRED: [(None, 50)],
    }
    common = dict(title="新规", fixed_low_fen=30, farmer_min_fen=20, farmer_max_fen=100, created_by_id=None)
    with pytest.raises(AppError) as past:
        add_rule(effective_month=date(2026, 12, 1), brackets=brackets, today_month=date(2026, 12, 1), **common)
    assert past.value.code == "rule_not_future"
    with pytest.raises(AppError):
        add_rule(
            effective_month=date(2027, 1, 1),
            brackets={**brackets, DuesCategory.RETIRED: [(500_000, 50)]},  # no open top bracket
            today_month=date(2026, 12, 1),
            **common,
        )
    new = add_rule(effective_month=date(2027, 1, 1), brackets=brackets, today_month=date(2026, 12, 1), **common)
    db.session.commit()
    assert rule_for_month(date(2026, 12, 1)).id == rules.id
    assert rule_for_month(date(2027, 1, 1)).id == new.id
    assert rule_for_month(date(2030, 5, 1)).id == new.id
