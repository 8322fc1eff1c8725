"""A newspaper push whose worker is killed half-way (kill -9) resumes: nobody is pushed twice, nobody with one
consent is missed, and nobody who was not in flight at the kill is missed.

The worker claims a slice (committed) before it calls WeChat and records the answers when those calls return.
Killed in the middle, it leaves the slice ``sending``; the sweep settles it a lease later by the rule of
server/inbox/push.py: a member who had exactly one consent is sent again (WeChat delivers at most one message
on one consent: 43101 if the first call got through, which then counts as sent), a member with two stays
``uncertain`` (WeChat may have delivered it, and would deliver a second). Each member's consent in the emulator
is what our count says, so a second message to a two-consent member would arrive and be seen."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from server.db import utcnow
from server.inbox.models import Push, PushStatus
from server.inbox.tasks import sweep_pushes
from server.tasks import run_pending_jobs
from server.wechat.emulator.testing import RunningEmulator
from tests.faults.conftest import SEND, committed
from tests.faults.processes import wait_until
from tests.newspaper import conftest as newspaper
from tests.newspaper.conftest import TEMPLATE, messages_per_reader, published

# the newspaper's fixtures, for this test too
news_template, password_hash = newspaper.news_template, newspaper.password_hash
staff, make_reader = newspaper.staff, newspaper.make_reader

BATCH = 4
THREADS = 2


def _deployment_with_the_newspaper(app: Flask, folder: Path) -> str:
    """The test deployment's mp_config with the newspaper's template, for the worker process."""
    config = json.loads(Path(app.config["MP_CONFIG"]).read_text())
    config["subscribe_templates"]["newspaper_issue"] = {
        "template_id": TEMPLATE,
        "page": "pages/news-issue/index",
        "fields": {"thing1": "issue_title", "time2": "published_at"},
    }
    path = folder / "mp_config.json"
    path.write_text(json.dumps(config))
    return str(path)


def test_a_push_whose_worker_is_killed_resumes_without_duplicates_or_losses(
    tree, staff, make_reader, emulator: RunningEmulator, start_worker, app: Flask, tmp_path
) -> None:
    # Two consents, one, two, one, …: each slice of four holds two of each, those with two called first.
    readers = [make_reader(tree["a1"], consent=2 if n % 2 == 0 else 1) for n in range(3 * BATCH)]
    one_consent = {r.member.id for r in readers[1::2]}
    published(staff.secretary, staff.general, tree["a1"], run=False)  # its delivery job waits in the queue
    # The worker shares the token the newspaper fixture fetched (Redis), so no refused call shifts the count.
    earlier = emulator.calls(SEND)
    # WeChat holds the sixth message 3 seconds (and delivers it): the worker is killed inside its second batch,
    # with that batch's slice of four claimed and its calls under way or done.
    emulator.delay_next(SEND, 3.0, after=BATCH + 1)
    worker = start_worker(
        MP_CONFIG=_deployment_with_the_newspaper(app, tmp_path),
        PUSH_BATCH_SIZE=str(BATCH),
        PUSH_CLAIM_SIZE=str(BATCH),
        PUSH_THREADS=str(THREADS),
        PUSH_JOBS="1",
        PUSH_QUIET_HOURS="",
    )
    wait_until(lambda: emulator.calls(SEND) >= earlier + BATCH + 2, 120, lambda: f"the second batch\n{worker.output()}")
    worker.kill()

    statuses = dict(committed(sa.select(Push.member_id, Push.status)).all())
    in_flight = [r for r in readers if statuses[r.member.id] is PushStatus.SENDING]
    assert in_flight == readers[BATCH : 2 * BATCH]  # the slice the worker held, no more
    expected = [PushStatus.SENT] * BATCH + [PushStatus.SENDING] * BATCH + [PushStatus.PENDING] * BATCH
    assert sorted(statuses.values()) == sorted(expected)

    lease = timedelta(minutes=app.config["JOB_LEASE_MINUTES"], seconds=1)
    assert sweep_pushes(utcnow()) == 0  # within the lease the worker might be alive
    assert sweep_pushes(utcnow() + lease) == 1
    run_pending_jobs()  # the next worker

    sent = messages_per_reader(emulator, readers)
    assert max(sent) == 1  # nobody twice
    assert [sent[n] for n, r in enumerate(readers) if r.member.id in one_consent] == [1] * (3 * BATCH // 2)
    not_in_flight = [n for n, r in enumerate(readers) if r not in in_flight]
    assert [sent[n] for n in not_in_flight] == [1] * (2 * BATCH)  # nobody missed who was not in flight
    statuses = dict(committed(sa.select(Push.member_id, Push.status)).all())
    held = {r.member.id: statuses[r.member.id] for r in in_flight}
    assert held == {m: PushStatus.SENT if m in one_consent else PushStatus.UNCERTAIN for m in held}
    assert sweep_pushes(utcnow() + lease + timedelta(hours=1)) == 0
