"""Counts kept per organisation and added up over a subtree: the dashboard's figures are counted per
organisation (members, bills, meetings of each), so a subtree's figures are the sum of its
organisations' whether they were counted just now or by the periodic summary
(server/admin/dashboard_counts.py)."""

from __future__ import annotations

from collections.abc import Iterable

#: name → count, for one organisation or added up over several
Counts = dict[str, int]


def add_up(counts: Iterable[Counts]) -> Counts:
    """The sum, name by name, of several organisations' counts."""
    total: Counts = {}
    for one in counts:
        for name, value in one.items():
            total[name] = total.get(name, 0) + value
    return total
