"""Monthly bills: who owes, how much (SQL and Python agree), made once, paid once, and the limits."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.db import db
from server.dues import bills
from server.dues.bases import set_base
from server.dues.models import BaseSource, BillStatus, DuesBill, DuesBranchSettings
from server.dues.months import add_months, current_month
from server.dues.rules import add_rule, dues_for, rule_for_month, rule_table
from server.errors import AppError
from server.members.models import DuesCategory, MemberStatus
from server.members.services import move_member
from tests.dues.conftest import payment_rows

THIS = current_month()


def _bill(member, month) -> DuesBill | None:
    return db.session.scalar(sa.select(DuesBill).where(DuesBill.member_id == member.id, DuesBill.month == month))


def _count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(DuesBill))


def test_a_month_is_made_once_with_the_amount_of_the_rule(rules, tree, make_member):
    a = make_member(tree["a1"], dues_base_yuan=Decimal("3000"))
    b = make_member(tree["a1"], dues_base_yuan=Decimal("3000.01"))
    retired = make_member(tree["a2"], dues_category=DuesCategory.RETIRED, dues_base_yuan=Decimal("6000"))
    student = make_member(tree["a2"], dues_category=DuesCategory.STUDENT, dues_base_yuan=Decimal("0"))
    assert bills.generate_bills(THIS) == 4
    assert bills.generate_bills(THIS) == 0
    db.session.commit()
    assert _count() == 4
    assert [_bill(m, THIS).amount_fen for m in (a, b, retired, student)] == [1500, 3000, 6000, 20]
    bill = _bill(a, THIS)
    assert (bill.status, bill.rule_id, bill.base_fen, bill.org_id) == (BillStatus.UNPAID, rules.id, 300_000, a.org_id)


def test_farmers_pay_what_their_branch_set(rules, tree, make_member):
    farmer = make_member(tree["a1"], dues_category=DuesCategory.FARMER)
    elsewhere = make_member(tree["a2"], dues_category=DuesCategory.FARMER)
    db.session.add(DuesBranchSettings(org_id=tree["a1"].id, farmer_fen=50, allow_pay_ahead=False, ahead_months=0))
    db.session.commit()
    bills.generate_bills(THIS)
    assert _bill(farmer, THIS).amount_fen == 50
    assert _bill(elsewhere, THIS).amount_fen == 20  # no setting: the lowest amount


def test_probationary_members_owe_from_the_month_they_were_accepted(rules, tree, make_member):
    accepted = date(2026, 3, 17)
    member = make_member(tree["a1"], status=MemberStatus.PROBATIONARY, join_date=accepted, full_member_date=None)
    assert bills.generate_bills(date(2026, 2, 1)) == 0
    assert bills.generate_bills(date(2026, 3, 1)) == 1
    assert _bill(member, date(2026, 3, 1)) is not None


def test_a_bill_keeps_its_base_and_rule_when_they_change_later(rules, tree, make_member):
    member = make_member(tree["a1"], dues_base_yuan=Decimal("4000"), join_date=date(2020, 1, 1), full_member_date=None)
    bills.generate_bills(date(2026, 1, 1))
    set_base(member, date(2026, 2, 1), 1_200_000, set_by_id=None, source=BaseSource.MANUAL)
    new = add_rule(
        effective_month=date(2026, 3, 1),
        title="新规",
        fixed_low_fen=20,
        farmer_min_fen=20,
        farmer_max_fen=100,
        brackets={DuesCategory.EMPLOYED: [(None, 100)], DuesCategory.RETIRED: [(None, 50)]},
        created_by_id=None,
        today_month=date(2026, 2, 1),
    )
    bills.generate_bills(date(2026, 2, 1))
    bills.generate_bills(date(2026, 3, 1))
    db.session.commit()
    jan, feb, mar = (_bill(member, date(2026, m, 1)) for m in (1, 2, 3))
    assert (jan.base_fen, jan.amount_fen, jan.rule_id) == (400_000, 4000, rules.id)
    assert (feb.base_fen, feb.amount_fen, feb.rule_id) == (1_200_000, 24000, rules.id)
    assert (mar.base_fen, mar.amount_fen, mar.rule_id) == (1_200_000, 12000, new.id)


def test_a_base_typed_in_the_register_enters_the_history(rules, tree, make_member):
    from server.dues.bases import base_in_force, history
    from server.members.services import update_member

    member = make_member(tree["a1"], dues_base_yuan=Decimal("4000"))
    assert [row.base_fen for row in history(member.id)] == [400_000]
    update_member(member, {"dues_base_fen": 450_000})
    db.session.commit()
    assert base_in_force(member.id, THIS) == 450_000
    set_base(member, THIS, 480_000, set_by_id=None, source=BaseSource.MANUAL)
    db.session.commit()
    assert member.dues_base_fen == 480_000  # the register shows the base in force now
    assert len(history(member.id)) == 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    people=st.lists(
        st.tuples(st.sampled_from(list(DuesCategory)), st.integers(min_value=0, max_value=100_000_000)),
        min_size=1,
        max_size=6,
    ),
    farmer_fen=st.integers(min_value=20, max_value=100),
)
def test_the_sql_of_the_monthly_job_computes_what_dues_for_computes(rules, tree, make_member, people, farmer_fen):
    db.session.execute(sa.delete(DuesBill))
    settings_row = db.session.get(DuesBranchSettings, tree["a1"].id) or DuesBranchSettings(org_id=tree["a1"].id)
    settings_row.farmer_fen, settings_row.allow_pay_ahead, settings_row.ahead_months = farmer_fen, False, 0
    db.session.add(settings_row)
    made = [(make_member(tree["a1"], dues_category=c, dues_base_yuan=Decimal(b) / 100), c, b) for c, b in people]
    bills.generate_bills(THIS)
    table = rule_table(rule_for_month(THIS))
    for member, category, base in made:
        assert _bill(member, THIS).amount_fen == dues_for(table, category, base, farmer_fen)


def test_the_sql_agrees_with_dues_for_at_every_bracket_edge(rules, tree, make_member):
    table = rule_table(rules)
    cases = [
        (category, upper + offset)
        for category, rows in table.brackets.items()
        for upper, _ in rows
        if upper is not None
        for offset in (-1, 0, 1)
    ]
    made = [(make_member(tree["a1"], dues_category=c, dues_base_yuan=Decimal(b) / 100), c, b) for c, b in cases]
    bills.generate_bills(THIS)
    for member, category, base in made:
        assert _bill(member, THIS).amount_fen == dues_for(table, category, base), (category, base)


# --- paying ---------------------------------------------------------------------------------------------


@pytest.fixture
def arrears(rules, tree, make_member):
    """A member with a bill for each of the last ten months (this one included)."""
    member = make_member(
        tree["a1"], dues_base_yuan=Decimal("2000"), join_date=date(2015, 1, 1), full_member_date=date(2016, 1, 1)
    )
    for back in range(10):
        bills.generate_bills(add_months(THIS, -back))
    db.session.commit()
    return member


def test_back_payment_reaches_six_months_unless_approved(arrears):
    months = [bill.month for bill in bills.payable_bills(arrears)]
    assert months == [add_months(THIS, -back) for back in range(6, -1, -1)]
    assert bills.unpaid_months(arrears)[0] == add_months(THIS, -9)
    with pytest.raises(AppError) as refused:
        bills.payable_bills(arrears, [add_months(THIS, -8)])
    assert refused.value.code == bills.NOT_PAYABLE
    bills.approve_backpay(arrears, add_months(THIS, -9), "长期外派，经支部同意补缴", approved_by_id=None)
    assert len(bills.payable_bills(arrears)) == 10
    assert [b.month for b in bills.payable_bills(arrears, [add_months(THIS, -8)])] == [add_months(THIS, -8)]


def test_paying_ahead_only_where_the_branch_allows_it(arrears, tree):
    ahead = add_months(THIS, 2)
    with pytest.raises(AppError):
        bills.payable_bills(arrears, [ahead])
    db.session.add(DuesBranchSettings(org_id=tree["a1"].id, farmer_fen=20, allow_pay_ahead=True, ahead_months=3))
    db.session.flush()
    [bill] = bills.payable_bills(arrears, [ahead])  # made on demand
    assert (bill.month, bill.amount_fen) == (ahead, 1000)
    assert max(b.month for b in bills.payable_bills(arrears)) == add_months(THIS, 3)


def test_bills_are_paid_exactly_once(arrears, tree, make_member):
    payment_rows(arrears, 501, 502, 503)
    chosen = bills.payable_bills(arrears)[-3:]
    ids = [bill.id for bill in chosen]
    assert bills.mark_bills_paid(ids, 501, member_id=arrears.id, voluntary_extra_fen=1000) == sorted(ids)
    db.session.commit()
    with pytest.raises(bills.BillsNotPayable):
        bills.mark_bills_paid(ids, 502)
    db.session.rollback()
    paid = db.session.scalars(sa.select(DuesBill).where(DuesBill.id.in_(ids)).order_by(DuesBill.month)).all()
    assert {(b.status, b.paid_by_payment_id) for b in paid} == {(BillStatus.PAID, 501)}
    assert [b.voluntary_extra_fen for b in paid] == [0, 0, 1000]  # 自愿多交 on the latest month
    other = make_member(tree["a1"])
    bills.generate_bills(THIS)
    db.session.commit()
    with pytest.raises(bills.BillsNotPayable):  # somebody else's bill
        bills.mark_bills_paid([_bill(other, THIS).id], 503, member_id=arrears.id)
    db.session.rollback()
    assert _bill(other, THIS).status is BillStatus.UNPAID
    assert bills.reopen_bills(ids, 502) == []
    assert sorted(bills.reopen_bills(ids, 501)) == sorted(ids)


def test_paying_a_set_with_one_bill_paid_already_marks_none_of_them(arrears):
    """All or none without the caller's rollback: the months it could mark are put back as they were."""
    payment_rows(arrears, 601, 602)
    first, second, third = (bill.id for bill in bills.payable_bills(arrears)[-3:])
    bills.mark_bills_paid([second], 601, member_id=arrears.id)
    with pytest.raises(bills.BillsNotPayable) as refused:
        bills.mark_bills_paid([first, second, third], 602, member_id=arrears.id, voluntary_extra_fen=500)
    assert refused.value.bill_ids == [second]
    db.session.commit()  # no rollback: nothing of the refused payment is left to commit
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(
            DuesBill.id, DuesBill.status, DuesBill.paid_by_payment_id, DuesBill.paid_at, DuesBill.voluntary_extra_fen
        )
        .where(DuesBill.id.in_([first, second, third]))
        .order_by(DuesBill.month)
    ).all()
    assert [(row.status, row.paid_by_payment_id, row.voluntary_extra_fen) for row in rows] == [
        (BillStatus.UNPAID, None, 0),
        (BillStatus.PAID, 601, 0),
        (BillStatus.UNPAID, None, 0),
    ]
    assert rows[0].paid_at is None and rows[2].paid_at is None


