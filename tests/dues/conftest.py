from __future__ import annotations

import pytest

from server.db import db
from server.dues.rules import ensure_rules_2008


@pytest.fixture
def rules(app):
    """The 2008 rules (the migration seeds them; the tests empty every table)."""
    rule = ensure_rules_2008()
    db.session.commit()
    return rule
