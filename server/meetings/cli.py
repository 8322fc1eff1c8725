"""Command-line tasks of the meetings domain: ``flask --app wsgi verify-minutes`` and ``anchor-minutes``."""

from __future__ import annotations

import click
from flask import Flask

from server.db import db


def _print_problems(name: str, report) -> None:
    click.echo(f"{name}：发现 {len(report.problems)} 个问题")
    for problem in report.problems:
        click.echo(f"  - {problem['message']}")


def register(app: Flask) -> None:
    @app.cli.command("verify-minutes")
    def verify_minutes() -> None:
        """Recompute every organisation's minutes hash chain and hold it against the anchor file; exit 1 on
        any problem (an altered or deleted record, a forged or damaged anchor)."""
        from server.meetings.minutes import verify_all

        result = verify_all()
        broken = 0
        for org_id, report in result.reports.items():
            name = f"{result.organisations[org_id].name}（#{org_id}）"
            if report.ok:
                click.echo(f"{name}：正常，已校验 {report.checked} 条记录")
                continue
            broken += 1
            _print_problems(name, report)
        if not result.anchor_file.ok:
            _print_problems("锚点文件", result.anchor_file)
        if not result.reports:
            click.echo("还没有已定稿的会议记录")
        elif broken:
            click.echo(f"共 {len(result.reports)} 个组织，其中 {broken} 个组织的会议记录链校验未通过")
        else:
            click.echo(f"共 {len(result.reports)} 个组织，会议记录链全部校验通过")
        db.session.rollback()
        if not result.ok:
            click.get_current_context().exit(1)

    @app.cli.command("anchor-minutes")
    def anchor_minutes() -> None:
        """Append every organisation's new minutes chain head to the anchor file (the hourly job does it too)."""
        from server.meetings.anchors import anchor_file
        from server.meetings.minutes import export_anchors

        count = export_anchors()
        db.session.rollback()
        click.echo(f"已将 {count} 个组织的会议记录链链头写入锚点文件 {anchor_file()}")