def test_paid_up_month_and_the_transfer_that_states_it(arrears, tree):
    assert bills.paid_up_to(arrears) is None
    payment_rows(arrears, 7, 8)
    oldest = bills.payable_bills(arrears)  # the last seven months
    bills.approve_backpay(arrears, add_months(THIS, -9), "补缴", approved_by_id=None)
    first_three = [b.id for b in bills.payable_bills(arrears)[:3]]
    bills.mark_bills_paid(first_three, 7)
    assert bills.paid_up_to(arrears) == add_months(THIS, -7)
    bills.mark_bills_paid([oldest[-1].id], 8)  # this month, with a gap before it
    assert bills.paid_up_to(arrears) == add_months(THIS, -7)
    transfer = move_member(arrears, tree["a2"], "工作调动")
    db.session.commit()
    assert transfer.dues_paid_to_month == add_months(THIS, -7)


def test_waiving_follows_the_transition_table(arrears):
    payment_rows(arrears, 9)
    bill = bills.payable_bills(arrears)[0]
    bills.change_status(bill, BillStatus.WAIVED, "困难党员，支部决定免缴")
    assert bill.status is BillStatus.WAIVED
    with pytest.raises(AppError):
        bills.change_status(bill, BillStatus.PAID)
    bills.change_status(bill, BillStatus.UNPAID)
    bills.mark_bills_paid([bill.id], 9)
    with pytest.raises(AppError):
        bills.change_status(bill, BillStatus.WAIVED)


def test_the_monthly_job_makes_this_months_bills_once_and_updates_the_register(rules, tree, make_member):
    from server.dues.tasks import make_current_bills, monthly_bills

    member = make_member(tree["a1"], dues_base_yuan=Decimal("4000"), join_date=date(2020, 1, 1), full_member_date=None)
    set_base(member, add_months(THIS, -1), 600_000, set_by_id=None, source=BaseSource.MANUAL)
    db.session.execute(sa.update(type(member)).where(type(member).id == member.id).values(dues_base_fen=400_000))
    db.session.commit()
    assert make_current_bills() == 1
    monthly_bills.call_local()  # the scheduled job itself: nothing new
    db.session.expire_all()
    assert _count() == 1
    assert member.dues_base_fen == 600_000
    assert _bill(member, THIS).base_fen == 600_000
