"""三会一课 compliance, inactive branches, attendance rates and the export, on a real database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.auth.models import Role
from server.db import db, utcnow
from server.meetings.attendance import attendance_rates
from server.meetings.compliance_activity import inactive_branches
from server.meetings.compliance_report import Requirement, branch_compliance, subtree_compliance
from server.meetings.compliance_rules import State, meeting_frequencies, periods_between
from server.meetings.models import AttendanceStatus, MeetingKind
from server.orgs.models import OrgKind
from server.timezone import local_date, local_today
from tests.meetings.factories import add_meeting, attend

K = MeetingKind


@pytest.fixture
def tree(established_tree):
    """Set up in 2020: the periods of 2025 are all required of it."""
    return established_tree


def find(requirements: list[Requirement], kind: MeetingKind, period: str, group=None) -> Requirement:
    matches = [
        r for r in requirements if r.kind is kind and r.period == period and (group is None or r.group_id == group.id)
    ]
    assert len(matches) == 1, (kind, period, requirements)
    return matches[0]


def by_branch(reports):
    return {report.branch.name: report for report in reports}


OCT_2025 = (date(2025, 10, 1), date(2025, 10, 31))
Q4_2025 = (date(2025, 10, 1), date(2025, 12, 31))


def test_periods_are_local_calendar_periods():
    assert [p.label for p in periods_between("month", date(2025, 11, 20), date(2026, 1, 5))] == [
        "2025年11月",
        "2025年12月",
        "2026年1月",
    ]
    (quarter,) = periods_between("quarter", date(2026, 11, 1), date(2026, 11, 30))
    assert (quarter.label, quarter.start, quarter.end) == ("2026年第4季度", date(2026, 10, 1), date(2026, 12, 31))
    assert [p.label for p in periods_between("year", date(2025, 12, 1), date(2026, 1, 31))] == ["2025年", "2026年"]


def test_missing_monthly_theme_day_makes_the_branch_non_compliant(tree, monkeypatch, app):
    monkeypatch.setitem(app.config, "MEETING_FREQUENCIES", {k.value: None for k in K} | {"theme_day": "month"})
    add_meeting(K.THEME_DAY, tree["a2"], datetime(2025, 10, 18, 9))

    reports = by_branch(subtree_compliance(tree["committee"].path, *OCT_2025))

    missing = find(reports["甲一支部"].requirements, K.THEME_DAY, "2025年10月")
    assert (missing.label, missing.required, missing.held, missing.ok) == ("主题党日", 1, 0, False)
    assert reports["甲一支部"].non_compliant
    assert [r.period for r in reports["甲一支部"].missing] == ["2025年10月"]
    assert find(reports["甲二支部"].requirements, K.THEME_DAY, "2025年10月").ok
    assert not reports["甲二支部"].non_compliant


def test_periods_follow_beijing_time(tree):
    # 23:30 on 31 October in Beijing is still October; 00:30 on 1 November is already November,
    # although both are 31 October in UTC.
    add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, 10, 31, 23, 30))
    add_meeting(K.THEME_DAY, tree["a2"], datetime(2025, 11, 1, 0, 30))

    october = by_branch(subtree_compliance(tree["committee"].path, *OCT_2025))
    assert find(october["甲一支部"].requirements, K.THEME_DAY, "2025年10月").held == 1
    assert find(october["甲二支部"].requirements, K.THEME_DAY, "2025年10月").held == 0
    november = branch_compliance(tree["a2"], date(2025, 11, 1), date(2025, 11, 30))
    assert find(november, K.THEME_DAY, "2025年11月").held == 1


def test_quarterly_assembly_held_in_the_quarter_is_ok(tree):
    add_meeting(K.BRANCH_ASSEMBLY, tree["a1"], datetime(2025, 11, 15, 14))

    requirements = branch_compliance(tree["a1"], *Q4_2025)
    assembly = find(requirements, K.BRANCH_ASSEMBLY, "2025年第4季度")
    assert (assembly.label, assembly.held, assembly.ok) == ("支部党员大会", 1, True)
    # asked about October only, the requirement is still the whole quarter
    assert find(branch_compliance(tree["a1"], *OCT_2025), K.BRANCH_ASSEMBLY, "2025年第4季度").ok
    # the previous quarter had none
    assert not find(
        branch_compliance(tree["a1"], date(2025, 9, 1), date(2025, 9, 30)), K.BRANCH_ASSEMBLY, "2025年第3季度"
    ).ok


def test_default_requirements_of_a_quarter(tree):
    requirements = branch_compliance(tree["a1"], *Q4_2025)
    counted = {}
    for r in requirements:
        counted[r.kind] = counted.get(r.kind, 0) + 1
    assert counted == {
        K.BRANCH_ASSEMBLY: 1,
        K.BRANCH_COMMITTEE: 3,
        K.GROUP_MEETING: 3,  # 甲一支部 has one party group
        K.PARTY_LECTURE: 1,
        K.THEME_DAY: 3,
        K.LIFE_MEETING: 1,
        K.HEART_TALK: 1,
    }
    assert {r.label for r in requirements if r.kind is K.GROUP_MEETING} == {"党小组会（第一党小组）"}
    assert K.GROUP_MEETING not in {r.kind for r in branch_compliance(tree["a2"], *Q4_2025)}
    assert find(requirements, K.LIFE_MEETING, "2025年").period_end == date(2025, 12, 31)


def test_branch_committee_counts_only_with_more_than_half_of_the_committee(tree, make_member, make_admin):
    committee = [make_member(tree["a1"]) for _ in range(5)]
    ordinary = make_member(tree["a1"])
    make_admin("shuji", Role.SECRETARY, tree["a1"], member_id=committee[0].id)
    for n, member in enumerate(committee[1:]):
        make_admin(f"zhiwei{n}", Role.COMMITTEE, tree["a1"], member_id=member.id)
    # an account for a branch the member does not belong to is not a seat on that committee
    outsider = make_member(tree["a2"])
    make_admin("outsider", Role.COMMITTEE, tree["a1"], member_id=outsider.id)

    thin = add_meeting(K.BRANCH_COMMITTEE, tree["a1"], datetime(2025, 10, 10, 15))
    attend(thin, committee[0], committee[1], ordinary, outsider)
    attend(thin, committee[2], status=AttendanceStatus.LEAVE)

    october = find(branch_compliance(tree["a1"], *OCT_2025), K.BRANCH_COMMITTEE, "2025年10月")
    assert (october.label, october.held, october.ok) == ("支部委员会", 0, False)
    assert october.notes == ["10月10日支委会到会未过半（2/5），不计入"]

    enough = add_meeting(K.BRANCH_COMMITTEE, tree["a1"], datetime(2025, 10, 20, 15))
    attend(enough, committee[0], committee[1])
    attend(enough, committee[2], status=AttendanceStatus.LATE)

    reports = by_branch(subtree_compliance(tree["committee"].path, *OCT_2025))
    october = find(reports["甲一支部"].requirements, K.BRANCH_COMMITTEE, "2025年10月")
    assert (october.held, october.ok) == (1, True)
    assert october.notes == ["10月10日支委会到会未过半（2/5），不计入"]
    assert reports["甲一支部"].committee_size == 5


def test_branch_committee_without_a_recorded_committee_needs_one_attendance(tree, make_member):
    member = make_member(tree["a2"])
    empty = add_meeting(K.BRANCH_COMMITTEE, tree["a2"], datetime(2025, 10, 9, 15))
    assert empty.id
    october = find(branch_compliance(tree["a2"], *OCT_2025), K.BRANCH_COMMITTEE, "2025年10月")
    assert (october.held, october.ok) == (0, False)
    assert october.notes == ["10月9日支委会无签到记录，不计入"]

    attended = add_meeting(K.BRANCH_COMMITTEE, tree["a2"], datetime(2025, 10, 23, 15))
    attend(attended, member)
    report = by_branch(subtree_compliance(tree["general_a"].path, *OCT_2025))["甲二支部"]
    october = find(report.requirements, K.BRANCH_COMMITTEE, "2025年10月")
    assert (october.held, october.ok) == (1, True)
    assert not report.committee_recorded


def test_cancelled_and_future_meetings_do_not_count(tree):
    add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, 10, 18, 9), cancelled=True)
    assert not find(branch_compliance(tree["a1"], *OCT_2025), K.THEME_DAY, "2025年10月").ok

    now = utcnow()
    today = local_today()
    window = (today - timedelta(days=40), today + timedelta(days=40))
    add_meeting(K.PARTY_LECTURE, tree["a2"], now + timedelta(hours=3))
    add_meeting(K.PARTY_LECTURE, tree["a2"], now + timedelta(days=2), cancelled=True)
    lectures = [r for r in branch_compliance(tree["a2"], *window) if r.kind is K.PARTY_LECTURE]
    assert sum(r.held for r in lectures) == 0
    current = next(r for r in lectures if r.period_start <= today <= r.period_end)
    assert current.in_progress and not current.ok
    assert current.state is State.NOT_DUE

    add_meeting(K.PARTY_LECTURE, tree["a2"], now - timedelta(minutes=10))  # started: counts
    lectures = [r for r in branch_compliance(tree["a2"], *window) if r.kind is K.PARTY_LECTURE]
    assert sum(r.held for r in lectures) == 1


def test_a_period_in_progress_is_not_yet_a_failure(tree, monkeypatch, app):
    monkeypatch.setitem(app.config, "MEETING_FREQUENCIES", {k.value: None for k in K} | {"theme_day": "month"})
    reports = subtree_compliance(tree["a1"].path, *OCT_2025, today=date(2025, 10, 20))
    (theme,) = reports[0].requirements
    assert (theme.ok, theme.in_progress, reports[0].non_compliant) == (False, True, False)
    reports = subtree_compliance(tree["a1"].path, *OCT_2025, today=date(2025, 11, 1))
    assert reports[0].non_compliant


def test_joint_lecture_counts_for_every_participating_branch(tree):
    add_meeting(K.PARTY_LECTURE, tree["a1"], datetime(2025, 11, 3, 9), participants=[tree["a2"], tree["b1"]])

    reports = by_branch(subtree_compliance(tree["committee"].path, *Q4_2025))
    for name in ("甲一支部", "甲二支部", "乙一支部"):  # the organiser and both participants
        assert find(reports[name].requirements, K.PARTY_LECTURE, "2025年第4季度").held == 1, name
    # the lecture is a lecture, not a theme day, for anyone
    assert all(r.held == 0 for r in reports["甲二支部"].requirements if r.kind is not K.PARTY_LECTURE)


def test_configured_frequencies_change_the_result(tree, monkeypatch, app):
    add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, 11, 8, 9))
    before = branch_compliance(tree["a1"], *Q4_2025)
    assert find(before, K.PARTY_LECTURE, "2025年第4季度").ok is False
    assert not find(before, K.THEME_DAY, "2025年10月").ok

    monkeypatch.setitem(app.config, "MEETING_FREQUENCIES", {"party_lecture": None, "theme_day": "quarter"})
    after = branch_compliance(tree["a1"], *Q4_2025)
    assert K.PARTY_LECTURE not in {r.kind for r in after}
    assert find(after, K.THEME_DAY, "2025年第4季度").ok
    assert find(after, K.BRANCH_ASSEMBLY, "2025年第4季度")  # the rest keep their defaults

    monkeypatch.setitem(app.config, "MEETING_FREQUENCIES", {"theme_day": "fortnight"})
    with pytest.raises(ValueError, match="fortnight"):
        meeting_frequencies()
    with pytest.raises(ValueError, match="retreat"):
        meeting_frequencies({"retreat": "year"})


def test_group_meetings_are_required_per_group(tree, make_org):
    second = make_org("第二党小组", OrgKind.GROUP, tree["a1"])
    add_meeting(K.GROUP_MEETING, tree["a1"], datetime(2025, 10, 12, 19), participants=[tree["a1_group"]])
    add_meeting(K.GROUP_MEETING, second, datetime(2025, 11, 12, 19))

    requirements = branch_compliance(tree["a1"], *Q4_2025)
    first = tree["a1_group"]
    assert find(requirements, K.GROUP_MEETING, "2025年10月", first).ok
    assert not find(requirements, K.GROUP_MEETING, "2025年11月", first).ok
    assert not find(requirements, K.GROUP_MEETING, "2025年10月", second).ok
    assert find(requirements, K.GROUP_MEETING, "2025年11月", second).ok
    assert find(requirements, K.GROUP_MEETING, "2025年11月", second).label == "党小组会（第二党小组）"

    second.dissolved_at = utcnow()
    db.session.commit()
    groups = {r.group_id for r in branch_compliance(tree["a1"], *Q4_2025) if r.kind is K.GROUP_MEETING}
    assert groups == {first.id}


def test_branches_without_activity_for_30_days_are_warned(tree, make_org):
    now = utcnow()
    today = local_today()
    long_ago = now - timedelta(days=100)
    for key in ("a1", "a2", "b1"):
        tree[key].created_at = long_ago
    a2_group = make_org("甲二党小组", OrgKind.GROUP, tree["a2"])
    make_org("新支部", OrgKind.BRANCH, tree["general_b"])  # created today, never met: too young to warn
    db.session.commit()

    old = add_meeting(K.THEME_DAY, tree["a1"], now - timedelta(days=40))
    add_meeting(K.THEME_DAY, tree["a1"], now - timedelta(days=2), cancelled=True)
    add_meeting(K.THEME_DAY, tree["a1"], now + timedelta(days=2))
    add_meeting(K.GROUP_MEETING, a2_group, now - timedelta(days=3))  # a group's meeting is its branch's activity

    warned = {item.branch.name: item for item in inactive_branches(tree["committee"].path, today)}
    assert set(warned) == {"甲一支部", "乙一支部"}
    assert warned["甲一支部"].last_meeting_on == local_date(old.starts_at)
    assert warned["甲一支部"].idle_days == (today - warned["甲一支部"].last_meeting_on).days >= 39
    assert warned["乙一支部"].last_meeting_on is None
    assert warned["乙一支部"].idle_days >= 99

    assert {item.branch.name for item in inactive_branches(tree["committee"].path, today, days=50)} == {"乙一支部"}
    assert {item.branch.name for item in inactive_branches(tree["general_a"].path, today)} == {"甲一支部"}


def test_attendance_rates(tree, make_member):
    m1 = make_member(tree["a1"], "张三", group_id=tree["a1_group"].id)
    m2 = make_member(tree["a1"], "李四")
    m3 = make_member(tree["a2"], "王五")
    make_member(tree["b1"], "赵六")

    theme = add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, 3, 5, 9))
    group = add_meeting(K.GROUP_MEETING, tree["a1"], datetime(2025, 4, 5, 9), participants=[tree["a1_group"]])
    lecture = add_meeting(K.PARTY_LECTURE, tree["a1"], datetime(2025, 5, 5, 9), participants=[tree["a1"], tree["a2"]])
    cancelled = add_meeting(K.THEME_DAY, tree["a1"], datetime(2025, 6, 5, 9), cancelled=True)
    previous_year = add_meeting(K.THEME_DAY, tree["a1"], datetime(2024, 12, 31, 22))  # 14:00 UTC: still 2024
    attend(theme, m1)
    attend(group, m1, status=AttendanceStatus.LATE)
    attend(theme, m2, status=AttendanceStatus.LEAVE)
    attend(lecture, m2, m3)
    attend(theme, m3)  # a guest from another branch: not expected, so not counted
    attend(cancelled, m1, m2)
    attend(previous_year, m1, m2)

    rates = attendance_rates(tree["committee"].path, 2025)
    members = {row.name: row for row in rates.members}
    assert {name: (row.figures.expected, row.figures.attended, row.figures.rate) for name, row in members.items()} == {
        "张三": (3, 2, 0.6667),
        "李四": (2, 1, 0.5),
        "王五": (1, 1, 1.0),
        "赵六": (0, 0, None),
    }
    assert members["张三"].branch == "甲一支部"
    branches = {row.name: row for row in rates.branches}
    assert {
        name: (row.members, row.figures.expected, row.figures.attended, row.figures.rate)
        for name, row in branches.items()
    } == {
        "甲一支部": (2, 5, 3, 0.6),
        "甲二支部": (1, 1, 1, 1.0),
        "乙一支部": (1, 0, 0, None),
    }
    assert attendance_rates(tree["committee"].path, 2024).branches[0].figures.expected == 2


def test_branches_outside_the_subtree_never_appear(tree, make_member):
    outsider = make_member(tree["b1"])
    add_meeting(K.THEME_DAY, tree["b1"], datetime(2025, 10, 18, 9))
    joint = add_meeting(K.PARTY_LECTURE, tree["b1"], datetime(2025, 10, 20, 9), participants=[tree["b1"], tree["a1"]])
    attend(joint, outsider)

    reports = by_branch(subtree_compliance(tree["general_a"].path, *Q4_2025))
    assert set(reports) == {"甲一支部", "甲二支部"}
    # b1's joint lecture still counts for a1, which took part
    assert find(reports["甲一支部"].requirements, K.PARTY_LECTURE, "2025年第4季度").ok
    assert [r.branch.name for r in subtree_compliance(tree["a1"].path, *Q4_2025)] == ["甲一支部"]
    rates = attendance_rates(tree["general_a"].path, 2025)
    assert outsider.id not in {row.member_id for row in rates.members}
    assert {row.name for row in rates.branches} == {"甲一支部", "甲二支部"}
    assert "乙一支部" not in {i.branch.name for i in inactive_branches(tree["general_a"].path, local_today(), days=0)}
    with pytest.raises(ValueError):
        branch_compliance(tree["general_a"], *Q4_2025)


def test_a_whole_subtree_costs_a_fixed_number_of_queries(tree, make_org, make_member, make_admin):
    def count_queries(fn):
        statements = []

        def record(*args):
            statements.append(args[2])

        sa.event.listen(db.engine, "before_cursor_execute", record)
        try:
            fn()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", record)
        return len(statements)

    def populate(branch, n):
        group = make_org(f"{branch.name}小组", OrgKind.GROUP, branch)
        secretary = make_member(branch)
        make_admin(f"s{n}", Role.SECRETARY, branch, member_id=secretary.id)
        committee = add_meeting(K.BRANCH_COMMITTEE, branch, datetime(2025, 10, 5, 9))
        attend(committee, secretary)
        add_meeting(K.THEME_DAY, branch, datetime(2025, 10, 6, 9))
        add_meeting(K.GROUP_MEETING, group, datetime(2025, 10, 7, 9))

    populate(tree["a1"], 0)
    db.session.expire_all()
    small = count_queries(lambda: subtree_compliance(tree["committee"].path, *Q4_2025))
    for n in range(1, 13):
        populate(make_org(f"新建{n}支部", OrgKind.BRANCH, tree["general_b"]), n)
    db.session.expire_all()
    reports = []
    large = count_queries(lambda: reports.extend(subtree_compliance(tree["committee"].path, *Q4_2025)))
    assert len(reports) == 15
    assert large == small <= 6
    assert all(
        find(r.requirements, K.BRANCH_COMMITTEE, "2025年10月").ok for r in reports if r.branch.name.startswith("新建")
    )
