"""The demo shows notices with something real: one with receipts (acknowledged, read, not yet), one mostly read,
one waiting for the committee's review."""

from __future__ import annotations

import sqlalchemy as sa

from server.db import db
from server.notices import receipts
from server.notices.models import Notice, NoticeStatus


def test_the_demo_has_notices_read_and_acknowledged_and_one_awaiting_review(app, demo):
    notices = {notice.title: notice for notice in db.session.scalars(sa.select(Notice).order_by(Notice.id))}
    meeting = receipts.counts(notices["明天下午三点召开支部党员大会"])
    assert meeting.recipients == 12 and 0 < meeting.acked < meeting.read < meeting.recipients
    dues = receipts.counts(notices["关于按时缴纳本月党费的通知"])
    assert 0 < dues.read < dues.recipients and dues.acked == 0
    assert notices["关于开展冬季安全生产大检查的通知"].status is NoticeStatus.PENDING_REVIEW
