"""The scoping rules where they used to disagree: joint meetings, read-only accounts, several roots."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.auth.models import Role
from server.db import db, utcnow
from server.meetings.models import Attendance, LeaveRequest, Meeting, MeetingKind
from server.orgs.models import OrgKind


@pytest.fixture
def joint_meeting(tree) -> Meeting:
    """A lecture 甲一 runs for itself and for 乙一 (a committee admin invited 乙一), under way."""
    starts = utcnow() - timedelta(minutes=5)
    meeting = Meeting(
        kind=MeetingKind.PARTY_LECTURE,
        title="联合党课",
        organiser=tree["a1"],
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        checkin_opens_at=starts - timedelta(minutes=30),
        checkin_closes_at=starts + timedelta(hours=2),
        code_secret="joint",
    )
    meeting.participant_orgs = [tree["a1"], tree["b1"]]
    db.session.add(meeting)
    db.session.commit()
    return meeting


def _attendance(meeting: Meeting, member_id: int) -> Attendance | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Attendance).where(Attendance.meeting_id == meeting.id, Attendance.member_id == member_id)
    )


def test_whoever_runs_a_joint_meeting_marks_and_excuses_all_its_participants(
    browser, make_admin, make_member, tree, joint_meeting
):
    """Deciding leave and checking in by hand follow one rule: the meeting's organiser decides for every
    participant, those of other branches included."""
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    guest, excused = make_member(tree["b1"], "乙一党员"), make_member(tree["b1"], "乙一请假")
    request = LeaveRequest(meeting_id=joint_meeting.id, member_id=excused.id, reason="出差")
    db.session.add(request)
    db.session.commit()
    secretary = browser("shuji")

    manual = secretary.post(f"/admin/meetings/{joint_meeting.id}/manual", {"member_id": guest.id, "reason": "手机没电"})
    decided = secretary.post(f"/admin/meetings/{joint_meeting.id}/leave/{request.id}", {"decision": "approve"})

    assert manual.status_code == 302 and _attendance(joint_meeting, guest.id) is not None
    assert decided.status_code == 302 and _attendance(joint_meeting, excused.id).status.value == "leave"


def test_no_one_checks_in_a_member_who_is_not_a_participant(browser, make_admin, make_member, tree, joint_meeting):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    stranger = make_member(tree["a2"], "甲二党员")  # in the secretary's general branch, not at this lecture

    response = browser("shuji").post(
        f"/admin/meetings/{joint_meeting.id}/manual", {"member_id": stranger.id, "reason": "x"}
    )
    missing = browser("shuji").post(f"/admin/meetings/{joint_meeting.id}/manual", {"member_id": 99999, "reason": "x"})

    assert response.status_code == missing.status_code == 404
    assert _attendance(joint_meeting, stranger.id) is None


def test_a_sibling_branch_secretary_cannot_touch_the_joint_meeting(
    browser, make_admin, make_member, tree, joint_meeting
):
    make_admin("jiaer", Role.SECRETARY, tree["a2"])
    guest = make_member(tree["b1"], "乙一党员")

    response = browser("jiaer").post(
        f"/admin/meetings/{joint_meeting.id}/manual", {"member_id": guest.id, "reason": "x"}
    )

    assert response.status_code == 404 and "会议不存在" in response.get_data(as_text=True)
    assert _attendance(joint_meeting, guest.id) is None


def test_a_read_only_account_reads_the_minutes(browser, make_admin, tree, joint_meeting, make_member):
    from server.meetings.minutes import get_or_create_minutes, save_draft

    save_draft(get_or_create_minutes(joint_meeting), "学习党章", "第一章总纲", "")
    db.session.commit()
    make_admin("weiyuan", Role.COMMITTEE, tree["a1"])

    page = browser("weiyuan").get(f"/admin/meetings/{joint_meeting.id}/minutes")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "第一章总纲" in html and "草稿" in html and 'name="topic"' not in html  # read, not a form


def test_the_superadmin_sees_every_committee_in_compliance_and_attendance(browser, make_admin, make_org, tree):
    other_root = make_org("第二党委", OrgKind.COMMITTEE)
    make_org("第二党委机关支部", OrgKind.BRANCH, other_root)
    make_admin("root", Role.SUPERADMIN)
    root = browser("root")

    compliance = root.get("/admin/meetings/compliance").get_data(as_text=True)
    attendance = root.get("/admin/meetings/attendance").get_data(as_text=True)

    for html in (compliance, attendance):
        assert "第二党委机关支部" in html and "甲一支部" in html


def test_a_general_branch_admin_sees_only_its_subtree_in_compliance(browser, make_admin, tree):
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    html = browser("zongzhi").get("/admin/meetings/compliance").get_data(as_text=True)
    assert "甲一支部" in html and "乙一支部" not in html
