"""Upgrading gives the entries written before the fix the organisation they were written without."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from server.audit.models import AuditLog
from server.auth.models import BindMethod, WechatBinding
from server.db import db
from server.meetings import leave
from server.meetings import minutes as minutes_service


def test_upgrade_fills_in_the_organisation_of_earlier_entries(tree, make_member, make_meeting):
    meeting = make_meeting(tree["a1"], starts_in=timedelta(days=1))
    member = make_member(tree["a1"], "张三")
    leave.decide_leave(leave.request_leave(meeting, member, "出差"), approve=False, decided_by_id=None)
    held = make_meeting(tree["a1"], starts_in=-timedelta(hours=5))
    minutes = minutes_service.get_or_create_minutes(held)
    minutes_service.save_draft(minutes, "学习党章", "内容", "")
    minutes_service.finalise(minutes)
    minutes_service.amend(minutes, "笔误", "更正", None)
    binding = WechatBinding(openid="wx-zhangsan", member_id=member.id, method=BindMethod.INVITE)
    db.session.add(binding)
    db.session.flush()
    db.session.delete(binding)  # unbound since: only the entries' own snapshots name the member
    db.session.commit()
    earlier = (
        "leave_request.create",
        "leave_request.update",
        "minutes_amendment.create",
        "wechat_binding.create",
        "wechat_binding.delete",
    )
    # As the code before the fix wrote them: no organisation.
    db.session.execute(sa.update(AuditLog).where(AuditLog.action.in_(earlier)).values(org_id=None))
    db.session.commit()
    branch_id = tree["a1"].id
    db.session.remove()

    downgrade(revision="a0d17c0de007-1")
    upgrade()

    entries = db.session.execute(sa.select(AuditLog.action, AuditLog.org_id).where(AuditLog.action.in_(earlier)))
    assert sorted(entries.all()) == sorted((action, branch_id) for action in earlier)
