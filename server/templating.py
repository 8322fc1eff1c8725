"""Jinja helpers: times shown in Asia/Shanghai, money shown in yuan."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Flask, g

from server.members.schemas import fen_to_yuan
from server.money import money_text


def register(app: Flask) -> None:
    zone = ZoneInfo(app.config["DISPLAY_TIMEZONE"])

    @app.template_filter("local")
    def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return value.astimezone(zone).strftime(fmt) if value else ""

    @app.template_filter("day")
    def day(value: date | None) -> str:
        return value.isoformat() if value else ""

    @app.template_filter("yuan")
    def yuan(fen: int | None) -> str:
        return fen_to_yuan(fen or 0)

    @app.template_filter("money")
    def money(fen: int | None) -> str:
        """Money as people read it: ¥1,234.50 (−¥12.00 for a reversal), from integer fen, no floats."""
        return money_text(fen or 0)

    @app.context_processor
    def current_admin():
        return {"admin": g.get("admin")}
