"""The push: each WeChat answer handled as the rules say, nobody pushed twice, nobody missed who was not in
flight when a worker died, withdrawal stops it, and the quiet hours hold back what is not urgent.

WeChat is the emulator: it keeps each member's real quota, records every message it delivers and answers
with the errors a test scripts for it. The jobs run as the worker runs them (``run_pending_jobs``)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from server import wechat
from server.db import db, utcnow
from server.inbox import push
from server.inbox.models import InboxKind, Push, PushStatus
from server.inbox.tasks import sweep_pushes
from server.newspaper import delivery, workflow
from server.subscriptions.models import Subscription
from server.tasks import huey, run_pending_jobs
from server.timezone import display_zone
from tests.newspaper.conftest import (
    SEND,
    TEMPLATE,
    approved,
    as_admin,
    messages_per_reader,
    published,
    run_scheduled_jobs,
)


def statuses(ref_id: int | None = None) -> dict[int, PushStatus]:
    """Each member's push status (of the issue ``ref_id``, when the test has several)."""
    db.session.expire_all()
    query = sa.select(Push.member_id, Push.status)
    if ref_id is not None:
        query = query.where(Push.ref_id == ref_id)
    return dict(db.session.execute(query).all())


def remaining(reader) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(Subscription.remaining).where(Subscription.member_id == reader.member.id))


@pytest.fixture
def small_batches(app, monkeypatch):
    """Batches of three, one call at a time, one chain of jobs: the order of the calls is the members' order."""
    monkeypatch.setitem(app.config, "PUSH_BATCH_SIZE", 3)
    monkeypatch.setitem(app.config, "PUSH_THREADS", 1)
    monkeypatch.setitem(app.config, "PUSH_JOBS", 1)


def test_every_member_with_consent_gets_one_message_and_our_count_goes_down(tree, staff, make_reader, emulator):
    readers = [make_reader(tree["a1"], consent=2) for _ in range(7)]
    issue = published(staff.secretary, staff.general, tree["a1"])
    assert messages_per_reader(emulator, readers) == [1] * 7
    assert set(statuses().values()) == {PushStatus.SENT}
    assert [remaining(r) for r in readers] == [1] * 7
    assert [emulator.state.quota(r.openid, "tmpl_news") for r in readers] == [1] * 7
    delivery.deliver(issue.id)  # delivered again: nothing new, nobody pushed twice
    run_pending_jobs()
    assert messages_per_reader(emulator, readers) == [1] * 7


def test_43101_marks_no_quota_and_our_count_becomes_zero(tree, staff, make_reader, emulator):
    believed = make_reader(tree["a1"], consent=1)
    emulator.state._quota[(believed.openid, "tmpl_news")] = 0  # the consent was used up where we did not hear of it
    issue = published(staff.secretary, staff.general, tree["a1"])
    push_row = db.session.scalar(sa.select(Push).where(Push.ref_id == issue.id))
    assert (push_row.status, push_row.errcode) == (PushStatus.NO_QUOTA, 43101)
    subscription = db.session.scalar(sa.select(Subscription).where(Subscription.member_id == believed.member.id))
    assert subscription.remaining == 0 and subscription.refused_at is not None
    assert messages_per_reader(emulator, [believed]) == [0]


@pytest.mark.parametrize("errcode", [45009, -1])
def test_busy_or_rate_limited_gives_the_batch_back_and_retries_later(
    errcode, tree, staff, make_reader, emulator, small_batches
):
    readers = [make_reader(tree["a1"]) for _ in range(5)]
    emulator.fail_next(SEND, errcode, "busy", after=1)  # the second call of the push is refused
    published(staff.secretary, staff.general, tree["a1"])
    assert messages_per_reader(emulator, readers) == [1, 0, 0, 0, 0]
    waiting = db.session.execute(sa.select(Push.status, Push.errcode, Push.attempts).order_by(Push.id)).all()
    assert waiting[1] == (PushStatus.PENDING, errcode, 1)  # WeChat refused it: back, to be tried again
    assert waiting[2] == (PushStatus.PENDING, None, 0)  # not tried at all after the refusal
    assert huey.scheduled_count() == 1  # the job's retry, after a delay
    run_scheduled_jobs()
    assert messages_per_reader(emulator, readers) == [1] * 5
    assert set(statuses().values()) == {PushStatus.SENT}


