"""Money as the admin pages write it: ¥1,234.50 from integer fen, or from PostgreSQL's sum of them."""

from decimal import Decimal

import pytest

from server.money import money_text


def test_fen_read_as_yuan_with_thousands_whether_an_int_or_a_postgresql_sum():
    assert [money_text(v) for v in (0, 5, 123450, 100_000_000, -1200)] == [
        "¥0.00",
        "¥0.05",
        "¥1,234.50",
        "¥1,000,000.00",
        "−¥12.00",
    ]
    assert money_text(Decimal("564650")) == "¥5,646.50"  # SUM(bigint) on PostgreSQL is numeric
    with pytest.raises(ValueError):
        money_text(Decimal("1.5"))  # never a fraction of a fen
