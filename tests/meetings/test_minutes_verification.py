"""Who verifies which minutes chains: an admin their own subtree on the page; the whole deployment by
command and by the periodic jobs, which keep their result in the audit trail and the worker's log."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from server.audit.models import AuditLog
from server.auth.models import Role
from server.db import db
from server.meetings import anchors
from server.meetings import minutes as service
from server.meetings.models import Minutes
from server.tasks import huey
from tests.meetings.test_minutes import build_meeting, finalised_minutes


def finalise_in(org, title="主题党日") -> Minutes:
    return finalised_minutes(build_meeting(org, title=title), topic=title)


def tamper(minutes: Minutes) -> None:
    db.session.execute(sa.text("UPDATE minutes SET content = '事后改写' WHERE id = :id"), {"id": minutes.id})
    db.session.commit()


def test_verification_covers_only_the_given_subtree(tree):
    finalise_in(tree["a1"])
    finalise_in(tree["b1"])
    assert list(service.verify_all(tree["a1"].path).reports) == [tree["a1"].id]
    assert list(service.verify_all(tree["general_b"].path).reports) == [tree["b1"].id]
    assert sorted(service.verify_all().reports) == sorted([tree["a1"].id, tree["b1"].id])


def test_the_secretary_page_does_no_work_for_other_branches(app, tree, make_admin, browser):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    secretary = browser("shuji")
    finalise_in(tree["a1"])
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    def page_cost() -> int:
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert secretary.get("/admin/meetings/verify").status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    alone = page_cost()
    for org in ("a2", "b1", "a2", "b1"):
        finalise_in(tree[org], title=f"{org} 会议")
    assert page_cost() == alone


def test_a_secretary_sees_their_chains_and_the_superadmin_everyone(tree, make_admin, browser):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    make_admin("admin", Role.SUPERADMIN)
    finalise_in(tree["a1"])
    tamper(finalise_in(tree["b1"]))

    mine = browser("shuji").get("/admin/meetings/verify").get_data(as_text=True)
    assert "甲一支部" in mine and "完好" in mine
    assert "乙一支部" not in mine and "改动的痕迹" not in mine
    everyone = browser("admin").get("/admin/meetings/verify").get_data(as_text=True)
    assert "甲一支部" in everyone and "乙一支部" in everyone and "改动的痕迹" in everyone


def test_a_damaged_anchor_file_is_shown_to_the_superadmin_only(tree, make_admin, browser):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    make_admin("admin", Role.SUPERADMIN)
    finalise_in(tree["a1"])
    service.export_anchors()
    with anchors.anchor_file().open("a") as file:
        file.write("被改坏的一行\n")

    assert "锚点文件" not in browser("shuji").get("/admin/meetings/verify").get_data(as_text=True)
    everyone = browser("admin").get("/admin/meetings/verify").get_data(as_text=True)
    assert "锚点文件第 3 行" in everyone and "改动的痕迹" in everyone


def test_the_daily_check_records_a_broken_chain_where_its_branch_can_see_it(tree, make_admin, browser, caplog):
    from server.meetings.tasks import check_minutes_chains

    make_admin("shuji_a1", Role.SECRETARY, tree["a1"])
    make_admin("shuji_a2", Role.SECRETARY, tree["a2"])
    finalise_in(tree["a2"])
    tamper(finalise_in(tree["a1"]))

    with caplog.at_level(logging.INFO, logger="server.meetings.tasks"):
        check_minutes_chains.call_local()

    broken = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "minutes.chain_broken")).all()
    assert [(entry.org_id, entry.actor_kind) for entry in broken] == [(tree["a1"].id, "system")]
    summary = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "minutes.chain_check"))
    assert summary.after == {"organisations": 2, "broken": 1, "problems": 1}
    assert any(r.levelno == logging.ERROR and "甲一支部" in r.getMessage() for r in caplog.records)
    assert "会议记录链校验未通过" in browser("shuji_a1").get("/admin/audit").get_data(as_text=True)
    assert "会议记录链校验未通过" not in browser("shuji_a2").get("/admin/audit").get_data(as_text=True)


def test_a_clean_daily_check_leaves_one_summary(tree, caplog):
    from server.meetings.tasks import check_minutes_chains

    finalise_in(tree["a1"])
    with caplog.at_level(logging.INFO, logger="server.meetings.tasks"):
        check_minutes_chains.call_local()
    actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.action.like("minutes.chain%"))).all()
    assert actions == ["minutes.chain_check"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_hourly_job_anchors_every_chain_head(tree):
    from server.meetings.tasks import export_minutes_anchors

    finalise_in(tree["a1"])
    finalise_in(tree["b1"])
    assert export_minutes_anchors.call_local() == 2
    assert export_minutes_anchors.call_local() == 0


def test_the_jobs_are_scheduled(app):
    def due(hour: int, minute: int) -> set[str]:
        return {task.name for task in huey.read_periodic(datetime(2026, 12, 1, hour, minute))}

    assert "export_minutes_anchors" in due(5, 15)
    assert "check_minutes_chains" in due(19, 40)  # 03:40 in Beijing
    assert "check_minutes_chains" not in due(5, 15)
