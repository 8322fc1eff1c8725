"""What a newcomer meets in the demo (`make run`): names that agree with the recorded gender, a meeting
under way with people arriving, a member one month short of the six-month arrears line, and a year of
attendance with late arrivals, leave and absences."""

from __future__ import annotations

import re

import sqlalchemy as sa

from server.db import db, utcnow
from server.demo import GIVEN, SURNAMES
from server.dues.arrears import members_in_arrears
from server.meetings.attendance import attendance_rates
from server.meetings.live_demo import LIVE_TITLE, arrive_one, live_meeting
from server.meetings.models import Attendance, AttendanceStatus, Meeting
from server.meetings.services import live_list
from server.members.models import Gender, Member
from server.orgs.models import Organisation

FEMALE = {name for pool in GIVEN[Gender.FEMALE] for name in pool}
MALE = {name for pool in GIVEN[Gender.MALE] for name in pool}


def test_every_demo_name_reads_as_the_gender_and_id_card_the_register_records(demo):
    members = db.session.execute(sa.select(Member.name, Member.gender, Member.id_card)).all()
    assert len(members) > 100 and not FEMALE & MALE
    wrong = []
    for name, gender, id_card in members:
        assert name[0] in SURNAMES
        given = name[1:]
        said = Gender.FEMALE if given in FEMALE else Gender.MALE if given in MALE else None
        sex_digit = Gender.MALE if int(id_card[16]) % 2 else Gender.FEMALE
        if said is not gender or sex_digit is not gender:
            wrong.append((name, gender.value, id_card))
    assert wrong == []
    genders = {gender for _, gender, _ in members}
    assert genders == {Gender.MALE, Gender.FEMALE}


def test_a_meeting_is_under_way_with_arrivals_so_far_and_more_to_come(demo, browser):
    meeting = live_meeting()
    assert meeting is not None and meeting.organiser.name == "综合办公室党支部"
    now = utcnow()
    assert meeting.starts_at < now < meeting.ends_at
    live = live_list(meeting)
    assert live.present >= 5 and live.late >= 1 and live.leave >= 1 and live.not_arrived >= 2
    times = [arrival.checked_in_at for arrival in live.arrivals]
    assert len(set(times)) == len(times) and all(at < now for at in times)  # staggered, all in the past
    # the live page the secretary projects lists them
    page = browser("shuji1", demo["shuji1"]).get(f"/admin/meetings/{meeting.id}/live/arrivals").get_data(as_text=True)
    assert live.arrivals[0].name in page
    # the demo's trickle checks one more in, as if they scanned the code: late by now
    name = arrive_one()
    assert name is not None
    after = live_list(meeting)
    assert after.late == live.late + 1 and after.not_arrived == live.not_arrived - 1
    assert after.arrivals[0].name == name


def test_the_trickle_stops_when_the_meeting_is_over(demo):
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.title == LIVE_TITLE))
    meeting.ends_at = utcnow()
    db.session.commit()
    assert live_meeting() is None and arrive_one() is None


def test_one_member_is_five_months_behind_and_shown_before_the_line(demo, browser):
    page = browser("shuji1", demo["shuji1"]).get("/admin/dues/arrears").get_data(as_text=True)
    behind = {item.months: item for item in members_in_arrears("/")}
    near = behind[5]
    assert not near.flagged and any(months >= 6 for months in behind)
    assert near.name in page
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{re.escape(near.name)}(?:(?!</tr>).)*</tr>", page, re.S)
    assert row and "5" in re.sub(r"<[^>]+>", " ", row.group(0))


def test_a_year_of_attendance_has_late_arrivals_leave_and_absences(demo):
    counts = dict(
        db.session.execute(
            sa.select(Attendance.status, sa.func.count())
            .join(Meeting, Meeting.id == Attendance.meeting_id)
            .where(Meeting.ends_at < utcnow())
            .group_by(Attendance.status)
        ).all()
    )
    assert counts[AttendanceStatus.PRESENT] > counts[AttendanceStatus.LATE] > 0
    assert counts[AttendanceStatus.LEAVE] > 0
    rates = attendance_rates("/", utcnow().year)
    assert sum(row.figures.absent for row in rates.members) > 0
    assert sum(row.figures.late for row in rates.members) > 0 and sum(row.figures.leave for row in rates.members) > 0


def test_the_dashboard_counts_attendance_as_the_attendance_report_does(demo):
    from datetime import date

    from server.meetings.attendance import totals_between
    from server.meetings.compliance_rules import local_midnight
    from server.timezone import local_today

    year = local_today().year
    branch = db.session.scalar(sa.select(Organisation.path).join(Member, Member.org_id == Organisation.id).limit(1))
    for path in ("/", branch):
        figures = attendance_rates(path, year).members
        expected = sum(row.figures.expected for row in figures)
        attended = sum(row.figures.attended for row in figures)
        since, until = local_midnight(date(year, 1, 1)), local_midnight(date(year + 1, 1, 1))
        assert totals_between(path, since, until) == (expected, attended) and expected > 0
