"""A job worker killed half-way (kill -9: no cleanup at all) loses no work and does no work twice.

The queue hands a job over once: a worker that dies with it in hand takes it along. What is left is the
database, and the sweep reads it: an import whose worker stopped renewing its lease, a meeting with
members not yet reminded, go back to the queue. Each is written so that running it again changes nothing
twice: the import writes its members and its "done" in one transaction that only the lease holder may
commit; each reminder is claimed in the database before it is sent, and a claimed one is never sent again.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from server.audit.models import AuditLog
from server.db import db, utcnow
from server.meetings.tasks import queue_meeting_reminders, queue_reminders
from server.members import imports
from server.members.tasks import requeue_stalled_imports
from server.tasks import run_pending_jobs
from server.wechat.emulator.testing import RunningEmulator
from tests.conftest import USING_POSTGRES
from tests.faults.conftest import (
    SEND,
    committed,
    import_row,
    member_names,
    messages_per_member,
    register_workbook,
    upload_register,
)
from tests.faults.processes import wait_until

ROWS = 3000  # a register large enough that the worker is still checking rows when it is killed


def lease_expired(app: Flask):
    return utcnow() + timedelta(minutes=app.config["JOB_LEASE_MINUTES"], seconds=1)


def created_audit_rows() -> int:
    return committed(sa.select(sa.func.count()).where(AuditLog.action == "member.create")).scalar_one()


def test_an_import_whose_worker_is_killed_is_finished_once_by_the_next(secretary, start_worker, app: Flask) -> None:
    import_id = upload_register(secretary, register_workbook(ROWS))
    worker = start_worker()
    checking = lambda: import_row(import_id).processed_rows >= 500  # noqa: E731  (progress is saved every 500 rows)
    wait_until(checking, 300, lambda: f"the worker to check rows\n{worker.output()}")
    worker.kill()

    stuck = import_row(import_id)
    assert stuck.status == "validating" and stuck.processed_rows < ROWS and member_names() == []
    assert requeue_stalled_imports(now=utcnow()) == []  # its lease runs on: the worker might still be alive
    assert requeue_stalled_imports(now=lease_expired(app)) == [import_id]
    run_pending_jobs()  # the next worker

    done = import_row(import_id)
    assert (done.status, done.created_count) == ("done", ROWS)
    names = member_names()
    assert len(names) == len(set(names)) == ROWS
    assert created_audit_rows() == ROWS
    assert requeue_stalled_imports(now=lease_expired(app) + timedelta(hours=1)) == []


def test_a_worker_presumed_dead_cannot_finish_an_import_another_has_taken_over(secretary, app: Flask) -> None:
    """A worker that stalled past its lease (a long pause, a frozen machine) and then wakes up writes nothing."""
    import_id = upload_register(secretary, register_workbook(20))
    stalled = imports.claim(import_id)
    rows = imports.validate_rows(stalled)
    assert requeue_stalled_imports(now=lease_expired(app)) == [import_id]
    run_pending_jobs()  # another worker imports it meanwhile
    with pytest.raises(imports.LeaseLost):
        imports.insert_members(stalled, rows)
    with pytest.raises(imports.LeaseLost):
        imports.fail(stalled, "导入时发生意外错误")
    done = import_row(import_id)
    assert (done.status, done.created_count, done.attempt) == ("done", 20, 2)
    assert len(member_names()) == created_audit_rows() == 20


def _waiting_for_a_lock() -> bool:
    """Some other session of this database is blocked on a lock: the worker, at its audit rows."""
    statement = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
    )
    return committed(statement).scalar_one() > 0


@pytest.mark.skipif(not USING_POSTGRES, reason="SQLite lets one process write at a time: no write can be half done")
def test_an_import_killed_with_its_members_written_but_not_committed_leaves_none(
    secretary, start_worker, app: Flask
) -> None:
    import_id = upload_register(secretary, register_workbook(600))
    with db.engine.connect() as blocker:
        # The worker writes the members, then blocks at their audit rows, its transaction open.
        blocker.execute(sa.text("LOCK TABLE audit_log IN EXCLUSIVE MODE"))
        worker = start_worker()
        wait_until(_waiting_for_a_lock, 300, lambda: f"the worker to write members\n{worker.output()}")
        assert import_row(import_id).status == "importing"
        worker.kill()
        blocker.rollback()

    assert member_names() == []  # PostgreSQL rolled back what the dead worker had not committed
    assert requeue_stalled_imports(now=lease_expired(app)) == [import_id]
    run_pending_jobs()
    assert import_row(import_id).created_count == 600
    assert len(member_names()) == created_audit_rows() == 600


def test_a_reminder_job_whose_worker_is_killed_reminds_nobody_twice(
    bound_members, meeting_tomorrow, emulator: RunningEmulator, start_worker, app: Flask
) -> None:
    openids = bound_members(3)
    # WeChat takes 3 seconds over the second member's reminder, and delivers it even if the sender is gone.
    emulator.delay_next(SEND, 3.0, after=1)
    earlier = emulator.calls(SEND)  # the emulator serves the whole test run
    queue_meeting_reminders.call_local()
    worker = start_worker()
    wait_until(
        lambda: emulator.calls(SEND) == earlier + 2, 300, lambda: f"the second reminder to be sent\n{worker.output()}"
    )
    worker.kill()
    wait_until(
        lambda: messages_per_member(emulator, openids) == [1, 1, 0],
        30,
        lambda: (
            f"WeChat to deliver it: messages per member {messages_per_member(emulator, openids)}, "
            f"{emulator.calls(SEND) - earlier} calls\n{worker.output()}"
        ),
    )

    assert queue_reminders(now=utcnow()) == []  # the job may still be running elsewhere: not yet
    assert queue_reminders(now=lease_expired(app)) == [meeting_tomorrow.id]
    run_pending_jobs()  # the next worker
    assert messages_per_member(emulator, openids) == [1, 1, 1]
    assert queue_reminders(now=lease_expired(app) + timedelta(hours=1)) == []
