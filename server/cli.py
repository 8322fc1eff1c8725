"""Command-line tasks: ``flask --app wsgi <command>``."""

from __future__ import annotations

import click
from flask import Flask

from server.db import db
from server.timezone import to_local


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--members-per-branch", default=30, show_default=True)
    def seed_demo(members_per_branch: int) -> None:
        """Fill an empty database with a demo committee and print the admin logins."""
        from server.demo import seed

        accounts = seed(members_per_branch)
        db.session.commit()
        if not accounts:
            click.echo("数据库里已有数据，未重复生成演示数据。演示账号密码见 README。")
            return
        click.echo("演示数据已生成。管理后台账号（密码均相同）：")
        for username, password, scope in accounts:
            click.echo(f"  {username:10s} / {password}   {scope}")

    @app.cli.command("create-admin")
    @click.argument("username")
    @click.option("--name", "display_name", required=True)
    @click.option("--role", type=click.Choice(["superadmin", "org_admin", "secretary", "committee"]), required=True)
    @click.option("--org-id", type=int, default=None)
    @click.password_option()
    def create_admin_command(username: str, display_name: str, role: str, org_id: int | None, password: str) -> None:
        """Create an admin account."""
        from server.auth.admin_services import create_admin
        from server.auth.models import Role
        from server.orgs.services import get_org

        org = get_org(org_id) if org_id else None
        create_admin(username, password, display_name, Role(role), org)
        db.session.commit()
        click.echo(f"已创建账号 {username}")

    @app.cli.command("worker")
    @click.option("--workers", default=2, show_default=True)
    @click.option(
        "--periodic/--no-periodic",
        default=True,
        show_default=True,
        help="Schedule periodic jobs. With several worker machines, exactly one should.",
    )
    def worker(workers: int, periodic: bool) -> None:
        """Run the background job consumer."""
        from server.tasks import huey

        huey.create_consumer(workers=workers, worker_type="thread", periodic=periodic).run()

    @app.cli.command("issue-invite")
    @click.argument("member_id", type=int)
    def issue_invite(member_id: int) -> None:
        """Issue a one-time WeChat binding code for a member (what the secretary's page does)."""
        from server.auth.member_services import issue_invite_code
        from server.members.services import get_member

        member = get_member(member_id)
        invite, code = issue_invite_code(member, None)
        db.session.commit()
        expires = to_local(invite.expires_at)
        click.echo(f"{member.name}（{member.org.name}）的绑定邀请码：{code}，有效期至 {expires:%Y-%m-%d %H:%M}")
