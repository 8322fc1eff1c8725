"""Delivery: every recipient's inbox exactly once, however often the delivery runs; the audience's narrowing;
the reach shown before publishing is what is delivered."""

from __future__ import annotations

import sqlalchemy as sa

from server.db import db
from server.inbox.models import InboxItem, Push, PushStatus
from server.members.models import MemberStatus
from server.newspaper import audience, delivery
from server.newspaper.models import Narrowing
from server.tasks import run_pending_jobs
from tests.newspaper.conftest import published


def _inbox_rows(issue_id: int) -> list[int]:
    return sorted(db.session.scalars(sa.select(InboxItem.member_id).where(InboxItem.ref_id == issue_id)))


def test_delivery_twice_puts_the_issue_in_each_inbox_once(tree, staff, make_member, make_reader):
    members = [make_member(tree["a1"]) for _ in range(3)] + [make_reader(tree["a1"]).member]
    make_member(tree["a2"])  # another branch: not a recipient
    issue = published(staff.secretary, staff.general, tree["a1"])
    assert _inbox_rows(issue.id) == sorted(m.id for m in members)
    again = delivery.deliver(issue.id)
    assert again.inboxes == 0 and again.pushes == 0
    run_pending_jobs()
    assert _inbox_rows(issue.id) == sorted(m.id for m in members)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Push)) == 1
    db.session.expire_all()
    assert issue.delivered_at is not None


def test_narrowed_audiences_reach_only_their_members(tree, staff, make_member, make_admin):
    from server.auth.models import Role

    probationary = make_member(tree["a1"], status=MemberStatus.PROBATIONARY, full_member_date=None)
    full = make_member(tree["a1"])
    in_group = make_member(tree["a1"], group_id=tree["a1_group"].id)
    secretary = make_member(tree["a2"])
    make_admin("erzhi", Role.SECRETARY, tree["a2"], member_id=secretary.id)
    elsewhere = make_member(tree["b1"], status=MemberStatus.PROBATIONARY, full_member_date=None)

    def reached(rows):
        return sorted(db.session.scalars(audience.members_of(rows)))

    assert reached([(tree["general_a"], Narrowing.PROBATIONARY)]) == [probationary.id]
    assert reached([(tree["general_a"], Narrowing.SECRETARIES)]) == [secretary.id]
    assert reached([(tree["a1_group"], Narrowing.GROUP)]) == [in_group.id]
    union = [(tree["a1"], Narrowing.ALL), (tree["general_a"], Narrowing.SECRETARIES)]
    assert reached(union) == sorted([probationary.id, full.id, in_group.id, secretary.id])
    assert audience.reach(union) == 4
    assert elsewhere.id not in reached(union)
    assert elsewhere.id in reached([(tree["committee"], Narrowing.PROBATIONARY)])


def test_pushes_go_to_members_with_consent_and_are_marked_no_quota_otherwise(tree, staff, make_reader, emulator):
    willing = make_reader(tree["a1"], consent=1)
    unwilling = make_reader(tree["a1"], consent=0)
    unbound = make_reader(tree["a1"], bound=False)
    issue = published(staff.secretary, staff.general, tree["a1"])
    statuses = dict(db.session.execute(sa.select(Push.member_id, Push.status)).all())
    assert statuses == {willing.member.id: PushStatus.SENT, unwilling.member.id: PushStatus.NO_QUOTA}
    assert unbound.member.id in _inbox_rows(issue.id)
    [message] = emulator.messages(willing.openid)
    assert message.template_id == "tmpl_news" and message.page == f"pages/news-issue/index?id={issue.id}"
    assert message.data["thing1"].startswith("第1期")
    assert emulator.messages(unwilling.openid) == []


def test_a_delivery_whose_job_was_lost_is_queued_again_a_lease_after_publishing(tree, staff, make_member, app):
    from datetime import timedelta

    from server.db import utcnow
    from server.newspaper.tasks import publish_scheduled
    from server.tasks import huey

    member = make_member(tree["a1"])
    issue = published(staff.secretary, staff.general, tree["a1"], run=False)
    huey.flush()  # the queue lost the delivery job
    assert publish_scheduled(utcnow()) == [] and huey.pending_count() == 0  # it may still be on its way
    lease = timedelta(minutes=app.config["JOB_LEASE_MINUTES"], seconds=1)
    publish_scheduled(utcnow() + lease)
    assert huey.pending_count() == 1
    run_pending_jobs()
    assert _inbox_rows(issue.id) == [member.id]
    publish_scheduled(utcnow() + lease)
    assert huey.pending_count() == 0  # delivered: nothing to queue again
