"""补录: a meeting held on paper may be recorded afterwards, but only as a 补录 — with a reason, audited,
marked wherever it appears and counted apart from meetings recorded on time. Nothing else may be dated
in the past: not from the admin form, not from the phone, not by editing a meeting afterwards."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from sqlalchemy.exc import IntegrityError

from server.audit.models import AuditLog
from server.auth.models import AdminUser, Role
from server.db import db, utcnow
from server.errors import AppError
from server.meetings import codes, minutes
from server.meetings.attendance import attendance_rates
from server.meetings.attendance_excel import attendance_workbook
from server.meetings.compliance_activity import inactive_branches
from server.meetings.compliance_excel import compliance_workbook
from server.meetings.compliance_matrix import compliance_matrix
from server.meetings.compliance_report import branch_compliance
from server.meetings.compliance_rules import QUARTER, State, period_of
from server.meetings.models import Attendance, AttendanceStatus, CheckinMethod, Meeting, MeetingKind
from server.meetings.services import create_meeting, update_meeting
from server.timezone import local_today
from tests.meetings.conftest import bearer
from tests.meetings.factories import add_meeting, attend

BEIJING = ZoneInfo("Asia/Shanghai")
TODAY = local_today()  # fixed once, so a run across midnight agrees with itself
SIXTY_DAYS_AGO = TODAY - timedelta(days=60)
REASON = "当天项目部停电，使用纸质签到表，会后据签到表补录"
K = MeetingKind


def beijing(day: date, clock: str) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=BEIJING)


def form(org, day: date, **overrides) -> dict:
    """The 安排会议 form (admin page or phone) for a theme day 09:00–11:00 Beijing time."""
    return {
        "kind": "theme_day",
        "title": "九月主题党日",
        "organiser_id": org.id if org else None,
        "day": day.isoformat(),
        "starts": "09:00",
        "ends": "11:00",
        "place": "三楼会议室",
    } | overrides


def edit_form(day: date, **overrides) -> dict:
    """The 编辑会议 form, which has no organiser."""
    values = form(None, day, **overrides)
    del values["organiser_id"]
    return values


@pytest.fixture
def secretary(shuji, browser):
    return browser("shuji")


def account_id() -> int:
    return db.session.scalar(sa.select(AdminUser.id).where(AdminUser.username == "shuji"))


def meetings() -> list[Meeting]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Meeting).order_by(Meeting.id)))


def backfill(org, day: date = SIXTY_DAYS_AGO, reason: str = REASON, **kw) -> Meeting:
    """A 补录 entered through the service, as the form enters it."""
    meeting = create_meeting(
        kind=kw.pop("kind", K.THEME_DAY),
        title=kw.pop("title", "九月主题党日"),
        organiser=org,
        starts_at=beijing(day, "09:00"),
        ends_at=beijing(day, "11:00"),
        place="三楼会议室",
        backfill_reason=reason,
        **kw,
    )
    db.session.commit()
    return meeting


def refusal(call, *args, **kw) -> AppError:
    with pytest.raises(AppError) as refused:
        call(*args, **kw)
    db.session.rollback()
    return refused.value


def row_of(html: str, text: str) -> str:
    """The table row of a page that contains ``text``."""
    match = re.search(r"<tr>(?:(?!</tr>).)*" + re.escape(text) + r".*?</tr>", html, re.S)
    assert match, f"no row with {text}"
    return match.group(0)


# --- one rule for the admin form and the phone -----------------------------------------------------


def test_the_admin_form_refuses_a_meeting_sixty_days_ago(secretary, tree):
    response = secretary.post("/admin/meetings/new", form(tree["a1"], SIXTY_DAYS_AGO))

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "会议开始时间已过，不能再按时安排" in html and "补录" in html
    assert 'value="九月主题党日"' in html  # the form keeps what was typed
    assert meetings() == []


def test_the_phone_refuses_a_meeting_that_has_already_taken_place(client, tree, shuji, token_for):
    yesterday = form(tree["a1"], TODAY - timedelta(days=1))
    response = client.post("/api/meetings", json=yesterday, headers=bearer(token_for(shuji)))

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "start_passed"
    assert "补录" in response.get_json()["error"]["message"]
    assert meetings() == []


def scheduled(org, starts_in: timedelta, ends_in: timedelta, **kw) -> Meeting:
    """A theme day from ``starts_in`` to ``ends_in`` from now, through the service."""
    now = utcnow()
    return create_meeting(
        kind=K.THEME_DAY, title="主题党日", organiser=org, starts_at=now + starts_in, ends_at=now + ends_in, **kw
    )


def test_a_meeting_that_began_an_hour_ago_is_no_on_time_meeting_though_it_has_not_ended(tree):
    refused = refusal(scheduled, tree["a1"], timedelta(hours=-1), timedelta(hours=1))
    assert refused.code == "start_passed"
    assert meetings() == []


def test_a_form_filled_in_as_the_meeting_begins_is_on_time_within_the_configured_grace(tree, app, monkeypatch):
    monkeypatch.setitem(app.config, "MEETING_START_GRACE_MINUTES", 20)

    meeting = scheduled(tree["a1"], timedelta(minutes=-19), timedelta(hours=1))
    assert meeting.backfill_reason is None and not meeting.backfilled
    assert refusal(scheduled, tree["a1"], timedelta(minutes=-21), timedelta(hours=1)).code == "start_passed"


def test_an_on_time_meeting_may_not_be_over_already(tree):
    refused = refusal(scheduled, tree["a1"], timedelta(minutes=-3), timedelta(minutes=-1))
    assert refused.code == "start_passed"


def test_a_backfill_with_a_reason_is_recorded_marked_and_audited(secretary, tree, make_meeting):
    on_time = make_meeting(tree["a1"], starts_in=timedelta(days=2), title="按时安排的会")
    response = secretary.post("/admin/meetings/new", form(tree["a1"], SIXTY_DAYS_AGO, backfill_reason=f"  {REASON} "))

    assert response.status_code == 302, response.get_data(as_text=True)
    meeting = meetings()[-1]
    assert (meeting.backfill_reason, meeting.backfilled) == (REASON, True)
    assert meeting.created_by_id == account_id()  # who entered it; created_at is when
    assert meeting.starts_at == beijing(SIXTY_DAYS_AGO, "09:00")
    # check-in had closed before anyone could scan: a 补录 has no live check-in
    assert meeting.checkin_closes_at <= meeting.created_at

    entry = db.session.scalar(
        sa.select(AuditLog).where(AuditLog.action == "meeting.create", AuditLog.entity_id == meeting.id)
    )
    assert entry.after["backfill_reason"] == REASON and entry.actor_name == "王书记"
    assert f"补录原因：{REASON}" in secretary.get("/admin/audit").get_data(as_text=True)

    listing = secretary.get("/admin/meetings/").get_data(as_text=True)
    assert 'class="backfill-mark"' in row_of(listing, "九月主题党日")
    assert 'class="backfill-mark"' not in row_of(listing, on_time.title)
    month = secretary.get(f"/admin/meetings/calendar?month={SIXTY_DAYS_AGO:%Y-%m}").get_data(as_text=True)
    assert 'class="backfill-mark"' in month
    detail = secretary.get(f"/admin/meetings/{meeting.id}").get_data(as_text=True)
    notice = detail[detail.index('id="backfill-notice"') :]
    assert REASON in notice and "王书记" in notice and f"{meeting.created_at.astimezone(BEIJING):%Y-%m-%d}" in notice
    assert 'id="live-link"' not in detail


@pytest.mark.parametrize(
    ("reason", "message"),
    [
        ("无", "补录原因应为 2 到 200 个字"),
        ("补" * 201, "不能超过 200 个字符"),
    ],
)
def test_a_backfill_reason_must_say_something_and_not_too_much(secretary, tree, reason, message):
    response = secretary.post("/admin/meetings/new", form(tree["a1"], SIXTY_DAYS_AGO, backfill_reason=reason))

    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert meetings() == []


def test_a_blank_reason_is_no_reason(tree):
    refused = refusal(backfill, tree["a1"], reason="   ")
    assert refused.code == "start_passed"


@pytest.mark.parametrize("starts_in", [timedelta(days=1), timedelta(hours=-1)])
def test_only_a_meeting_that_is_over_may_be_a_backfill(tree, starts_in):
    refused = refusal(scheduled, tree["a1"], starts_in, starts_in + timedelta(hours=2), backfill_reason=REASON)
    assert refused.code == "backfill_not_over"
    assert "补录只用于已经结束的会议" in refused.message


def test_the_phone_records_a_backfill_and_every_meeting_says_whether_it_is_one(client, tree, shuji, token_for):
    token = token_for(shuji)
    on_time = client.post("/api/meetings", json=form(tree["a1"], TODAY + timedelta(days=3)), headers=bearer(token))
    late = form(tree["a1"], TODAY - timedelta(days=5), title="上周主题党日", backfill_reason=REASON)
    response = client.post("/api/meetings", json=late, headers=bearer(token))

    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["backfilled"], response.get_json()["backfill_reason"]) == (True, REASON)
    assert (on_time.get_json()["backfilled"], on_time.get_json()["backfill_reason"]) == (False, None)
    listed = {item["title"]: item for item in client.get("/api/meetings", headers=bearer(token)).get_json()}
    assert listed["上周主题党日"]["backfilled"] is True and listed["九月主题党日"]["backfilled"] is False
    detail = client.get(f"/api/meetings/{response.get_json()['id']}", headers=bearer(token)).get_json()
    assert (detail["backfilled"], detail["backfill_reason"]) == (True, REASON)
    assert meetings()[-1].created_by_id == account_id()


# --- editing: a 补录 stays one, and an on-time meeting cannot be moved into the past ----------------


def test_an_on_time_meeting_cannot_be_moved_into_the_past(secretary, tree, make_meeting):
    meeting = make_meeting(tree["a1"], starts_in=timedelta(days=2))
    starts = meeting.starts_at

    refused = refusal(
        update_meeting, meeting, starts_at=beijing(SIXTY_DAYS_AGO, "09:00"), ends_at=beijing(SIXTY_DAYS_AGO, "11:00")
    )
    assert refused.code == "start_passed"
    assert "改到已经过去的时间" in refused.message

    response = secretary.post(f"/admin/meetings/{meeting.id}/edit", edit_form(SIXTY_DAYS_AGO, title=meeting.title))
    assert response.status_code == 422 and "改到已经过去的时间" in response.get_data(as_text=True)
    assert meetings()[0].starts_at == starts


def test_an_on_time_meeting_cannot_become_a_backfill(secretary, tree, make_meeting):
    meeting = make_meeting(tree["a1"], starts_in=timedelta(hours=-3))  # under way, scheduled beforehand
    assert refusal(update_meeting, meeting, backfill_reason=REASON).code == "backfill_fixed"
    edit = secretary.get(f"/admin/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert 'name="backfill_reason"' not in edit  # the form does not offer it
    local = meeting.starts_at.astimezone(BEIJING)
    posted = edit_form(local.date(), title=meeting.title, starts=f"{local:%H:%M}", ends=f"{local:%H:%M}")
    response = secretary.post(
        f"/admin/meetings/{meeting.id}/edit", posted | {"ends": "23:59", "backfill_reason": REASON}
    )
    assert response.status_code == 422 and "按时安排的会议不能改为补录" in response.get_data(as_text=True)
    assert meetings()[0].backfill_reason is None


def test_a_backfill_stays_a_backfill_and_in_the_past(secretary, tree):
    meeting = backfill(tree["a1"])
    assert refusal(update_meeting, meeting, backfill_reason=None).code == "backfill_fixed"
    assert refusal(update_meeting, meeting, backfill_reason=" ").code == "backfill_fixed"
    tomorrow = TODAY + timedelta(days=1)
    moved = refusal(update_meeting, meeting, starts_at=beijing(tomorrow, "09:00"), ends_at=beijing(tomorrow, "11:00"))
    assert moved.code == "backfill_not_over"

    # The form shows the reason; clearing it is refused, a corrected date and reason are kept (and audited).
    edit = secretary.get(f"/admin/meetings/{meeting.id}/edit").get_data(as_text=True)
    assert f">{REASON}</textarea>" in edit
    cleared = secretary.post(f"/admin/meetings/{meeting.id}/edit", edit_form(SIXTY_DAYS_AGO, backfill_reason=""))
    assert cleared.status_code == 422 and "补录的会议不能改为按时召开的会议" in cleared.get_data(as_text=True)
    fixed = edit_form(SIXTY_DAYS_AGO + timedelta(days=1), backfill_reason="当天停电，据纸质签到表补录")
    assert secretary.post(f"/admin/meetings/{meeting.id}/edit", fixed).status_code == 302
    meeting = meetings()[0]
    assert meeting.backfill_reason == "当天停电，据纸质签到表补录"
    assert meeting.starts_at == beijing(SIXTY_DAYS_AGO + timedelta(days=1), "09:00")
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "meeting.update"))
    assert entry.before["backfill_reason"] == REASON


def set_columns(meeting: Meeting, **values) -> None:
    """Write straight into the row, as someone with the database password would."""
    db.session.execute(sa.update(Meeting.__table__).where(Meeting.__table__.c.id == meeting.id).values(**values))
    db.session.commit()


def test_a_backfill_cannot_be_dated_after_it_was_entered(tree):
    meeting = backfill(tree["a1"], day=TODAY - timedelta(days=2))
    set_columns(meeting, created_at=meeting.ends_at + timedelta(hours=1))  # entered two days ago, at noon
    db.session.refresh(meeting)
    later = meeting.created_at + timedelta(minutes=1)  # still in the past, but after it was entered
    refused = refusal(update_meeting, meeting, ends_at=later)
    assert refused.code == "backfill_not_over"
    assert refusal(update_meeting, meeting, checkin_closes_at=later).code == "backfill_not_over"


def test_the_database_refuses_a_backfill_without_reason_or_still_to_come(tree):
    meeting = backfill(tree["a1"])
    later = meeting.created_at + timedelta(days=1)
    for change in ({"backfill_reason": " "}, {"ends_at": later}, {"checkin_closes_at": later}):
        with pytest.raises(IntegrityError):
            set_columns(meeting, **change)
        db.session.rollback()


# --- no live check-in; attendance entered by hand ---------------------------------------------------


def test_a_backfill_has_no_live_check_in_and_its_attendance_is_entered_by_hand(
    secretary, tree, make_member, token_for, client
):
    member = make_member(tree["a1"], "张三")
    meeting = backfill(tree["a1"], day=TODAY - timedelta(days=3))

    scan = client.post(
        f"/api/meetings/{meeting.id}/checkin",
        json={"code": codes.meeting_code(meeting)},
        headers=bearer(token_for(member)),
    )
    assert scan.status_code == 400 and scan.get_json()["error"]["code"] == "checkin_closed"
    live = secretary.get(f"/admin/meetings/{meeting.id}/live").get_data(as_text=True)
    assert 'id="backfill-notice"' in live and "live/code" not in live
    assert secretary.get(f"/admin/meetings/{meeting.id}/live/code").status_code == 400

    entered = secretary.post(f"/admin/meetings/{meeting.id}/manual", {"member_id": member.id, "reason": "纸质签到表"})
    assert entered.status_code == 302
    row = db.session.scalar(sa.select(Attendance))
    # Present, not "late": the paper sheet says who came, not when; the time kept is when it was entered.
    assert (row.status, row.method, row.note) == (AttendanceStatus.PRESENT, CheckinMethod.MANUAL, "纸质签到表")
    assert row.recorded_by_id == account_id() and row.checked_in_at >= meeting.created_at
    audit = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "attendance.create"))
    assert audit.org_id == tree["a1"].id
    detail = secretary.get(f"/admin/meetings/{meeting.id}").get_data(as_text=True)
    assert "已到" in row_of(detail, "张三") and "迟到" not in row_of(detail, "张三")


def test_attendance_of_a_backfill_needs_a_reason_and_a_participant(secretary, tree, make_member):
    in_group = make_member(tree["a1"], "组员", group_id=tree["a1_group"].id)
    not_in_group = make_member(tree["a1"], "非组员")
    meeting = backfill(tree["a1"], day=TODAY - timedelta(days=3), participants=[tree["a1_group"]])
    blank = secretary.post(f"/admin/meetings/{meeting.id}/manual", {"member_id": in_group.id, "reason": " "})
    assert blank.status_code == 400
    outside = secretary.post(f"/admin/meetings/{meeting.id}/manual", {"member_id": not_in_group.id, "reason": "签到表"})
    assert outside.status_code == 404 and "党员不存在" in outside.get_data(as_text=True)  # not at this meeting
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 0


# --- minutes ----------------------------------------------------------------------------------------


def test_the_minutes_of_a_backfill_say_so_and_the_mark_is_part_of_the_hash(secretary, tree):
    meeting = backfill(tree["a1"], day=TODAY - timedelta(days=3))
    record = minutes.get_or_create_minutes(meeting)
    minutes.save_draft(record, "学习", "学习了文件", "")
    minutes.finalise(record)
    db.session.commit()

    page = secretary.get(f"/admin/meetings/{meeting.id}/minutes").get_data(as_text=True)
    finalised = page[page.index('id="finalised"') :]
    assert "补录" in finalised[: finalised.index("</header>")] and REASON in page
    assert minutes.verify_chain(tree["a1"]).ok

    # Quietly turning the 补录 into an on-time meeting in the database shows up in the verification.
    set_columns(meeting, backfill_reason=None)
    assert not minutes.verify_chain(tree["a1"]).ok


# --- compliance and attendance ----------------------------------------------------------------------

Q4_2025 = (date(2025, 10, 1), date(2025, 12, 31))


@pytest.fixture
def theme_days_only(app, monkeypatch):
    monkeypatch.setitem(app.config, "MEETING_FREQUENCIES", {k.value: None for k in K} | {"theme_day": "month"})


def test_a_requirement_met_only_by_a_backfill_is_counted_apart(tree, theme_days_only):
    add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, 10, 18, 9))
    add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, 11, 18, 9), backfill_reason=REASON)
    add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, 12, 5, 9))
    add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, 12, 18, 9), backfill_reason=REASON)

    october, november, december = branch_compliance(tree["a1"], *Q4_2025, today=date(2026, 1, 15))

    assert (october.held, october.backfilled, october.ok, october.by_backfill) == (1, 0, True, False)
    assert (november.held, november.backfilled, november.ok, november.by_backfill) == (0, 1, True, True)
    assert not november.failed  # held, on paper: not missing, but not on time either
    assert (december.held, december.backfilled, december.by_backfill) == (1, 1, False)


def test_the_compliance_export_and_page_show_backfills_apart(tree, theme_days_only, make_admin, browser):
    add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, 10, 18, 9), backfill_reason=REASON)
    for month in (10, 11, 12):
        add_meeting(K.THEME_DAY, tree["a2"], datetime(2025, month, 18, 9))
        if month > 10:
            add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, month, 18, 9))
    matrix = compliance_matrix(tree["committee"].path, period_of(QUARTER, date(2025, 10, 1)), date(2026, 1, 15))
    october = {row.branch.name: row.cells[0].state for row in matrix.rows}
    assert (october["甲一支部"], october["甲二支部"]) == (State.BACKFILLED, State.HELD)

    book = load_workbook(io.BytesIO(compliance_workbook(matrix)))
    rows = [list(row) for row in book["明细"].iter_rows(values_only=True)]
    assert rows[0] == ["组织", "会议类型", "周期", "应开", "按时召开", "补录", "情况", "说明"]
    assert ["甲一支部", "主题党日", "2025年10月", 1, 0, 1, "补录", None] in rows
    assert ["甲二支部", "主题党日", "2025年10月", 1, 1, 0, "已开", None] in rows

    make_admin("dangwei", Role.ORG_ADMIN, tree["committee"])
    page = browser("dangwei").get("/admin/meetings/compliance?quarter=2025-4").get_data(as_text=True)
    assert len(re.findall(r'class="cell cell-backfilled[ "]', page)) == 1  # 甲一支部, October: marked apart
    assert '<span class="sym" aria-hidden="true">✓</span>补录' in page


def test_backfills_entered_today_for_old_dates_do_not_silence_the_inactivity_warning(tree):
    now = utcnow()
    for key in ("a1", "a2", "b1"):
        tree[key].created_at = now - timedelta(days=100)
    db.session.commit()
    last_on_time = add_meeting(K.THEME_DAY, tree["a1"], now - timedelta(days=40))
    add_meeting(K.THEME_DAY, tree["a1"], now - timedelta(days=5), backfill_reason=REASON)
    add_meeting(K.THEME_DAY, tree["a2"], now - timedelta(days=5))

    warned = {item.branch.name: item for item in inactive_branches(tree["committee"].path, local_today())}

    assert "甲一支部" in warned and "甲二支部" not in warned
    assert warned["甲一支部"].last_meeting_on == last_on_time.starts_at.astimezone(BEIJING).date()


def test_attendance_rates_count_backfilled_meetings_apart(tree, make_member, client, token_for):
    member = make_member(tree["a1"], "张三")
    year = TODAY.year - 1
    on_time = add_meeting(K.THEME_DAY, tree["a1"], datetime(year, 5, 10, 9))
    paper = add_meeting(K.BRANCH_ASSEMBLY, tree["a1"], datetime(year, 6, 10, 9), backfill_reason=REASON)
    add_meeting(K.PARTY_LECTURE, tree["a1"], datetime(year, 7, 10, 9), backfill_reason=REASON)
    attend(on_time, member)
    attend(paper, member)

    rates = attendance_rates(tree["committee"].path, year)
    row = next(row.figures for row in rates.members if row.name == "张三")
    assert (row.expected, row.attended, row.backfilled, row.backfilled_attended) == (3, 2, 2, 1)
    branch = next(row.figures for row in rates.branches if row.name == "甲一支部")
    assert (branch.backfilled, branch.backfilled_attended) == (2, 1)

    book = load_workbook(io.BytesIO(attendance_workbook(rates)))
    members = list(book["党员出勤率"].iter_rows(values_only=True))
    assert members[0] == ("姓名", "支部", "应参会次数", "实到次数", "出勤率", "其中补录会议", "补录会议实到")
    assert ("张三", "甲一支部", 3, 2, "67%", 2, 1) in members

    mine = client.get(f"/api/me/attendance?year={year}", headers=bearer(token_for(member))).get_json()
    assert [item["backfilled"] for item in mine["meetings"]] == [True, True, False]  # newest first


# --- the demo --------------------------------------------------------------------------------------


def test_the_demo_shows_a_backfill_at_first_open(demo):
    (meeting,) = [m for m in meetings() if m.backfilled]
    assert meeting.backfill_reason and meeting.created_by_id is not None
    assert meeting.ends_at < meeting.created_at
    rows = db.session.scalars(sa.select(Attendance).where(Attendance.meeting_id == meeting.id)).all()
    assert rows and all(row.status is AttendanceStatus.PRESENT and row.note for row in rows)
