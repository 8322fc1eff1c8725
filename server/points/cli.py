"""``flask --app wsgi rebuild-leaderboards``: every leaderboard recomputed from the ledger."""

from __future__ import annotations

import click
from flask import Flask


def register(app: Flask) -> None:
    @app.cli.command("rebuild-leaderboards")
    def rebuild_leaderboards() -> None:
        """Recompute every learning-points leaderboard from the ledger (Redis; nothing to do without it)."""
        from server.points.tasks import rebuild_leaderboards as rebuild

        written = rebuild()
        click.echo(f"已根据积分明细重建 {written} 个排行榜" if written else "积分排行直接由数据库计算，无需重建")
