"""Sending a notice: who it reaches, the pushes, reminders only to those who have not done what it asks,
withdrawing, scope, the daily limit and review above the committee's audience size."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.db import db, utcnow
from server.errors import AppError, NotFound
from server.inbox import services as inbox
from server.inbox.models import Push, PushStatus
from server.notices import audience, receipts, rules, services
from server.notices.models import NoticeSettings, NoticeStatus
from server.tasks import run_pending_jobs
from tests.notices.conftest import as_admin, pushes_per_reader, send


def _inbox_titles(member_id: int) -> list[str]:
    return [listed.entry.title for listed in inbox.list_items(member_id).items]


def test_a_notice_to_the_branch_reaches_every_member_and_pushes_those_with_consent(tree, staff, make_reader, emulator):
    readers = [make_reader(tree["a1"]) for _ in range(3)]
    no_consent = make_reader(tree["a1"], consent=0)
    elsewhere = make_reader(tree["a2"])
    notice = send(staff.secretary, tree["a1"])

    assert notice.status is NoticeStatus.SENT and notice.audience_size == 4
    for reader in [*readers, no_consent]:
        assert _inbox_titles(reader.member.id) == ["明天下午三点召开支部党员大会"]
    assert _inbox_titles(elsewhere.member.id) == []
    assert pushes_per_reader(emulator, [*readers, no_consent, elsewhere]) == [1, 1, 1, 0, 0]
    message = emulator.messages(readers[0].openid)[0]
    assert message.page == f"pages/notice/index?id={notice.id}"
    assert inbox.unread_counts(readers[0].member.id)["notice"] == 1


def test_a_reminder_reaches_only_those_who_have_not_read(tree, staff, make_reader, emulator):
    readers = [make_reader(tree["a1"]) for _ in range(4)]
    notice = send(staff.secretary, tree["a1"])
    for reader in readers[:2]:
        receipts.open_notice(reader.member.id, notice)
    db.session.commit()

    with as_admin(staff.secretary):
        done = services.remind(staff.secretary, notice)
        db.session.commit()
    run_pending_jobs()

    assert (done.round, done.members, done.pushes) == (1, 2, 2)
    assert pushes_per_reader(emulator, readers) == [1, 1, 2, 2]
    reminded = db.session.scalars(
        sa.select(Push.member_id).where(Push.ref_id == notice.id, Push.round == 1).order_by(Push.member_id)
    ).all()
    assert reminded == [readers[2].member.id, readers[3].member.id]


def test_a_reminder_of_a_notice_with_receipt_skips_those_who_acknowledged_and_a_late_reader(
    tree, staff, make_reader, emulator
):
    readers = [make_reader(tree["a1"]) for _ in range(4)]
    notice = send(staff.secretary, tree["a1"], ack_required=True, ack_deadline=utcnow() + timedelta(days=1))
    receipts.acknowledge(readers[0].member.id, notice)
    receipts.open_notice(readers[1].member.id, notice)  # read, not acknowledged: still reminded
    db.session.commit()

    with as_admin(staff.secretary):
        services.remind(staff.secretary, notice)
        db.session.commit()
    receipts.acknowledge(readers[3].member.id, notice)  # acknowledges before the reminder goes out
    db.session.commit()
    run_pending_jobs()

    assert pushes_per_reader(emulator, readers) == [1, 2, 2, 1]
    states = db.session.execute(
        sa.select(Push.member_id, Push.status).where(Push.round == 1).order_by(Push.member_id)
    ).all()
    assert [status for _, status in states] == [PushStatus.SENT, PushStatus.SENT, PushStatus.CANCELLED]


def test_each_reminder_is_a_new_round_and_too_soon_or_nobody_left_is_refused(
    tree, staff, make_reader, app, monkeypatch
):
    readers = [make_reader(tree["a1"]) for _ in range(2)]
    notice = send(staff.secretary, tree["a1"])
    now = utcnow()
    with as_admin(staff.secretary):
        assert services.remind(staff.secretary, notice, now).round == 1
        with pytest.raises(AppError, match="刚刚提醒过"):
            services.remind(staff.secretary, notice, now + timedelta(minutes=1))
        assert services.remind(staff.secretary, notice, now + timedelta(minutes=11)).round == 2
        for reader in readers:
            receipts.open_notice(reader.member.id, notice)
        with pytest.raises(AppError, match="所有人都已阅读"):
            services.remind(staff.secretary, notice, now + timedelta(minutes=30))


def test_withdrawing_hides_the_notice_and_cancels_its_pushes(tree, staff, make_reader, emulator):
    readers = [make_reader(tree["a1"]) for _ in range(2)]
    notice = send(staff.secretary, tree["a1"], run=False)
    run_pending_jobs(limit=1)  # delivered; pushes not yet sent
    with as_admin(staff.secretary):
        services.withdraw(staff.secretary, notice)
        db.session.commit()
    run_pending_jobs()
    assert _inbox_titles(readers[0].member.id) == []
    assert pushes_per_reader(emulator, readers) == [0, 0]
    with pytest.raises(NotFound):
        receipts.for_member(readers[0].member.id, notice.id)


def test_sending_outside_ones_scope_is_refused_as_missing(tree, staff, make_member):
    stranger = make_member(tree["b1"])
    with pytest.raises(NotFound, match="组织不存在或已撤销"):
        audience.check(staff.secretary, tree["a1"], [tree["a2"].id], [])
    with pytest.raises(NotFound, match="党员不存在"):
        audience.check(staff.secretary, tree["a1"], [], [stranger.id])
    with pytest.raises(NotFound):
        services.compose(staff.sibling, tree["a1"], services.Draft("标题", ""), audience.Targets([tree["a1"]], []))
    # a general branch's admin, sending as one branch, may not reach the other branch
    with pytest.raises(AppError, match="只能发给本组织及下级组织"):
        audience.check(staff.general, tree["a1"], [tree["a2"].id], [])


def test_a_group_and_chosen_members_are_reached_and_nobody_else(tree, staff, make_member):
    in_group = make_member(tree["a1"], group_id=tree["a1_group"].id)
    chosen = make_member(tree["a1"])
    make_member(tree["a1"])
    notice = send(staff.secretary, tree["a1"], [tree["a1_group"]], [chosen])
    reached = db.session.scalars(sa.select(audience.recipients(notice).subquery().c[0]).order_by(sa.text("1"))).all()
    assert sorted(reached) == sorted([in_group.id, chosen.id])


def test_the_daily_limit_is_enforced_with_a_clear_message(tree, staff, make_member, app, monkeypatch):
    make_member(tree["a1"])
    monkeypatch.setitem(app.config, "NOTICE_DAILY_LIMIT", 2)
    send(staff.secretary, tree["a1"], title="第一条")
    send(staff.secretary, tree["a1"], title="第二条")
    with pytest.raises(AppError) as refused:
        send(staff.secretary, tree["a1"], title="第三条")
    assert refused.value.code == "notice_daily_limit"
    assert "每个账号每天最多发送 2 条通知" in refused.value.message
    send(staff.colleague, tree["a1"], title="另一个账号")  # the limit is per account
    db.session.add(NoticeSettings(org_id=tree["committee"].id, daily_limit=3))
    db.session.commit()
    send(staff.secretary, tree["a1"], title="党委放宽后")


def test_large_notices_wait_for_review_by_a_higher_admin_but_a_secretary_to_their_branch_never(
    tree, staff, make_member, emulator
):
    for org in ("a1", "a1", "a2", "a2"):
        make_member(tree[org])
    with as_admin(staff.committee):
        rules.save(staff.committee, tree["committee"], review_above=1, daily_limit=None)
        db.session.commit()

    own_branch = send(staff.secretary, tree["a1"])
    assert own_branch.status is NoticeStatus.SENT  # 2 members > 1, but to their own branch

    wide = send(staff.general, tree["general_a"])
    assert wide.status is NoticeStatus.PENDING_REVIEW and wide.sent_at is None
    assert services.review_queue(staff.general) == []  # the author does not review
    assert services.review_queue(staff.secretary) == []  # a branch is not above a general branch
    with pytest.raises(AppError, match="不能审核自己"):
        services.approve(staff.general, wide)
    with pytest.raises(NotFound):
        services.approve(staff.secretary, wide)
    assert services.review_queue(staff.committee) == [wide]
    with as_admin(staff.committee):
        services.approve(staff.committee, wide)
        db.session.commit()
    run_pending_jobs()
    assert wide.status is NoticeStatus.SENT
    assert receipts.counts(wide).recipients == 4


def test_a_rejected_notice_is_never_sent(tree, staff, make_member):
    make_member(tree["a1"])
    make_member(tree["a2"])
    db.session.add(NoticeSettings(org_id=tree["committee"].id, review_above=0))
    db.session.commit()
    notice = send(staff.general, tree["general_a"])
    with as_admin(staff.committee):
        with pytest.raises(AppError, match="请写明"):
            services.reject(staff.committee, notice, "  ")
        services.reject(staff.committee, notice, "内容与上周通知重复")
        db.session.commit()
    assert notice.status is NoticeStatus.REJECTED and receipts.counts(notice).recipients == 0


def test_a_scheduled_notice_goes_out_when_its_time_comes(tree, staff, make_member):
    member = make_member(tree["a1"])
    later = utcnow() + timedelta(hours=2)
    notice = send(staff.secretary, tree["a1"], send_at=later)
    assert notice.status is NoticeStatus.SCHEDULED and _inbox_titles(member.id) == []
    from server.notices.tasks import send_scheduled

    assert send_scheduled(later - timedelta(minutes=1)) == []
    assert send_scheduled(later) == [notice.id]
    run_pending_jobs()
    assert _inbox_titles(member.id) == [notice.title]


def test_bad_input_is_refused_in_chinese(tree, staff, make_member):
    make_member(tree["a1"])
    targets = audience.Targets([tree["a1"]], [])
    cases = [
        (services.Draft("", ""), "请填写通知标题"),
        (services.Draft("长" * 41, ""), "不能超过 40 个字"),
        (services.Draft("标题", "", send_at=utcnow() - timedelta(minutes=1)), "时间已过"),
        (services.Draft("标题", "", ack_required=True, ack_deadline=utcnow() - timedelta(hours=1)), "回执截止时间"),
    ]
    for draft, message in cases:
        with pytest.raises(AppError, match=message):
            services.compose(staff.secretary, tree["a1"], draft, targets)
    with pytest.raises(AppError, match="请选择通知对象"):
        services.compose(staff.secretary, tree["a1"], services.Draft("标题", ""), audience.Targets([], []))
    with pytest.raises(AppError, match="党小组不能单独发通知"):
        services.compose(staff.secretary, tree["a1_group"], services.Draft("标题", ""), targets)
