"""Upgrading a register that existed before dues: the 2008 rules are there, and every member's base
becomes the first row of their history, from their join month (else the month they were registered)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from server.db import db
from server.dues.bills import generate_bills
from server.dues.models import DuesBase, DuesBill, DuesRule
from server.dues.months import current_month


def test_upgrade_seeds_the_rules_and_moves_the_register_bases_into_the_history(tree, make_member):
    joined = make_member(
        tree["a1"], "张三", dues_base_yuan=Decimal("4200.50"), join_date=date(2010, 5, 17), full_member_date=None
    )
    unknown = make_member(tree["a1"], "李四", dues_base_yuan=Decimal("3000"), join_date=None, full_member_date=None)
    ids = (joined.id, unknown.id)
    db.session.remove()

    downgrade(revision="d0e5c0de1001-1")
    upgrade()

    rule = db.session.scalar(sa.select(DuesRule))
    assert (rule.effective_month, rule.title, len(rule.brackets)) == (date(2008, 4, 1), "中组发〔2008〕3号", 6)
    rows = db.session.execute(
        sa.select(DuesBase.member_id, DuesBase.effective_month, DuesBase.base_fen).order_by(DuesBase.member_id)
    ).all()
    assert rows[0] == (ids[0], date(2010, 5, 1), 420_050)
    assert rows[1][0] == ids[1] and rows[1][2] == 300_000 and rows[1][1].day == 1
    generate_bills(current_month())
    amounts = db.session.scalars(sa.select(DuesBill.amount_fen).order_by(DuesBill.member_id)).all()
    assert amounts == [4201, 1500]  # 4,200.50 at 1% = 42.005 → 42.01 (half up); 3,000 at 0.5%
