"""Editing a scheduled meeting in the web admin: what a secretary may change, and what stays as it was."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from server.audit.models import AuditLog
from server.auth.models import Role
from server.db import db, utcnow
from server.errors import AppError
from server.meetings import checkin, leave, minutes
from server.meetings.models import CheckinMethod, Meeting, MeetingKind
from server.meetings.services import create_meeting, update_meeting
from server.meetings.tasks import due_reminders, send_meeting_reminder
from server.orgs.models import OrgKind

BEIJING = ZoneInfo("Asia/Shanghai")
TODAY = utcnow().astimezone(BEIJING).date()  # fixed once, so a run across midnight agrees with itself


def beijing(days_ahead: int, clock: str) -> datetime:
    """A Beijing wall-clock time some days from today, as an aware datetime."""
    return datetime.combine(TODAY + timedelta(days=days_ahead), time.fromisoformat(clock), tzinfo=BEIJING)


@pytest.fixture
def secretary(browser, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"], display_name="王书记")
    return browser("shuji")


@pytest.fixture
def schedule(tree):
    """A theme day of 甲一支部 a month ahead, 09:00–11:00 Beijing time, as the secretary's form makes it."""

    def make(participants=(), days_ahead: int = 30, **kw) -> Meeting:
        meeting = create_meeting(
            kind=MeetingKind.THEME_DAY,
            title=kw.pop("title", "十二月主题党日"),
            organiser=tree["a1"],
            starts_at=beijing(days_ahead, "09:00"),
            ends_at=beijing(days_ahead, "11:00"),
            place="三楼会议室",
            participants=participants,
            **kw,
        )
        db.session.commit()
        return meeting

    return make


def form_of(meeting: Meeting, **changes) -> dict:
    """The edit form as the page fills it in, with the secretary's changes."""
    starts, ends = meeting.starts_at.astimezone(BEIJING), meeting.ends_at.astimezone(BEIJING)
    return {
        "kind": meeting.kind.value,
        "title": meeting.title,
        "day": f"{starts:%Y-%m-%d}",
        "starts": f"{starts:%H:%M}",
        "ends": f"{ends:%H:%M}",
        "place": meeting.place,
        "participant_ids": [org.id for org in meeting.participant_orgs],
    } | changes


def reloaded(meeting: Meeting) -> Meeting:
    db.session.expire_all()
    return db.session.get(Meeting, meeting.id)


def refusal_of(meeting: Meeting, **changes) -> AppError:
    """What the service says when it refuses a change; the session is rolled back as the request would be."""
    with pytest.raises(AppError) as refused:
        update_meeting(meeting, **changes)
    db.session.rollback()
    return refused.value


def check_in_early(meeting: Meeting, member) -> None:
    """The member scans the projected code five minutes before the start."""
    scan = checkin.load_scan(meeting.id, member)
    checkin.check_in(scan, CheckinMethod.MEETING_CODE, now=meeting.starts_at - timedelta(minutes=5))
    db.session.commit()


