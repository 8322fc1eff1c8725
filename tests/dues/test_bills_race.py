"""Two workers at once: the monthly job makes each bill once, and of two payments for a bill one wins.

Each thread has its own app context, so its own session and database connection; a barrier starts
them together. On PostgreSQL the second INSERT waits on the first one's unique-index entries and then
does nothing; the second UPDATE waits on the row lock and then finds the bill no longer unpaid.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import sqlalchemy as sa

from server.db import db
from server.dues import bills
from server.dues.models import BillStatus, DuesBill
from server.dues.months import current_month
from tests.dues.conftest import payment_rows

THIS = current_month()


def _together(app, work, count: int = 2) -> list[object]:
    barrier = threading.Barrier(count)
    outcomes: list[object] = [None] * count

    def run(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(10)
                outcomes[index] = work(index)
                db.session.commit()
            except Exception as exc:  # reported to the test
                db.session.rollback()
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_two_workers_making_the_same_month_make_each_bill_once(app, rules, tree, make_member):
    for n in range(40):
        make_member(tree["a1" if n % 2 else "a2"], dues_base_yuan=Decimal(1000 + 250 * n))
    db.session.commit()
    outcomes = _together(app, lambda _: bills.generate_bills(THIS), count=3)
    assert all(isinstance(made, int) for made in outcomes), outcomes
    assert sum(outcomes) == 40
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DuesBill)) == 40


def test_two_payments_racing_for_the_same_bills_one_wins(app, rules, tree, make_member):
    member = make_member(tree["a1"])
    bills.generate_bills(THIS)
    db.session.commit()
    [bill] = bills.payable_bills(member)
    db.session.commit()
    payment_rows(member, 900, 901)
    outcomes = _together(app, lambda index: bills.mark_bills_paid([bill.id], 900 + index, member_id=member.id))
    won = [o for o in outcomes if o == [bill.id]]
    lost = [o for o in outcomes if isinstance(o, bills.BillsNotPayable)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    db.session.expire_all()
    paid = db.session.get(DuesBill, bill.id)
    assert paid.status is BillStatus.PAID and paid.paid_by_payment_id in (900, 901)
