"""The demo opens on something real: arrears past both lines, remittances of past quarters, a ledger."""

from __future__ import annotations

import sqlalchemy as sa

from server.db import db
from server.dues import arrears, ledger
from server.dues.ledger_models import DuesRemittance
from server.dues.months import add_months, current_month
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
