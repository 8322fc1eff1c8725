"""Money as people read it. Amounts are integer fen everywhere; this is only how they are written."""

from __future__ import annotations


def money_text(fen: int) -> str:
    """``123450`` → ``¥1,234.50``; ``-1200`` → ``−¥12.00`` (a reversal). No floats."""
    whole, cents = divmod(abs(fen), 100)
    return f"{'−' if fen < 0 else ''}¥{whole:,}.{cents:02d}"