def test_a_push_wechat_keeps_refusing_as_busy_is_given_up(tree, staff, make_reader, emulator, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_MAX_ATTEMPTS", 2)
    reader = make_reader(tree["a1"])
    emulator.fail_next(SEND, -1, "system error", times=2)
    published(staff.secretary, staff.general, tree["a1"])
    run_scheduled_jobs()
    row = db.session.scalar(sa.select(Push))
    assert (row.status, row.errcode, row.attempts) == (PushStatus.FAILED, -1, 2)
    assert messages_per_reader(emulator, [reader]) == [0]


def test_an_expired_access_token_is_refreshed_once_and_the_push_goes_on(tree, staff, make_reader, emulator):
    readers = [make_reader(tree["a1"], consent=2) for _ in range(3)]
    published(staff.secretary, staff.general, tree["a1"], title="第一期")  # the app now holds a token
    issued = emulator.state.tokens_issued
    later = emulator.state.token_ttl + 60
    emulator.advance(later)  # WeChat's clock: the token has expired (42001)
    try:
        readers += [make_reader(tree["a1"]) for _ in range(3)]
        published(staff.secretary, staff.general, tree["a1"], title="第二期")
    finally:
        emulator.advance(-later)  # the emulator serves the rest of the run: its clock back (payments' expiry)
    assert emulator.state.tokens_issued == issued + 1  # one fresh token for the four threads refused at once
    assert messages_per_reader(emulator, readers) == [2, 2, 2, 1, 1, 1]
    assert set(statuses().values()) == {PushStatus.SENT}


def test_an_uncertain_answer_is_never_sent_again(tree, staff, make_reader, emulator, small_batches):
    readers = [make_reader(tree["a1"], consent=2) for _ in range(3)]
    emulator.fail_next_http(SEND, 502, after=1)  # a gateway fails after WeChat may have taken the message
    issue = published(staff.secretary, staff.general, tree["a1"])
    assert [statuses()[r.member.id] for r in readers] == [PushStatus.SENT, PushStatus.UNCERTAIN, PushStatus.SENT]
    # WeChat may or may not have used the consent; our count must not fall below WeChat's (the next test)
    assert [remaining(r) for r in readers] == [1, 2, 1]
    sweep_pushes(utcnow() + timedelta(hours=1))
    delivery.deliver(issue.id)
    run_scheduled_jobs()
    assert statuses()[readers[1].member.id] is PushStatus.UNCERTAIN
    assert emulator.calls(SEND) >= 3 and messages_per_reader(emulator, [readers[0], readers[2]]) == [1, 1]


def test_a_refused_message_is_failed_with_the_errcode(tree, staff, make_reader, emulator):
    reader = make_reader(tree["a1"])
    emulator.fail_next(SEND, 40003, "invalid openid")
    published(staff.secretary, staff.general, tree["a1"])
    row = db.session.scalar(sa.select(Push))
    assert (row.member_id, row.status, row.errcode) == (reader.member.id, PushStatus.FAILED, 40003)


def _delivered_by_a_call_cut_off(emulator, reader) -> None:
    """WeChat took the dead worker's call before the worker died: the message is on the phone, the consent spent."""
    data = {"thing1": {"value": "第一期"}, "time2": {"value": "2026-12-02 10:00"}}
    emulator.state.send_message(reader.openid, TEMPLATE, data, page="pages/news-issue/index")


def test_a_push_whose_worker_died_half_way_resumes_without_sending_anyone_twice(
    tree, staff, make_reader, emulator, small_batches, app
):
    # readers[3:6] will be in the dead worker's hands: two with one consent, one with two
    readers = [make_reader(tree["a1"], consent=2 if n == 5 else 1) for n in range(10)]
    issue = approved(staff.secretary, staff.general, tree["a1"])
    with as_admin(staff.general):
        workflow.publish(staff.general, issue)
        db.session.commit()
    run_pending_jobs(limit=2)  # the delivery, then the first batch of three
    assert messages_per_reader(emulator, readers) == [1, 1, 1] + [0] * 7

    # The next worker claims the next batch (committed) and dies before WeChat answers: its job dies with it.
    in_flight = push.claim(InboxKind.NEWSPAPER, issue.id, 0, 3, utcnow())
    db.session.commit()
    huey.flush()
    assert sorted(p.member_id for p in in_flight) == [r.member.id for r in readers[3:6]]
    assert in_flight[0].member_id == readers[5].member.id  # more than one consent: called first
    _delivered_by_a_call_cut_off(emulator, readers[3])  # one call got through; the others did not

    assert sweep_pushes(utcnow()) == 0  # within the lease the worker may still be alive: nothing happens
    later = utcnow() + timedelta(minutes=app.config["JOB_LEASE_MINUTES"], seconds=1)
    assert sweep_pushes(later) == 1  # the push is queued again, with its one-consent members to send again
    run_pending_jobs()
    # Exactly one each to the one-consent members (WeChat refused the second message to readers[3]: 43101);
    # the member with two consents stays in doubt, never sent again.
    assert messages_per_reader(emulator, readers) == [1, 1, 1, 1, 1, 0, 1, 1, 1, 1]
    rows = {row.member_id: row for row in db.session.scalars(sa.select(Push)).all()}
    outcome = [(rows[r.member.id].status, rows[r.member.id].errcode) for r in readers[3:6]]
    assert outcome == [(PushStatus.SENT, 43101), (PushStatus.SENT, None), (PushStatus.UNCERTAIN, None)]
    assert [remaining(r) for r in readers[3:5]] == [0, 0]  # each consent used once, nothing zeroed as refused
    refused = db.session.scalar(
        sa.select(Subscription.refused_at).where(Subscription.member_id == readers[3].member.id)
    )
    assert refused is None
    assert sweep_pushes(later + timedelta(hours=1)) == 0  # nothing left to do, nothing sent again
    run_pending_jobs()
    assert max(messages_per_reader(emulator, readers)) == 1


def test_a_member_who_tapped_again_after_the_claim_is_not_sent_again(tree, staff, make_reader, emulator, app):
    reader = make_reader(tree["a1"], consent=1)
    issue = approved(staff.secretary, staff.general, tree["a1"])
    with as_admin(staff.general):
        workflow.publish(staff.general, issue)
        db.session.commit()
    run_pending_jobs(limit=1)  # delivered; the push job waits
    push.claim(InboxKind.NEWSPAPER, issue.id, 0, 3, utcnow())
    db.session.commit()
    huey.flush()
    _delivered_by_a_call_cut_off(emulator, reader)
    # Then the member taps 订阅 again: WeChat would take one more message, so a second call would arrive too.
    emulator.grant_subscription(reader.user, [TEMPLATE])
    db.session.execute(
        sa.update(Subscription)
        .where(Subscription.member_id == reader.member.id)
        .values(remaining=Subscription.remaining + 1, updated_at=utcnow() + timedelta(seconds=1))
    )
    db.session.commit()
    sweep_pushes(utcnow() + timedelta(minutes=app.config["JOB_LEASE_MINUTES"], seconds=2))
    run_pending_jobs()
    assert statuses()[reader.member.id] is PushStatus.UNCERTAIN
    assert messages_per_reader(emulator, [reader]) == [1]


def test_a_push_in_doubt_never_makes_a_later_one_look_safe_to_send_again(
    tree, staff, make_reader, emulator, small_batches, app, monkeypatch
):
    """Two consents; the first issue's call fails at a gateway before WeChat (nothing delivered, WeChat still
    has two); the second issue's call is delivered but answered too late. Had the first lowered our count to
    one, the second would count as "one consent" and be sent again, and WeChat, with one left, delivers twice."""
    reader = make_reader(tree["a1"], consent=2)
    emulator.fail_next_http(SEND, 502)
    published(staff.secretary, staff.general, tree["a1"])
    assert (messages_per_reader(emulator, [reader]), remaining(reader)) == ([0], 2)
    monkeypatch.setitem(app.config, "WECHAT_READ_TIMEOUT", 0.5)
    monkeypatch.setitem(app.extensions, "wechat", app.extensions["wechat"])  # put back afterwards
    wechat.init_app(app)
    emulator.delay_next(SEND, 1.5)  # WeChat delivers it after we stopped waiting
    second = published(staff.secretary, staff.general, tree["a1"])
    sweep_pushes(utcnow() + timedelta(hours=1))
    delivery.deliver(second.id)
    run_scheduled_jobs()
    deadline = time.monotonic() + 5
    while messages_per_reader(emulator, [reader]) == [0] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert messages_per_reader(emulator, [reader]) == [1]
    assert statuses(second.id)[reader.member.id] is PushStatus.UNCERTAIN


def test_a_gateway_failure_for_a_member_with_one_consent_is_sent_again(
    tree, staff, make_reader, emulator, small_batches
):
    readers = [make_reader(tree["a1"], consent=1) for _ in range(3)]
    emulator.fail_next_http(SEND, 502, after=1)  # in doubt: but one consent lets WeChat deliver only one
    published(staff.secretary, staff.general, tree["a1"])
    assert [statuses()[r.member.id] for r in readers] == [PushStatus.SENT] * 3
    assert messages_per_reader(emulator, readers) == [1, 1, 1]
    assert [remaining(r) for r in readers] == [0, 0, 0]


def test_two_jobs_at_once_take_different_members(tree, staff, make_reader, emulator, small_batches, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_JOBS", 3)
    readers = [make_reader(tree["a1"]) for _ in range(8)]
    published(staff.secretary, staff.general, tree["a1"])
    assert messages_per_reader(emulator, readers) == [1] * 8


def test_withdrawing_hides_the_issue_and_stops_the_push(tree, staff, make_reader, emulator, small_batches):
    readers = [make_reader(tree["a1"]) for _ in range(9)]
    issue = approved(staff.secretary, staff.general, tree["a1"])
    with as_admin(staff.general):
        workflow.publish(staff.general, issue)
        db.session.commit()
    run_pending_jobs(limit=2)  # delivered, and one batch pushed
    with as_admin(staff.general):
        workflow.withdraw(staff.general, issue)
        db.session.commit()
    run_pending_jobs()
    run_scheduled_jobs()
    assert messages_per_reader(emulator, readers) == [1, 1, 1] + [0] * 6
    assert list(statuses().values()).count(PushStatus.CANCELLED) == 6
    assert sweep_pushes(utcnow() + timedelta(hours=1)) == 0


def test_a_job_running_when_the_issue_is_withdrawn_stops_at_its_next_batch(
    tree, staff, make_reader, emulator, small_batches
):
    readers = [make_reader(tree["a1"]) for _ in range(6)]
    issue = published(staff.secretary, staff.general, tree["a1"], run=False)
    delivery.deliver(issue.id)
    db.session.execute(sa.update(type(issue).__table__).values(status="withdrawn"))  # withdrawn under the job's feet
    db.session.commit()
    report = push.run_batch(InboxKind.NEWSPAPER, issue.id, 0)
    db.session.expire_all()
    assert report.counts["cancelled"] == 6 and messages_per_reader(emulator, readers) == [0] * 6


def _beijing(days_ago: int, hour: int, minute: int = 0) -> datetime:
    day = datetime.now(display_zone()).date() - timedelta(days=days_ago)
    return datetime.combine(day, datetime.min.time(), display_zone()).replace(hour=hour, minute=minute)


def test_quiet_hours_hold_back_what_is_not_urgent(tree, staff, make_reader, emulator, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_QUIET_HOURS", "22:00-07:00")
    readers = [make_reader(tree["a1"]) for _ in range(2)]
    issue = published(staff.secretary, staff.general, tree["a1"], run=False)
    huey.flush()
    night = _beijing(-1, 23, 30)  # tomorrow night
    delivery.deliver(issue.id, now=night)
    morning = _beijing(-2, 7)
    assert {row.not_before for row in db.session.scalars(sa.select(Push))} == {morning}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Push)) == 2
    run_pending_jobs()  # the worker takes the push's jobs and keeps them for the morning
    assert huey.pending_count() == 0 and huey.scheduled_count() == app.config["PUSH_JOBS"]
    assert db.session.scalar(sa.text("SELECT count(*) FROM inbox_items")) == 2  # the inbox has it at once
    assert push.run_batch(InboxKind.NEWSPAPER, issue.id, 0, now=night + timedelta(hours=7)).counts == {}
    assert sweep_pushes(night + timedelta(hours=7)) == 0  # nothing lost: it is waiting for the morning
    assert messages_per_reader(emulator, readers) == [0, 0]
    report = push.run_batch(InboxKind.NEWSPAPER, issue.id, 0, now=morning)
    assert report.counts == {"sent": 2} and messages_per_reader(emulator, readers) == [1, 1]


def test_urgent_issues_are_pushed_in_the_quiet_hours(tree, staff, make_reader, emulator, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUSH_QUIET_HOURS", "22:00-07:00")
    reader = make_reader(tree["a1"])
    issue = published(staff.secretary, staff.general, tree["a1"], run=False, urgent=True, title="防汛紧急通知")
    huey.flush()
    delivery.deliver(issue.id, now=_beijing(1, 23, 30))
    assert db.session.scalar(sa.select(Push.not_before)) is None
    run_pending_jobs()
    assert messages_per_reader(emulator, [reader]) == [1]


@pytest.mark.parametrize(
    ("hour", "minute", "until"),
    [(21, 59, None), (22, 0, (1, 7)), (23, 30, (1, 7)), (0, 15, (0, 7)), (6, 59, (0, 7)), (7, 0, None), (12, 0, None)],
)
def test_quiet_hours_end_at_seven_the_next_morning(app, hour, minute, until):
    app.config["PUSH_QUIET_HOURS"] = "22:00-07:00"
    now = _beijing(5, hour, minute)
    expected = None if until is None else _beijing(5 - until[0], until[1])
    assert push.quiet_until(now) == expected


def test_a_push_still_going_out_when_the_quiet_hours_begin_waits_for_the_morning(
    tree, staff, make_reader, emulator, app, monkeypatch, small_batches
):
    readers = [make_reader(tree["a1"]) for _ in range(6)]
    issue = published(staff.secretary, staff.general, tree["a1"], run=False)
    huey.flush()
    evening = _beijing(-1, 21, 58)  # tomorrow, two minutes before the quiet hours
    monkeypatch.setitem(app.config, "PUSH_QUIET_HOURS", "22:00-07:00")
    delivery.deliver(issue.id, now=evening)
    huey.flush()
    assert push.run_batch(InboxKind.NEWSPAPER, issue.id, 0, now=evening).counts == {"sent": 3}
    late = push.run_batch(InboxKind.NEWSPAPER, issue.id, 0, now=evening + timedelta(minutes=3))
    assert late.counts == {"deferred": 3} and late.deferred_until == _beijing(-2, 7)
    assert messages_per_reader(emulator, readers) == [1, 1, 1, 0, 0, 0]
    assert push.run_batch(InboxKind.NEWSPAPER, issue.id, 0, now=_beijing(-2, 7)).counts == {"sent": 3}
