"""The demo opens on something real: arrears past both lines with this month's reminders, remittances of
past quarters, a ledger, a refund waiting for the finance admin, and books that agree with themselves."""

from __future__ import annotations

import sqlalchemy as sa

from server.db import db
from server.dues import arrears, ledger, refunds
from server.dues.ledger_models import DuesRemittance
from server.dues.months import add_months, current_month
from server.dues.payment_models import DuesPayment, PaymentStatus, RefundStatus
from server.dues.reconcile import bill_differences
from server.orgs.models import Organisation


def test_the_demo_shows_arrears_remittances_and_a_ledger(demo):
    items = arrears.members_in_arrears("/")
    assert any(item.flagged for item in items) and any(not item.flagged for item in items)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DuesRemittance)) > 0
    root = db.session.scalar(sa.select(Organisation).where(Organisation.parent_id.is_(None)))
    book = ledger.ledger(root, add_months(current_month(), -11), current_month())
    assert book.total.expected_fen > 0 and 0 < book.total.rate < 1
    assert book.own.received_fen > 0  # the general branches remitted to the committee
    assert book.own.received_fen == sum(row.remitted_fen for row in book.children)
    reminded = arrears.last_reminders([item.member_id for item in items])
    assert set(reminded) == {item.member_id for item in items}
    assert {r.month for r in reminded.values()} == {current_month()}
    (waiting,) = refunds.needing_attention("/")
    assert waiting.refund.status is RefundStatus.ABNORMAL
    paid = db.session.scalars(sa.select(DuesPayment).where(DuesPayment.status == PaymentStatus.PAID)).all()
    assert paid and bill_differences(list(paid)) == []  # every paid month is paid by the payment that says so
