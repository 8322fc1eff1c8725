"""Background jobs: queued only after the transaction commits, given ids, run by the real queue
(SQLite, or Redis when REDIS_URL is set)."""

from __future__ import annotations

import sqlalchemy as sa

from server.db import db
from server.orgs.models import Organisation
from server.tasks import enqueue_after_commit, huey, job, run_pending_jobs
from tests.conftest import USING_REDIS

seen: list[str] = []


@job()
def remember_org_name(org_id: int) -> None:
    seen.append(db.session.get(Organisation, org_id).name)


def test_queue_backend_matches_configuration(app):
    assert type(huey.storage).__name__ == ("RedisStorage" if USING_REDIS else "SqliteStorage")


def test_job_is_queued_only_when_the_transaction_commits(app, tree):
    seen.clear()
    enqueue_after_commit(remember_org_name, tree["a1"].id)
    assert huey.pending_count() == 0
    db.session.commit()
    assert huey.pending_count() == 1
    assert run_pending_jobs() == 1
    assert seen == ["甲一支部"]


def test_job_is_dropped_when_the_transaction_rolls_back(app, tree):
    seen.clear()
    tree["a1"].name = "改了又撤销"
    enqueue_after_commit(remember_org_name, tree["a1"].id)
    db.session.rollback()
    db.session.commit()
    assert huey.pending_count() == 0
    assert run_pending_jobs() == 0 and seen == []


def test_job_sees_committed_data_in_its_own_session(app, tree):
    seen.clear()
    tree["a1"].name = "新名字"
    enqueue_after_commit(remember_org_name, tree["a1"].id)
    db.session.commit()
    run_pending_jobs()
    assert seen == ["新名字"]
    assert db.session.scalar(sa.select(Organisation.name).where(Organisation.id == tree["a1"].id)) == "新名字"
