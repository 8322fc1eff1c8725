"""Command-line tasks of the meetings domain: ``flask --app wsgi verify-minutes``."""

from __future__ import annotations

import click
from flask import Flask

from server.db import db


def register(app: Flask) -> None:
    @app.cli.command("verify-minutes")
    def verify_minutes() -> None:
        """Recompute every organisation's minutes hash chain; exit 1 if any record was altered."""
        from server.meetings.minutes import verify_all
        from server.orgs.models import Organisation

        reports = verify_all()
        broken = 0
        for org_id, report in reports.items():
            org = db.session.get(Organisation, org_id)
            name = f"{org.name}（#{org_id}）" if org else f"#{org_id}"
            if report.ok:
                click.echo(f"{name}：正常，已校验 {report.checked} 条记录")
                continue
            broken += 1
            click.echo(f"{name}：发现 {len(report.problems)} 个问题")
            for problem in report.problems:
                click.echo(f"  - {problem['message']}")
        if not reports:
            click.echo("还没有已定稿的会议记录")
        elif broken:
            click.echo(f"共 {len(reports)} 个组织，其中 {broken} 个组织的会议记录链校验未通过")
        else:
            click.echo(f"共 {len(reports)} 个组织，会议记录链全部校验通过")
        db.session.rollback()
        if broken:
            click.get_current_context().exit(1)
