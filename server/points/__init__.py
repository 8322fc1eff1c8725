"""Learning points (学习积分): a ledger shared by quizzes and the newspaper, daily caps per source, totals and
leaderboards per branch and over any subtree."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from server.points import leaderboard, reading

    leaderboard.init_app(app)
    app.extensions["points_reading_connected"] = reading.connect()
