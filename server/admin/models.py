"""The dashboard's summary: each large subtree's figures of the month, counted by the periodic job."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from server.db import UTCDateTime, db


class DashboardCount(db.Model):
    """The figures of the month of one organisation's whole subtree, as the periodic job last counted
    them (server/admin/dashboard_counts.py). Only organisations with a subtree too large to count while
    the page waits have one; it is replaced at each count, never edited by anyone."""

    __tablename__ = "dashboard_counts"

    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True)
    #: the local calendar month counted
    month: Mapped[date] = mapped_column(sa.Date)
    counted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: {"members": {...}, "meetings": {...}, "dues": {...}, "units": {child id: members}}: the counts of
    #: each domain added up over the subtree (server/tally.py), and the members of each organisation
    #: directly below, for 各单位党员人数
    counts: Mapped[dict] = mapped_column(sa.JSON)
