"""A year of branch meetings for the demo, so 三会一课落实情况 and 出勤率 say something true at first open.

Branches were set up in the system three years ago, except the last, set up this quarter (its earlier
periods read 未建立). Each branch held what the default frequencies ask over the past twelve months,
except two that lag: one stopped holding theme days and its assembly two months ago, one rarely holds
its committee. Attendance has late arrivals, leave and absences. Rows go straight into the tables, as
history recorded at the time: seeding is no admin's write, so it leaves no audit entries.
"""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from server.db import db
from server.meetings.compliance_rules import QUARTER, meeting_frequencies, period_of
from server.meetings.models import Attendance, AttendanceStatus, CheckinMethod, Meeting, MeetingKind
from server.meetings.models import meeting_participants as participants
from server.members.models import Member
from server.orgs.models import Organisation, OrgKind
from server.timezone import display_zone, local_today

#: the day of the period each kind is held on, and at what local hour
SCHEDULE = {
    MeetingKind.BRANCH_COMMITTEE: (3, 16),
    MeetingKind.GROUP_MEETING: (8, 19),
    MeetingKind.THEME_DAY: (12, 9),
    MeetingKind.BRANCH_ASSEMBLY: (20, 14),
    MeetingKind.PARTY_LECTURE: (25, 14),
    MeetingKind.LIFE_MEETING: (45, 9),
    MeetingKind.HEART_TALK: (60, 15),
}
TITLES = {
    MeetingKind.BRANCH_COMMITTEE: "支委会：研究本月党建工作",
    MeetingKind.GROUP_MEETING: "党小组学习：学习党的创新理论",
    MeetingKind.THEME_DAY: "主题党日：学习身边榜样",  # not the demo 补录's title, which tests look for
    MeetingKind.BRANCH_ASSEMBLY: "支部党员大会：通报季度工作",
    MeetingKind.PARTY_LECTURE: "书记讲党课：践行初心使命",
    MeetingKind.LIFE_MEETING: "组织生活会：对照检查",
    MeetingKind.HEART_TALK: "谈心谈话",
}
#: branches (by position) that lag: one stopped two months ago, one skips most committee meetings
STOPPED, THIN_COMMITTEE = 5, 10


def seed_meeting_history(branches: list[Organisation], rng: random.Random) -> None:
    today = local_today()
    newest = _set_up(branches, today)
    for index, branch in enumerate(branches):
        members = list(db.session.scalars(sa.select(Member).where(Member.org_id == branch.id).order_by(Member.id)))
        groups = list(
            db.session.scalars(
                sa.select(Organisation)
                .where(Organisation.parent_id == branch.id, Organisation.kind == OrgKind.GROUP)
                .order_by(Organisation.id)
            )
        )
        for kind, day in _held_days(index, today):
            if branch is branches[-1] and day <= newest:
                continue  # the newest branch met only once set up
            for group in groups if kind is MeetingKind.GROUP_MEETING else [None]:
                _meeting(branch, group, kind, day, members, rng)


def _set_up(branches: list[Organisation], today: date) -> date:
    """Set up three years ago; the last branch in the first weeks of this quarter (its day is returned)."""
    db.session.flush()  # the updates below go round the session: nothing of it may be left unwritten
    long_ago = datetime.combine(today - timedelta(days=3 * 365), time(9), display_zone())
    newest = min(period_of(QUARTER, today).start + timedelta(days=20), today - timedelta(days=1))
    recent = datetime.combine(newest, time(9), display_zone())
    ids = [branch.id for branch in branches]
    db.session.execute(
        sa.update(Organisation)
        .where(sa.or_(Organisation.id.in_(ids[:-1]), Organisation.parent_id.in_(ids[:-1])))
        .values(created_at=long_ago)
    )
    db.session.execute(sa.update(Organisation).where(Organisation.id == ids[-1]).values(created_at=recent))
    db.session.expire_all()
    return newest


def _held_days(index: int, today: date) -> list[tuple[MeetingKind, date]]:
    """The days this branch met in the past twelve months, up to yesterday, and the days it will meet in
    the periods under way (scheduled already, so 本月会议 lists what is still to come)."""
    first = (today.replace(day=1) - timedelta(days=335)).replace(day=1)
    days = []
    for kind, frequency in meeting_frequencies().items():
        offset = SCHEDULE.get(kind, (15, 9))[0]
        period = period_of(frequency, first)
        while period.start <= today:
            day = period.start + timedelta(days=(offset - 1) % (period.end - period.start).days)
            if day != today and not _skipped(index, kind, day, today):
                days.append((kind, day))
            period = period_of(frequency, period.end + timedelta(days=1))
    return days


def _skipped(index: int, kind: MeetingKind, day: date, today: date) -> bool:
    """The two lagging branches' gaps; the others hold every period."""
    if index == STOPPED and kind in (MeetingKind.THEME_DAY, MeetingKind.BRANCH_ASSEMBLY):
        return day >= today - timedelta(days=62)
    if index == THIN_COMMITTEE and kind is MeetingKind.BRANCH_COMMITTEE:
        return day.month % 3 != 0
    return False


def _meeting(branch, group, kind, day, members, rng) -> None:
    starts = datetime.combine(day, time(SCHEDULE.get(kind, (15, 9))[1]), display_zone())
    meeting_id = db.session.execute(
        sa.insert(Meeting).returning(Meeting.id),
        {
            "kind": kind,
            "title": TITLES.get(kind, "支部会议"),
            "organiser_org_id": branch.id,
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=2),
            "place": "项目部会议室",
            "checkin_opens_at": starts - timedelta(minutes=30),
            "checkin_closes_at": starts + timedelta(hours=2),
            "code_secret": secrets.token_hex(32),
            "created_at": min(starts - timedelta(days=5), datetime.now(display_zone()) - timedelta(days=1)),
        },
    ).scalar_one()
    db.session.execute(sa.insert(participants), {"meeting_id": meeting_id, "org_id": (group or branch).id})
    if day > local_today():
        return  # scheduled, nobody has come yet
    expected = [m for m in members if group is None or m.group_id == group.id]
    rows = [_attendance(meeting_id, member, starts, rng) for member in expected]
    rows = [row for row in rows if row is not None]
    if rows:
        db.session.execute(sa.insert(Attendance), rows)


def _attendance(meeting_id: int, member: Member, starts: datetime, rng: random.Random) -> dict | None:
    """Most come, some late, a few on leave, the rest absent."""
    draw = rng.random()
    if draw < 0.78:
        status, at = AttendanceStatus.PRESENT, starts - timedelta(minutes=rng.randint(1, 25))
    elif draw < 0.86:
        status, at = AttendanceStatus.LATE, starts + timedelta(minutes=rng.randint(6, 40))
    elif draw < 0.92:
        status, at = AttendanceStatus.LEAVE, None
    else:
        return None
    method = CheckinMethod.MEETING_CODE if at else CheckinMethod.MANUAL
    return {"meeting_id": meeting_id, "member_id": member.id, "status": status, "method": method, "checked_in_at": at}
