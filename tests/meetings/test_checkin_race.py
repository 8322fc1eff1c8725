"""A check-in at the moment its member's branch is removed from the meeting: one of the two must see the
other. Either the member is checked in and the branch stays, or the branch goes and the scan is refused;
never an attendance row for a member the meeting no longer expects.

Two transactions on two connections, interleaved by hand: one holds its place until the other has
either finished or is seen waiting for it (on PostgreSQL, in pg_stat_activity), then lets go.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.db import db, utcnow
from server.errors import AppError
from server.meetings import checkin, services
from server.meetings import leave as leave_service
from server.meetings import minutes as minutes_service
from server.meetings.models import (
    Attendance,
    AttendanceStatus,
    CheckinMethod,
    LeaveRequest,
    LeaveStatus,
    Meeting,
    Minutes,
)
from server.members.models import Member
from server.orgs.models import Organisation
from tests.conftest import USING_POSTGRES


@pytest.fixture
def joint(make_meeting, tree):
    """A meeting of 甲一支部 to which 甲二支部 is invited too."""
    return make_meeting(tree["a1"], participants=[tree["a1"], tree["a2"]])


@pytest.fixture
def guest(tree, make_member):
    return make_member(tree["a2"], "甲二的党员")


class Step(threading.Thread):
    """A transaction in its own app context (so its own session and connection), which runs ``work`` and
    then waits for ``release`` before committing."""

    def __init__(self, app, work: Callable[[], object]) -> None:
        super().__init__(daemon=True)
        self.app, self.work = app, work
        self.ready, self.release, self.done = threading.Event(), threading.Event(), threading.Event()
        self.outcome: object = None

    def run(self) -> None:
        with self.app.app_context():
            try:
                self.outcome = self.work()
                self.ready.set()
                self.release.wait(20)
                db.session.commit()
            except AppError as refusal:
                self.outcome = refusal
                db.session.rollback()
            except BaseException as exc:  # reported in the main thread
                self.outcome = exc
                db.session.rollback()
            finally:
                self.ready.set()
                self.done.set()
                db.session.remove()


def waiting_for_a_lock() -> bool:
    if not USING_POSTGRES:
        return False  # SQLite's busy wait cannot be seen from outside: the caller waits a while instead
    with db.engine.connect() as connection:
        return bool(
            connection.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            )
        )


def blocked_or_done(step: Step, patience: float = 1.5) -> None:
    """Wait until ``step`` waits for the other transaction's lock, or has done its work without waiting."""
    deadline = time.monotonic() + (10 if USING_POSTGRES else patience)
    while time.monotonic() < deadline and not step.ready.is_set():
        if waiting_for_a_lock():
            return
        time.sleep(0.02)


def edit_dropping(meeting_id: int, org_id: int) -> Callable[[], object]:
    def work() -> object:
        meeting = db.session.get_one(Meeting, meeting_id)
        kept = [org for org in meeting.participant_orgs if org.id != org_id]
        return services.update_meeting(meeting, participants=kept)

    return work


def check_in(meeting_id: int, member_id: int) -> Callable[[], object]:
    def work() -> object:
        member = db.session.get_one(Member, member_id)
        return checkin.check_in(checkin.load_scan(meeting_id, member), CheckinMethod.MEETING_CODE)

    return work


def assert_consistent(meeting: Meeting, guest: Member, org_id: int) -> None:
    db.session.expire_all()
    attended = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Attendance)
        .where(Attendance.meeting_id == meeting.id, Attendance.member_id == guest.id)
    )
    still_invited = org_id in services.participant_org_ids(db.session.get_one(Meeting, meeting.id))
    assert (attended, still_invited) in {(1, True), (0, False)}, (attended, still_invited)


def run_in_order(app, first: Step, second: Step) -> None:
    first.start()
    assert first.ready.wait(20)
    second.start()
    blocked_or_done(second)
    first.release.set()
    second.release.set()
    first.join(20)
    second.join(20)
    assert not first.is_alive() and not second.is_alive()
    for step in (first, second):
        assert not isinstance(step.outcome, BaseException) or isinstance(step.outcome, AppError), step.outcome


def test_a_check_in_during_the_edit_that_removes_its_branch_is_refused(app, joint, guest, tree):
    edit = Step(app, edit_dropping(joint.id, tree["a2"].id))
    scan = Step(app, check_in(joint.id, guest.id))

    run_in_order(app, edit, scan)

    assert isinstance(edit.outcome, Meeting)
    assert isinstance(scan.outcome, AppError) and scan.outcome.code == "not_participant"
    assert_consistent(joint, guest, tree["a2"].id)


def test_an_edit_during_a_check_in_sees_the_new_arrival(app, joint, guest, tree):
    scan = Step(app, check_in(joint.id, guest.id))
    edit = Step(app, edit_dropping(joint.id, tree["a2"].id))

    run_in_order(app, scan, edit)

    assert isinstance(scan.outcome, checkin.CheckinResult) and not scan.outcome.already
    assert isinstance(edit.outcome, AppError) and edit.outcome.code == "participant_has_attendance"
    assert_consistent(joint, guest, tree["a2"].id)


