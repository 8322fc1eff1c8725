"""Command-line tasks: ``flask --app wsgi <command>``."""

from __future__ import annotations

import click
from flask import Flask

from server.db import db
from server.timezone import to_local


def _admin_or_exit(username: str):
    """The admin account named ``username``, or the command stops with the reason."""
    from server.auth.admin_services import get_admin_by_username
    from server.errors import AppError

    try:
        return get_admin_by_username(username)
    except AppError as exc:
        raise click.ClickException(exc.message) from exc


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--members-per-branch", default=30, show_default=True)
    def seed_demo(members_per_branch: int) -> None:
        """Fill an empty database with a demo committee and print the admin logins."""
        from server.demo import demo_accounts, seed

        accounts = seed(members_per_branch)
        db.session.commit()
        if accounts:
            click.echo("演示数据已生成。管理后台账号（密码均相同）：")
        else:
            accounts = demo_accounts()
            click.echo("数据库里已有数据，未重复生成演示数据。演示账号（密码若未改过）：")
        for username, password, scope in accounts:
            click.echo(f"  {username:10s} / {password}   {scope}")

    @app.cli.command("demo-arrivals")
    @click.option("--every", default=45.0, show_default=True, help="seconds between two arrivals")
    def demo_arrivals(every: float) -> None:
        """While the demo's meeting is under way, check in one more of its members every so often."""
        from server.meetings.live_demo import keep_arriving

        keep_arriving(every)

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
        from server.errors import AppError
        from server.orgs.services import get_org

        try:
            org = get_org(org_id) if org_id else None
            create_admin(username, password, display_name, Role(role), org)
        except AppError as exc:  # the reason, not a traceback
            raise click.ClickException(exc.message) from exc
        db.session.commit()
        click.echo(f"已创建账号 {username}")

    @app.cli.command("lock-admin")
    @click.argument("username")
    @click.option("--hours", type=float, default=24, show_default=True, help="0 lifts the lock")
    def lock_admin_command(username: str, hours: float) -> None:
        """Lock an admin account: no login, and its open sessions and linked phone stop acting at once."""
        from server.auth.admin_services import lock_admin

        user = _admin_or_exit(username)
        lock_admin(user, hours)
        db.session.commit()
        click.echo(f"已锁定账号 {username} {hours:g} 小时" if hours > 0 else f"已解除账号 {username} 的锁定")

    @app.cli.command("disable-admin")
    @click.argument("username")
    @click.option("--enable", is_flag=True, help="enable the account again")
    def disable_admin_command(username: str, enable: bool) -> None:
        """Disable an admin account (or enable it again with --enable); takes effect at once everywhere."""
        from server.auth.admin_services import set_active

        user = _admin_or_exit(username)
        set_active(user, enable)
        db.session.commit()
        click.echo(f"已启用账号 {username}" if enable else f"已停用账号 {username}")

    @app.cli.command("worker")
    @click.option("--workers", default=2, show_default=True)
    @click.option(
        "--periodic/--no-periodic",
        default=True,
        show_default=True,
        help="Schedule periodic jobs. With several worker machines, exactly one should.",
    )
    @click.option(
        "--metrics-port",
        type=int,
        envvar="WORKER_METRICS_PORT",
        default=None,
        help="Serve this worker's Prometheus metrics (jobs, pushes, WeChat errors) on WORKER_METRICS_ADDR:port.",
    )
    def worker(workers: int, periodic: bool, metrics_port: int | None) -> None:
        """Run the background job consumer."""
        from server.tasks import huey

        if metrics_port:
            import os

            from prometheus_client import start_http_server

            from server.observability.metrics import registry

            # Loopback by default: the port has no access control of its own (deploy/README.md, "Observability").
            start_http_server(metrics_port, os.environ.get("WORKER_METRICS_ADDR", "127.0.0.1"), registry())
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
