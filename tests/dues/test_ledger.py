"""党费台账 and 上缴记录: the roll-up equals the sum of the branches, money counted in the month it came in,
remittances received, remitted and reversed once; another subtree's ledger is missing, read-only may not write."""

from __future__ import annotations

import io
from datetime import datetime, time
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from server.audit.models import AuditLog
from server.auth.models import Role
from server.db import db
from server.dues import ledger, remittances
from server.dues.ledger_models import DuesRemittance
from server.dues.models import DuesBill
from server.dues.months import add_months
from server.errors import AppError
from server.timezone import display_zone
from tests.dues.ledger_helpers import THIS, bill_of, make_months, pay, pay_all_but


@pytest.fixture
def books(rules, tree, make_member):
    """Six months of bills in 甲一, 甲二 and 乙一, some paid, some behind."""
    people = {
        "a1": [make_member(tree["a1"], f"甲一{n}", dues_base_yuan=Decimal(3000 + 1000 * n)) for n in range(3)],
        "a2": [make_member(tree["a2"], f"甲二{n}", dues_base_yuan=Decimal(2500 + 1500 * n)) for n in range(2)],
        "b1": [make_member(tree["b1"], "乙一0", dues_base_yuan=Decimal("6000"))],
    }
    make_months(6)
    for index, member in enumerate(people["a1"] + people["a2"] + people["b1"]):
        pay_all_but(member, index % 4)
    return people


def _sum(where) -> int:
    return int(db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(DuesBill.amount_fen), 0)).where(*where)))


def test_the_committee_roll_up_is_the_sum_of_its_branches(books, tree):
    first, last = add_months(THIS, -5), THIS
    top = ledger.ledger(tree["committee"], first, last)
    branches = [ledger.ledger(tree[key], first, last).total for key in ("a1", "a2", "b1")]
    for figure in ("expected_fen", "paid_fen", "collected_fen", "arrears_fen"):
        assert getattr(top.total, figure) == sum(getattr(b, figure) for b in branches), figure
    assert top.total.expected_fen == _sum([DuesBill.month >= first]) > 0
    assert top.total.paid_fen < top.total.expected_fen and top.total.arrears_fen > 0
    assert [row.name for row in top.children] == ["甲党总支", "乙党总支"]
    general_a = ledger.ledger(tree["general_a"], first, last)
    assert (
        general_a.total.expected_fen
        == top.children[0].expected_fen
        == branches[0].expected_fen + branches[1].expected_fen
    )
    assert top.channels == {"现金": top.total.collected_fen}  # the helpers pay in cash
    assert sum(month["expected"] for month in top.months) == top.total.expected_fen
    assert sum(month["collected"] for month in top.months) == top.total.collected_fen


def test_money_counts_in_the_beijing_month_it_came_in(rules, tree, make_member):
    member = make_member(tree["a1"], "张三", dues_base_yuan=Decimal("4000"))
    months = make_months(3)
    # 00:30 on the first of this month in Beijing is still last month in UTC: it is this month's money
    midnight = datetime.combine(THIS, time(0, 30), tzinfo=display_zone())
    pay(member, months[:2], at=midnight, extra=500)
    owed = bill_of(member, months[0]).amount_fen + bill_of(member, months[1]).amount_fen
    this_month = ledger.ledger(tree["a1"], THIS, THIS)
    last_month = ledger.ledger(tree["a1"], months[1], months[1])
    assert this_month.total.collected_fen == owed + 500 and last_month.total.collected_fen == 0
    assert last_month.total.paid_fen == bill_of(member, months[1]).amount_fen  # the rate: by the bill's month
    assert this_month.total.arrears_fen == 0  # this month is not yet in arrears


def test_remittances_make_each_levels_received_remitted_and_balance(books, tree, make_admin):
    admin = make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    quarter = (add_months(THIS, -3), add_months(THIS, -1))
    from_a1 = remittances.record_remittance(tree["a1"], *quarter, 10_000, "收据 001", admin.id)
    remittances.record_remittance(tree["general_a"], *quarter, 6_000, "", admin.id)
    db.session.commit()
    book = ledger.ledger(tree["general_a"], add_months(THIS, -5), THIS)
    a1 = next(row for row in book.children if row.org_id == tree["a1"].id)
    assert (book.own.received_fen, book.own.remitted_fen, book.own.balance_fen) == (10_000, 6_000, 4_000)
    assert a1.remitted_fen == 10_000 and a1.balance_fen == a1.received_fen - 10_000
    assert a1.received_fen == ledger.ledger(tree["a1"], add_months(THIS, -5), THIS).total.collected_fen
    remittances.reverse(from_a1, "金额记错", admin.id)
    db.session.commit()
    with pytest.raises(AppError):
        remittances.reverse(from_a1, "又一次", admin.id)
    db.session.rollback()
    assert ledger.ledger(tree["general_a"], add_months(THIS, -5), THIS).own.received_fen == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DuesRemittance)) == 3
    with pytest.raises(AppError):
        remittances.record_remittance(tree["committee"], *quarter, 1, "", admin.id)  # the root has no parent