def test_edit_page_is_filled_in_with_beijing_times(secretary, schedule, tree):
    meeting = schedule(participants=[tree["a1_group"]])
    html = secretary.get(f"/admin/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert "编辑会议" in html and 'value="十二月主题党日"' in html
    assert f'value="{meeting.starts_at.astimezone(BEIJING):%Y-%m-%d}"' in html
    assert 'value="09:00"' in html and 'value="11:00"' in html  # not the UTC 01:00 and 03:00
    assert f'<option value="{tree["a1_group"].id}" selected>第一党小组' in html
    assert "甲一支部" in html and 'name="organiser_id"' not in html  # the organiser is shown, not offered


def test_secretary_moves_a_meeting_and_the_detail_page_shows_it(secretary, schedule, tree, make_member):
    make_member(tree["a1"], "支部党员")
    make_member(tree["a1"], "小组党员", group_id=tree["a1_group"].id)
    meeting = schedule()
    detail = secretary.get(f"/admin/meetings/{meeting.id}").get_data(as_text=True)
    assert 'id="edit-link"' in detail
    new_day = beijing(31, "14:00")
    response = secretary.post(
        f"/admin/meetings/{meeting.id}/edit",
        form_of(
            meeting,
            day=f"{new_day:%Y-%m-%d}",
            starts="14:00",
            ends="16:30",
            place="项目部二楼",
            participant_ids=[tree["a1_group"].id],
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = secretary.get(f"/admin/meetings/{meeting.id}").get_data(as_text=True)
    assert f"{new_day:%Y-%m-%d} 14:00–16:30 · 项目部二楼" in page
    assert f"签到时间：{new_day:%Y-%m-%d} 13:30 至 {new_day:%Y-%m-%d} 16:30" in page  # opens 30 minutes early
    assert "小组党员" in page and "支部党员" not in page  # only the group takes part now
    assert "已保存会议“十二月主题党日”的修改" in page


def test_a_refusal_for_a_field_the_edit_form_lacks_is_still_shown(secretary, schedule, tree):
    meeting = schedule()
    response = secretary.post(f"/admin/meetings/{meeting.id}/edit", form_of(meeting, organiser_id=tree["a2"].id))

    assert response.status_code == 422
    assert "organiser_id：不支持的字段" in response.get_data(as_text=True)
    assert reloaded(meeting).organiser_org_id == tree["a1"].id


def test_the_edit_is_in_the_audit_trail_with_what_changed(secretary, schedule, tree):
    meeting = schedule()
    secretary.post(
        f"/admin/meetings/{meeting.id}/edit",
        form_of(meeting, place="项目部二楼", ends="11:30", participant_ids=[tree["a1_group"].id]),
    )
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "meeting.update"))
    assert entry.actor_name == "王书记" and entry.entity_id == meeting.id and entry.org_id == tree["a1"].id
    assert entry.before["place"] == "三楼会议室" and entry.after["place"] == "项目部二楼"
    assert entry.before["participant_orgs"] == [tree["a1"].id]
    assert entry.after["participant_orgs"] == [tree["a1_group"].id]
    assert entry.after["ends_at"] == beijing(30, "11:30").astimezone(ZoneInfo("UTC")).isoformat()
    assert "title" not in entry.after and "starts_at" not in entry.after  # unchanged fields are not listed
    trail = secretary.get("/admin/audit").get_data(as_text=True)
    assert "修改会议" in trail and '地点：<span class="before">三楼会议室</span> → 项目部二楼' in trail
    day = f"{beijing(30, '11:30'):%Y-%m-%d}"
    assert f'结束时间：<span class="before">{day} 11:00</span> → {day} 11:30' in trail  # Beijing time, not UTC text
    # the organisations by name, not their ids
    assert f'参会范围：<span class="before">{tree["a1"].name}</span> → {tree["a1_group"].name}' in trail


def test_a_cancelled_meeting_cannot_be_edited(secretary, schedule):
    meeting = schedule()
    secretary.post(f"/admin/meetings/{meeting.id}/cancel")
    assert 'id="edit-link"' not in secretary.get(f"/admin/meetings/{meeting.id}").get_data(as_text=True)
    for response in (
        secretary.get(f"/admin/meetings/{meeting.id}/edit"),
        secretary.post(f"/admin/meetings/{meeting.id}/edit", form_of(meeting, place="别处")),
    ):
        assert response.status_code == 400 and "会议已取消，不能再修改" in response.get_data(as_text=True)
    assert reloaded(meeting).place == "三楼会议室"


def test_a_meeting_with_finalised_minutes_cannot_be_edited(secretary, make_meeting):
    held = make_meeting(starts_in=timedelta(hours=-5))
    record = minutes.get_or_create_minutes(held)
    minutes.save_draft(record, "学习", "学习了文件", "无")
    minutes.finalise(record)
    db.session.commit()
    assert 'id="edit-link"' not in secretary.get(f"/admin/meetings/{held.id}").get_data(as_text=True)
    response = secretary.post(f"/admin/meetings/{held.id}/edit", {"title": "改写", "place": "别处"})
    assert response.status_code == 400 and "会议纪要已定稿，会议信息不能再修改" in response.get_data(as_text=True)
    assert reloaded(held).title == "十一月主题党日"
    assert minutes.verify_chain(held.organiser).ok


def test_a_branch_whose_members_checked_in_cannot_be_removed(secretary, schedule, tree, make_member):
    arrived = make_member(tree["a1"], "张三")
    meeting = schedule()
    check_in_early(meeting, arrived)
    response = secretary.post(
        f"/admin/meetings/{meeting.id}/edit", form_of(meeting, participant_ids=[tree["a1_group"].id])
    )
    assert response.status_code == 422
    assert "“甲一支部”已有党员签到或请假（张三），不能移出参会范围" in response.get_data(as_text=True)
    assert [org.id for org in reloaded(meeting).participant_orgs] == [tree["a1"].id]
    assert "张三" in secretary.get(f"/admin/meetings/{meeting.id}").get_data(as_text=True)


def test_a_member_on_approved_leave_keeps_their_group_in_the_meeting(schedule, tree, make_member):
    away = make_member(tree["a1"], "李四", group_id=tree["a1_group"].id)
    meeting = schedule(participants=[tree["a1_group"], tree["a2"]])
    leave.decide_leave(leave.request_leave(meeting, away, "出差"), approve=True, decided_by_id=None)
    db.session.commit()
    refusal = refusal_of(meeting, participants=[tree["a2"]])
    assert refusal.message == "“第一党小组”已有党员签到或请假（李四），不能移出参会范围"


def test_a_pending_leave_request_keeps_its_member_s_group_until_it_is_decided(secretary, schedule, tree, make_member):
    away = make_member(tree["a1"], "李四", group_id=tree["a1_group"].id)
    meeting = schedule(participants=[tree["a1_group"], tree["a2"]])
    asked = leave.request_leave(meeting, away, "出差")
    db.session.commit()

    refusal = refusal_of(meeting, participants=[tree["a2"]])
    assert refusal.code == "participant_has_pending_leave"
    assert refusal.message == "“第一党小组”有党员的请假申请待审批（李四），请先批准或不批准，再移出参会范围"
    page = secretary.post(f"/admin/meetings/{meeting.id}/edit", form_of(meeting, participant_ids=[tree["a2"].id]))
    assert page.status_code == 422 and "有党员的请假申请待审批（李四）" in page.get_data(as_text=True)

    # Once refused, the request no longer holds the group: the member is simply not expected.
    leave.decide_leave(db.session.merge(asked), approve=False, decided_by_id=None)
    db.session.commit()
    update_meeting(reloaded(meeting), participants=[tree["a2"]])
    db.session.commit()
    assert [org.id for org in reloaded(meeting).participant_orgs] == [tree["a2"].id]


def test_approved_leave_fixes_the_start_as_a_check_in_does(secretary, schedule, tree, make_member):
    away = make_member(tree["a1"], "李四")
    meeting = schedule()
    leave.decide_leave(leave.request_leave(meeting, away, "出差"), approve=True, decided_by_id=None)
    db.session.commit()

    refusal = refusal_of(meeting, starts_at=beijing(31, "09:00"), ends_at=beijing(31, "11:00"))
    assert refusal.code == "leave_approved"
    assert refusal.message == "已批准党员请假，不能再修改会议日期和开始时间；如需改期，请取消本次会议后重新安排"
    page = secretary.get(f"/admin/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert "已批准党员请假，日期和开始时间不能再修改" in page
    assert reloaded(meeting).starts_at == beijing(30, "09:00")
    renamed = secretary.post(f"/admin/meetings/{meeting.id}/edit", form_of(meeting, place="二号会议室"))
    assert renamed.status_code == 302  # the rest may still change


def test_a_group_may_go_when_its_checked_in_members_still_take_part_through_the_branch(
    secretary, schedule, tree, make_member
):
    arrived = make_member(tree["a1"], "王五", group_id=tree["a1_group"].id)
    meeting = schedule(participants=[tree["a1"], tree["a1_group"]])
    check_in_early(meeting, arrived)
    response = secretary.post(f"/admin/meetings/{meeting.id}/edit", form_of(meeting, participant_ids=[tree["a1"].id]))
    assert response.status_code == 302
    assert "王五" in secretary.get(f"/admin/meetings/{meeting.id}").get_data(as_text=True)


def test_once_members_checked_in_the_start_stays_but_the_place_may_change(secretary, schedule, tree, make_member):
    meeting = schedule()
    check_in_early(meeting, make_member(tree["a1"], "张三"))
    page = secretary.get(f"/admin/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert "已有党员签到，日期和开始时间不能再修改" in page
    moved = secretary.post(f"/admin/meetings/{meeting.id}/edit", form_of(meeting, starts="10:00"))
    assert moved.status_code == 422 and "已有党员签到，不能再修改会议日期和开始时间" in moved.get_data(as_text=True)
    assert reloaded(meeting).starts_at == beijing(30, "09:00")
    renamed = secretary.post(f"/admin/meetings/{meeting.id}/edit", form_of(meeting, place="二号会议室", ends="11:30"))
    assert renamed.status_code == 302
    assert (reloaded(meeting).place, reloaded(meeting).checkin_closes_at) == ("二号会议室", beijing(30, "11:30"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts": "11:00", "ends": "09:00"}, "结束时间应晚于开始时间"),
        ({"title": ""}, "此项必填"),
        ({"day": "明天"}, "日期格式应为 YYYY-MM-DD"),
        ({"geo_lat": "39.9"}, "定位签到需同时填写纬度、经度和半径"),
    ],
)
def test_bad_input_is_explained_and_nothing_changes(secretary, schedule, changes, message):
    meeting = schedule()
    response = secretary.post(f"/admin/meetings/{meeting.id}/edit", form_of(meeting, place="别处", **changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html and "编辑会议" in html and 'value="别处"' in html  # the form keeps what was typed
    assert reloaded(meeting).place == "三楼会议室"


def test_a_general_branch_is_no_participant_but_another_branch_s_group_is(
    browser, make_admin, schedule, tree, make_org
):
    make_admin("zongzhi", Role.ORG_ADMIN, tree["general_a"])
    other_group = make_org("甲二第一党小组", OrgKind.GROUP, tree["a2"])
    meeting = schedule()
    admin = browser("zongzhi")
    general = admin.post(
        f"/admin/meetings/{meeting.id}/edit", form_of(meeting, participant_ids=[tree["a1"].id, tree["general_a"].id])
    )
    assert general.status_code == 422 and "“甲党总支”不是党支部或党小组" in general.get_data(as_text=True)
    joint = admin.post(
        f"/admin/meetings/{meeting.id}/edit", form_of(meeting, participant_ids=[tree["a1"].id, other_group.id])
    )
    assert joint.status_code == 302  # a joint meeting across branches, by the general branch
    assert {org.id for org in reloaded(meeting).participant_orgs} == {tree["a1"].id, other_group.id}


def test_the_branch_secretary_keeps_the_branches_a_joint_lecture_invited(secretary, schedule, tree):
    lecture = schedule(participants=[tree["a1"], tree["a2"]], title="联合党课")
    page = secretary.get(f"/admin/meetings/{lecture.id}/edit").get_data(as_text=True)
    assert f'<option value="{tree["a2"].id}" selected>甲二支部' in page
    response = secretary.post(f"/admin/meetings/{lecture.id}/edit", form_of(lecture, place="大礼堂"))
    assert response.status_code == 302
    assert {org.id for org in reloaded(lecture).participant_orgs} == {tree["a1"].id, tree["a2"].id}
    refused = secretary.post(
        f"/admin/meetings/{lecture.id}/edit", form_of(lecture, participant_ids=[tree["a1"].id, tree["b1"].id])
    )
    assert refused.status_code == 404  # but may not invite a branch outside their own (it "does not exist")


def test_another_branch_secretary_cannot_edit(browser, make_admin, schedule, tree):
    make_admin("other", Role.SECRETARY, tree["b1"])
    meeting = schedule()
    other = browser("other")
    assert other.get(f"/admin/meetings/{meeting.id}/edit").status_code == 404
    assert other.post(f"/admin/meetings/{meeting.id}/edit", form_of(meeting, place="越权")).status_code == 404
    assert reloaded(meeting).place == "三楼会议室"


def test_a_read_only_committee_member_cannot_edit(browser, make_admin, schedule, tree):
    make_admin("weiyuan", Role.COMMITTEE, tree["a1"])
    meeting = schedule()
    member = browser("weiyuan")
    assert 'id="edit-link"' not in member.get(f"/admin/meetings/{meeting.id}").get_data(as_text=True)
    assert member.get(f"/admin/meetings/{meeting.id}/edit").status_code == 403
    response = member.post(f"/admin/meetings/{meeting.id}/edit", form_of(meeting, place="越权"))
    assert response.status_code == 403 and "只能查看" in response.get_data(as_text=True)
    assert reloaded(meeting).place == "三楼会议室"


def test_moving_a_reminded_meeting_reminds_again_with_the_new_time(
    secretary, schedule, tree, make_member, phone, emulator
):
    make_member(tree["a1"], "张三", phone="13812345678")
    assert phone("wx-edit-zhangsan").bind_phone("13812345678").status_code == 200
    emulator.grant_subscription("wx-edit-zhangsan", ["tmpl_meeting", "tmpl_meeting"])  # one consent per message
    meeting = schedule(days_ahead=2)
    first_run = meeting.starts_at - timedelta(hours=20)
    assert due_reminders(now=first_run) == [meeting.id]
    db.session.commit()
    assert send_meeting_reminder.call_local(meeting.id)["sent"] == 1

    new_start = beijing(5, "15:00")
    form = form_of(meeting, day=f"{new_start:%Y-%m-%d}", starts="15:00", ends="17:00")
    assert secretary.post(f"/admin/meetings/{meeting.id}/edit", form).status_code == 302
    assert due_reminders(now=first_run + timedelta(minutes=10)) == []  # not yet: the meeting is days away now
    assert due_reminders(now=new_start - timedelta(hours=20)) == [meeting.id]
    db.session.commit()
    assert send_meeting_reminder.call_local(meeting.id)["sent"] == 1
    first, second = emulator.messages(emulator.openid("wx-edit-zhangsan"))
    assert first.data["time2"] == f"{beijing(2, '09:00'):%Y-%m-%d} 09:00"
    assert second.data["time2"] == f"{new_start:%Y-%m-%d} 15:00"


def test_a_new_title_alone_does_not_remind_again(schedule):
    meeting = schedule(days_ahead=1)
    due_reminders(now=meeting.starts_at - timedelta(hours=20))
    update_meeting(meeting, title="十二月主题党日（学习专题）")
    db.session.commit()
    assert reloaded(meeting).reminder_sent_at is not None


def test_the_check_in_window_follows_the_start_unless_given(schedule):
    meeting = schedule()
    update_meeting(meeting, starts_at=beijing(30, "08:00"))
    assert (meeting.checkin_opens_at, meeting.checkin_closes_at) == (beijing(30, "07:30"), beijing(30, "11:00"))
    update_meeting(meeting, checkin_opens_at=beijing(30, "07:00"), checkin_closes_at=beijing(30, "08:30"))
    assert (meeting.checkin_opens_at, meeting.checkin_closes_at) == (beijing(30, "07:00"), beijing(30, "08:30"))
    with pytest.raises(TypeError):
        update_meeting(meeting, organiser=None)
