"""Arrears: consecutive unpaid ended months, warned at three and flagged at six, exactly at the edges."""

from __future__ import annotations

from decimal import Decimal

import pytest

from server.auth.models import Role
from server.db import db
from server.dues import arrears, bills
from server.dues.arrears import FLAG_MONTHS, WARN_MONTHS
from server.dues.models import BillStatus
from server.dues.months import add_months
from tests.dues.ledger_helpers import THIS, bill_of, make_months, pay, pay_all_but


@pytest.fixture
def behind(rules, tree, make_member):
    """Members of 甲一 behind 0, 2, 3, 5, 6 and 8 ended months; one of 乙一 behind 8."""
    members = {n: make_member(tree["a1"], f"欠{n}", dues_base_yuan=Decimal("4000")) for n in (0, 2, 3, 5, 6, 8)}
    other = make_member(tree["b1"], "乙一欠8")
    make_months(10)
    for n, member in members.items():
        pay_all_but(member, n)
    pay_all_but(other, 8)
    return members, other


def test_the_run_counts_only_ended_months_and_the_thresholds_hold_at_their_edges(behind, tree):
    members, other = behind
    listed = {item.member_id: item for item in arrears.members_in_arrears(tree["a1"].path)}
    assert WARN_MONTHS == 3 and FLAG_MONTHS == 6
    assert set(listed) == {members[n].id for n in (3, 5, 6, 8)}  # 2 is under the line, 3 on it
    assert {n: listed[members[n].id].months for n in (3, 5, 6, 8)} == {3: 3, 5: 5, 6: 6, 8: 8}
    assert [n for n in (3, 5, 6, 8) if listed[members[n].id].flagged] == [6, 8]  # 5 is one short
    three = listed[members[3].id]
    assert (three.first_month, three.last_month) == (add_months(THIS, -3), add_months(THIS, -1))
    assert three.owed_fen == 3 * bill_of(members[3], THIS).amount_fen
    assert arrears.streak_of(members[2].id) == 2 and arrears.streak_of(members[0].id) == 0
    assert other.id not in listed  # another subtree
    assert [m.member_id for m in arrears.members_in_arrears(tree["a1"].path, minimum=FLAG_MONTHS)] == [
        members[8].id,
        members[6].id,
    ]


def test_a_paid_or_waived_month_ends_the_run_and_paying_the_oldest_does_not(behind):
    members, _ = behind
    eight = members[8]
    pay(eight, [add_months(THIS, -8)])  # the oldest unpaid month: the run is still the 7 after it
    assert arrears.streak_of(eight.id) == 7
    bills.change_status(bill_of(eight, add_months(THIS, -3)), BillStatus.WAIVED, "困难")
    db.session.commit()
    assert arrears.streak_of(eight.id) == 2  # only the months after the waived one


def test_the_secretary_sees_the_flagged_with_a_link_to_their_bills_and_no_one_elses(behind, tree, make_admin, browser):
    members, _ = behind
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    secretary = browser("shuji")
    page = secretary.get("/admin/dues/arrears?flagged=1").get_data(as_text=True)
    assert f"/admin/dues/members/{members[8].id}" in page and f"/admin/dues/members/{members[6].id}" in page
    assert f"/admin/dues/members/{members[5].id}" not in page and "乙一欠8" not in page
    assert secretary.get(f"/admin/dues/arrears?org_id={tree['b1'].id}").status_code == 404
    assert secretary.get(f"/admin/dues/members/{members[8].id}").status_code == 200