def test_the_pages_are_scoped_audited_and_exported(books, tree, make_admin, browser):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    make_admin("weiyuan", Role.COMMITTEE, tree["a1"])
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    secretary, general = browser("shuji"), browser("zongzhi")
    page = general.get("/admin/dues/ledger").get_data(as_text=True)
    assert "甲党总支" in page and "甲一支部" in page and "乙一支部" not in page and 'id="ledger-data"' in page
    assert general.get(f"/admin/dues/ledger?org_id={tree['b1'].id}").status_code == 404
    assert general.get(f"/admin/dues/ledger?org_id={tree['committee'].id}").status_code == 404
    assert secretary.get(f"/admin/dues/ledger?org_id={tree['a2'].id}").status_code == 404
    assert general.get("/admin/dues/ledger.xlsx?org_id=999999").status_code == 404
    export = general.get(f"/admin/dues/ledger.xlsx?org_id={tree['general_a'].id}")
    assert export.status_code == 200
    rows = list(load_workbook(io.BytesIO(export.data)).worksheets[0].iter_rows(values_only=True))
    assert rows[1][0] == "组织" and any(row[0] == "甲一支部" for row in rows)
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "dues_ledger.export")) == 1

    form = {"org_id": tree["a1"].id, "first_month": f"{add_months(THIS, -3):%Y-%m}"}
    form |= {"last_month": f"{add_months(THIS, -1):%Y-%m}", "amount_yuan": "120.50", "note": "第三季度"}
    assert secretary.post("/admin/dues/remittances", form).status_code == 302
    entry = db.session.scalar(sa.select(DuesRemittance))
    assert (entry.from_org_id, entry.to_org_id, entry.amount_fen) == (tree["a1"].id, tree["general_a"].id, 12_050)
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "dues_remittance.create")) == 1
    assert secretary.post("/admin/dues/remittances", form | {"org_id": tree["b1"].id}).status_code == 404
    assert browser("weiyuan").post("/admin/dues/remittances", form).status_code == 403
    assert browser("weiyuan").post(f"/admin/dues/remittances/{entry.id}/reverse", {"note": "x"}).status_code == 403
    listed = general.get("/admin/dues/remittances").get_data(as_text=True)
    assert "¥120.50" in listed and "第三季度" in listed
    assert secretary.post(f"/admin/dues/remittances/{entry.id}/reverse", {"note": "记错"}).status_code == 302
    assert secretary.post(f"/admin/dues/remittances/{entry.id}/reverse", {"note": "再次"}).status_code == 302
    assert db.session.scalar(sa.select(sa.func.sum(DuesRemittance.amount_fen))) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DuesRemittance)) == 2
    make_admin("yishuji", Role.SECRETARY, tree["b1"])
    other = browser("yishuji")
    assert other.post(f"/admin/dues/remittances/{entry.id}/reverse", {"note": "x"}).status_code == 404
    assert "第三季度" not in other.get("/admin/dues/remittances").get_data(as_text=True)


def test_no_level_remits_more_than_it_holds_and_a_refusal_writes_nothing(books, tree, make_admin, browser):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    collected = ledger.books_of(tree["a1"]).balance_fen
    assert collected == ledger.ledger(tree["a1"], add_months(THIS, -5), THIS).total.collected_fen > 0
    form = {"org_id": tree["a1"].id, "first_month": f"{add_months(THIS, -3):%Y-%m}"}
    form |= {"last_month": f"{add_months(THIS, -1):%Y-%m}", "note": "第三季度"}
    too_much = f"{(collected + 1) // 100}.{(collected + 1) % 100:02d}"
    secretary = browser("shuji")
    audit_before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))

    page = secretary.post("/admin/dues/remittances", form | {"amount_yuan": too_much}, follow_redirects=True)
    shown = page.get_data(as_text=True)
    assert "超过甲一支部的结余" in shown and "未登记" in shown
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DuesRemittance)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == audit_before

    whole = f"{collected // 100}.{collected % 100:02d}"
    assert secretary.post("/admin/dues/remittances", form | {"amount_yuan": whole}).status_code == 302
    with pytest.raises(AppError) as refusal:  # nothing left: not a fen more
        remittances.record_remittance(tree["a1"], add_months(THIS, -1), add_months(THIS, -1), 1, "", None)
    assert refusal.value.code == "remittance_exceeds_balance" and "¥0.00" in refusal.value.message
    db.session.rollback()
    # the general branch now holds what 甲一 handed up, and may pass exactly that on
    assert ledger.books_of(tree["general_a"]).balance_fen == collected
    general = browser("zongzhi")
    general.post("/admin/dues/remittances", form | {"org_id": tree["general_a"].id, "amount_yuan": too_much})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DuesRemittance)) == 1
    general.post("/admin/dues/remittances", form | {"org_id": tree["general_a"].id, "amount_yuan": whole})
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DuesRemittance)) == 2
    assert ledger.books_of(tree["general_a"]).balance_fen == 0