def test_two_scans_of_one_member_at_once_record_one_arrival(app, joint, guest):
    first = Step(app, check_in(joint.id, guest.id))
    second = Step(app, check_in(joint.id, guest.id))

    run_in_order(app, first, second)  # on PostgreSQL the second INSERT waits for the first's row

    assert isinstance(first.outcome, checkin.CheckinResult) and not first.outcome.already
    assert isinstance(second.outcome, checkin.CheckinResult) and second.outcome.already
    assert second.outcome.checked_in_at == first.outcome.checked_in_at
    assert second.outcome.message.startswith("已于 ")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 1


@pytest.mark.skipif(not USING_POSTGRES, reason="row locks are a PostgreSQL matter; SQLite has a single writer")
def test_check_ins_of_different_members_do_not_wait_for_each_other(app, joint, guest, tree, make_member):
    other = make_member(tree["a1"], "甲一的党员")
    first = Step(app, check_in(joint.id, guest.id))
    second = Step(app, check_in(joint.id, other.id))
    first.start()
    assert first.ready.wait(20)
    second.start()

    blocked_or_done(second)

    assert second.ready.is_set() and not waiting_for_a_lock()  # decided while the first is still open
    first.release.set()
    second.release.set()
    first.join(20)
    second.join(20)
    assert not first.outcome.already and not second.outcome.already


def test_finalising_the_minutes_waits_for_a_check_in_decided_before_closing(app, tree, make_meeting, make_member):
    """A scan decided in the last second of check-in commits after the secretary pressed 定稿: the minutes'
    hash must include that arrival, or the chain would later report the record as tampered with."""
    meeting = make_meeting(tree["a1"], starts_in=-timedelta(hours=1))
    closes = utcnow() + timedelta(seconds=1)
    db.session.execute(sa.update(Meeting).where(Meeting.id == meeting.id).values(checkin_closes_at=closes))
    minutes = minutes_service.get_or_create_minutes(meeting)
    minutes_service.save_draft(minutes, "学习党章", "全体党员学习党章第一章", "")
    db.session.commit()
    late = make_member(tree["a1"], "最后一刻到场的党员")
    scan = Step(app, check_in(meeting.id, late.id))
    scan.start()
    assert scan.ready.wait(20)
    time.sleep(max((closes - utcnow()).total_seconds(), 0) + 0.1)  # check-in has now closed
    finalise = Step(app, lambda: minutes_service.finalise(db.session.get_one(Minutes, minutes.id)))
    finalise.start()
    blocked_or_done(finalise)
    scan.release.set()
    finalise.release.set()
    scan.join(20)
    finalise.join(20)

    assert isinstance(scan.outcome, checkin.CheckinResult), scan.outcome
    assert isinstance(finalise.outcome, Minutes), finalise.outcome
    db.session.expire_all()
    assert minutes_service.verify_chain(db.session.get_one(Organisation, tree["a1"].id)).problems == []


def decide(leave_id: int, approve: bool) -> Callable[[], object]:
    def work() -> object:
        return leave_service.decide_leave(leave_service.get_leave(leave_id), approve, None)

    return work


@pytest.mark.parametrize("second_approves", [True, False], ids=["approve-twice", "approve-and-refuse"])
def test_two_secretaries_deciding_one_leave_at_once_decide_it_once(app, joint, guest, second_approves):
    leave = leave_service.request_leave(joint, guest, "出差")
    db.session.commit()
    first = Step(app, decide(leave.id, True))
    second = Step(app, decide(leave.id, second_approves))

    run_in_order(app, first, second)

    assert isinstance(first.outcome, LeaveRequest)
    assert isinstance(second.outcome, AppError) and second.outcome.code == "leave_decided", second.outcome
    db.session.expire_all()
    assert db.session.get_one(LeaveRequest, leave.id).status is LeaveStatus.APPROVED
    statuses = db.session.scalars(sa.select(Attendance.status).where(Attendance.member_id == guest.id)).all()
    assert statuses == [AttendanceStatus.LEAVE]


def test_a_check_in_and_a_leave_approval_at_once_leave_one_attendance(app, joint, guest):
    leave = leave_service.request_leave(joint, guest, "身体不适")
    db.session.commit()
    db.session.execute(sa.update(Meeting).where(Meeting.id == joint.id).values(starts_at=utcnow()))
    db.session.commit()
    scan = Step(app, check_in(joint.id, guest.id))
    approval = Step(app, decide(leave.id, True))

    run_in_order(app, scan, approval)

    assert isinstance(scan.outcome, checkin.CheckinResult), scan.outcome
    assert not isinstance(approval.outcome, BaseException) or isinstance(approval.outcome, AppError), approval.outcome
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)) == 1
