"""Money as people read it. Amounts are integer fen everywhere; this is only how they are written."""

from __future__ import annotations

from decimal import Decimal


def money_text(fen: int | Decimal) -> str:
    """``123450`` → ``¥1,234.50``; ``-1200`` → ``−¥12.00`` (a reversal). No floats. A sum from PostgreSQL
    comes as a ``Decimal``; it is still whole fen."""
    if int(fen) != fen:
        raise ValueError(f"not a whole number of fen: {fen!r}")
    fen = int(fen)
    whole, cents = divmod(abs(fen), 100)
    return f"{'−' if fen < 0 else ''}¥{whole:,}.{cents:02d}"
