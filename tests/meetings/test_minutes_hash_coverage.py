"""What the minutes hashes must cover, pinned so that a weakened hash cannot go unnoticed.

Each case changes one thing a finalised record is made of, straight in the database, the way someone
with the database password would, and keeps everything else (the audit trail included) consistent with
the change where they could. Verification must name the changed record. A hash that leaves out that
field, or that leaves out the previous hash, or amendments that are not chained, fail here.
No anchors are exported in this file: these are the chain's own guarantees, and the text the hashes are
computed over is pinned at the end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from server.auth.models import Role
from server.db import db
from server.meetings import minutes as service
from server.meetings.models import (
    Attendance,
    AttendanceStatus,
    Meeting,
    MeetingKind,
    Minutes,
    MinutesAmendment,
    MinutesPhoto,
)
from tests.meetings.test_minutes import JPEG, attend, build_meeting, finalised_minutes


@pytest.fixture
def chain(tree, make_member, make_admin):
    """甲一's chain: minutes with a photo and two attendances, then an amendment."""
    branch = tree["a1"]
    meeting = build_meeting(branch, title="十一月主题党日")
    present = attend(meeting, make_member(branch, "张三"))
    attend(meeting, make_member(branch, "李四"), status=AttendanceStatus.LEAVE)
    record = service.get_or_create_minutes(meeting)
    service.save_draft(record, "学习党章", "全体党员学习党章第一章", "每月一次")
    photo = service.add_photo(record, "现场.jpg", JPEG)
    service.finalise(record)
    secretary = make_admin("shuji", Role.SECRETARY, branch)
    amendment = service.amend(record, "笔误", "第一章应为总纲", secretary.id)
    db.session.commit()
    assert service.verify_chain(branch).ok
    return SimpleNamespace(
        tree=tree,
        branch=branch,
        meeting=meeting,
        record=record,
        photo=photo,
        present=present,
        amendment=amendment,
        make_member=make_member,
        make_admin=make_admin,
    )


def named(finding: str, org=None) -> set[tuple[str, int]]:
    """(kind, id) of the chain elements verification reports with ``finding`` in the message."""
    db.session.expire_all()
    reports = [service.verify_chain(org)] if org is not None else service.verify_all().reports.values()
    return {(p["kind"], p["id"]) for report in reports for p in report.problems if finding in p["message"]}


def execute(statement, **params) -> None:
    db.session.execute(sa.text(statement) if isinstance(statement, str) else statement, params)


def forget(entity_type: str, entity_id: int) -> None:
    execute("DELETE FROM audit_log WHERE entity_type = :t AND entity_id = :id", t=entity_type, id=entity_id)


# --- one case per field of a chain element; each returns the (kind, id) verification must name --------


def minutes_id(c):
    newest = finalised_minutes(build_meeting(c.branch, title="十二月主题党日"))
    execute("UPDATE minutes SET id = 999 WHERE id = :id", id=newest.id)
    forget("minutes", newest.id)
    return "minutes", 999


def minutes_org(c):
    # The sole record of a chain moved to an empty chain: both still look intact, link by link.
    sole = finalised_minutes(build_meeting(c.tree["a2"], title="甲二主题党日"))
    execute("UPDATE minutes SET org_id = :org WHERE id = :id", org=c.tree["b1"].id, id=sole.id)
    return "minutes", sole.id


def meeting_id(c):
    # The record moved to a twin meeting: same kind, title, time and organiser, nobody checked in.
    first = build_meeting(c.tree["a2"], title="双胞胎会议")
    twin = Meeting(**{k: getattr(first, k) for k in ("kind", "title", "organiser_org_id", "code_secret")})
    for key in ("starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at"):
        setattr(twin, key, getattr(first, key))
    db.session.add(twin)
    db.session.commit()
    record = finalised_minutes(first)
    execute("UPDATE minutes SET meeting_id = :twin WHERE id = :id", twin=twin.id, id=record.id)
    return "minutes", record.id


def meeting_kind(c):
    execute(sa.update(Meeting).where(Meeting.id == c.meeting.id).values(kind=MeetingKind.PARTY_LECTURE))
    return "minutes", c.record.id


def meeting_title(c):
    execute("UPDATE meetings SET title = '另一个主题' WHERE id = :id", id=c.meeting.id)
    return "minutes", c.record.id


def meeting_start(c):
    earlier = c.meeting.starts_at - timedelta(days=30)
    execute(sa.update(Meeting).where(Meeting.id == c.meeting.id).values(starts_at=earlier))
    return "minutes", c.record.id


def meeting_organiser(c):
    execute("UPDATE meetings SET organiser_org_id = :org WHERE id = :id", org=c.tree["general_a"].id, id=c.meeting.id)
    return "minutes", c.record.id


def rewritten(kind: str, field: str) -> Callable:
    """A case that rewrites one text column of the record or of its amendment."""
    table = "minutes" if kind == "minutes" else "minutes_amendments"

    def case(c):
        element_id = c.record.id if kind == "minutes" else c.amendment.id
        execute(f"UPDATE {table} SET {field} = '事后改写' WHERE id = :id", id=element_id)
        return kind, element_id

    case.__name__ = f"{kind}_{field}"
    return case


def finalised_at(c):
    # Still before the amendment, so the chain's order and links stay as they were.
    moved = c.record.finalised_at - timedelta(minutes=1)
    execute(sa.update(Minutes).where(Minutes.id == c.record.id).values(finalised_at=moved))
    return "minutes", c.record.id


def photo_removed(c):
    execute("DELETE FROM minutes_photos WHERE id = :id", id=c.photo.id)
    return "minutes", c.record.id


def photo_replaced(c):
    # New bytes and their matching digest: the photo check itself finds nothing wrong.
    other = JPEG + b"another picture"
    execute(
        sa.update(MinutesPhoto)
        .where(MinutesPhoto.id == c.photo.id)
        .values(data=other, sha256=hashlib.sha256(other).hexdigest())
    )
    return "minutes", c.record.id


def attendance_member(c):
    stranger = c.make_member(c.branch, "王五")
    execute("UPDATE attendances SET member_id = :m WHERE id = :id", m=stranger.id, id=c.present.id)
    return "minutes", c.record.id


def attendance_status(c):
    execute("UPDATE attendances SET status = 'late' WHERE id = :id", id=c.present.id)
    return "minutes", c.record.id


def attendance_time(c):
    later = c.present.checked_in_at + timedelta(minutes=20)
    execute(sa.update(Attendance).where(Attendance.id == c.present.id).values(checked_in_at=later))
    return "minutes", c.record.id


def amendment_author(c):
    other = c.make_admin("fushuji", Role.SECRETARY, c.branch)
    execute("UPDATE minutes_amendments SET created_by_id = :a WHERE id = :id", a=other.id, id=c.amendment.id)
    return "amendment", c.amendment.id


def amendment_time(c):
    moved = c.amendment.created_at + timedelta(minutes=1)
    execute(sa.update(MinutesAmendment).where(MinutesAmendment.id == c.amendment.id).values(created_at=moved))
    return "amendment", c.amendment.id


def amendment_target(c):
    # The correction re-attached to other minutes of the same branch, finalised before it.
    other = finalised_minutes(build_meeting(c.branch, starts_in=-timedelta(hours=4), title="十月主题党日"))
    execute("UPDATE minutes_amendments SET minutes_id = :m WHERE id = :id", m=other.id, id=c.amendment.id)
    return "amendment", c.amendment.id


CASES: list[Callable] = [
    minutes_id,
    minutes_org,
    meeting_id,
    meeting_kind,
    meeting_title,
    meeting_start,
    meeting_organiser,
    rewritten("minutes", "topic"),
    rewritten("minutes", "content"),
    rewritten("minutes", "decisions"),
    finalised_at,
    photo_removed,
    photo_replaced,
    attendance_member,
    attendance_status,
    attendance_time,
    rewritten("amendment", "reason"),
    rewritten("amendment", "content"),
    amendment_author,
    amendment_time,
    amendment_target,
]


@pytest.mark.parametrize("tamper", CASES, ids=lambda case: case.__name__)
def test_a_change_to_any_part_of_a_record_is_named(chain, tamper):
    kind, element_id = tamper(chain)
    db.session.commit()
    assert (kind, element_id) in named("不一致")


# --- the links ---------------------------------------------------------------------------------------


def relink_after_deleting(deleted_kind: str, deleted_id: int, next_row, new_prev: str) -> None:
    """Delete one element from the middle of the chain with its audit entries and point the next
    element at the one before: every stored link then agrees again."""
    table = "minutes" if deleted_kind == "minutes" else "minutes_amendments"
    execute(f"DELETE FROM {table} WHERE id = :id", id=deleted_id)
    forget("minutes" if deleted_kind == "minutes" else "minutes_amendment", deleted_id)
    next_row.prev_hash = new_prev
    db.session.flush()  # through the ORM: its own audit entry is deleted below as well
    execute("DELETE FROM audit_log WHERE action = 'minutes.update' AND entity_id = :id", id=next_row.id)
    db.session.commit()


def test_minutes_relinked_over_a_deleted_one_are_named(tree):
    branch = tree["a1"]
    first, middle, last = (
        finalised_minutes(build_meeting(branch, starts_in=-timedelta(hours=h), title=f"会议{h}")) for h in (9, 6, 3)
    )
    relink_after_deleting("minutes", middle.id, last, first.content_hash)
    assert named("不一致", branch) == {("minutes", last.id)}


def test_an_amendment_relinked_over_a_deleted_one_is_named(chain):
    middle = chain.amendment
    last = service.amend(chain.record, "补充", "会后补充决议一项", None)
    db.session.commit()
    relink_after_deleting("amendment", middle.id, last, chain.record.content_hash)
    assert named("不一致", chain.branch) == {("amendment", last.id)}


def test_amendments_join_the_organisations_chain_not_only_their_own_minutes(chain):
    # Amendment, then new minutes, then an amendment of the old minutes: each links to the one before.
    later = finalised_minutes(build_meeting(chain.branch, starts_in=-timedelta(hours=2, minutes=30), title="十二月"))
    again = service.amend(chain.record, "补充", "会后补充决议一项", None)
    db.session.commit()
    assert later.prev_hash == chain.amendment.content_hash
    assert again.prev_hash == later.content_hash
    execute("DELETE FROM minutes_amendments WHERE id = :id", id=chain.amendment.id)
    forget("minutes_amendment", chain.amendment.id)
    db.session.commit()
    assert named("链接断裂", chain.branch) == {("minutes", later.id)}


# --- the serialisation itself ------------------------------------------------------------------------


def test_the_hashed_text_of_minutes_and_amendments_is_pinned():
    """Every deployed chain was hashed over exactly this text: a change to it (a field more or less, another
    order or spelling) makes every finalised record read as tampered, so it must fail here first."""
    at = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
    record = SimpleNamespace(
        id=7, org_id=4, topic="学习党章", content="内容", decisions="无", finalised_at=at + timedelta(hours=3)
    )
    meeting = SimpleNamespace(
        id=3, kind=MeetingKind.THEME_DAY, title="十一月主题党日", starts_at=at, organiser_org_id=4, backfill_reason=None
    )
    present = SimpleNamespace(member_id=5, status=AttendanceStatus.PRESENT, checked_in_at=at)
    payload = service._minutes_payload(record, meeting, [present], ["ab" * 32])
    text = (
        '{"attendance":[[5,"present","2026-11-01T01:00:00+00:00"]],"content":"内容","decisions":"无",'
        '"finalised_at":"2026-11-01T04:00:00+00:00","kind":"theme_day","meeting_id":3,"minutes_id":7,'
        '"org_id":4,"organiser":4,"photos":["' + "ab" * 32 + '"],"starts_at":"2026-11-01T01:00:00+00:00",'
        '"title":"十一月主题党日","topic":"学习党章","type":"minutes"}'
    )
    prev = "1" * 64
    assert service._digest(payload, prev) == hashlib.sha256((text + prev).encode()).hexdigest()

    amendment = SimpleNamespace(minutes_id=7, reason="笔误", content="更正", created_by_id=2, created_at=at)
    text = (
        '{"content":"更正","created_at":"2026-11-01T01:00:00+00:00","created_by_id":2,"minutes_id":7,'
        '"reason":"笔误","type":"amendment"}'
    )
    expected = hashlib.sha256((text + prev).encode()).hexdigest()
    assert service._digest(service._amendment_payload(amendment), prev) == expected


def test_a_backfilled_record_hashes_its_reason_under_its_pinned_name():
    at = datetime(2026, 11, 1, 1, 0, tzinfo=UTC)
    record = SimpleNamespace(id=7, org_id=4, topic="学习党章", content="内容", decisions="", finalised_at=at)
    meeting = SimpleNamespace(
        id=3, kind=MeetingKind.THEME_DAY, title="补录", starts_at=at, organiser_org_id=4, backfill_reason="系统上线前"
    )
    text = (
        '{"attendance":[],"backfill_reason":"系统上线前","content":"内容","decisions":"",'
        '"finalised_at":"2026-11-01T01:00:00+00:00","kind":"theme_day","meeting_id":3,"minutes_id":7,'
        '"org_id":4,"organiser":4,"photos":[],"starts_at":"2026-11-01T01:00:00+00:00",'
        '"title":"补录","topic":"学习党章","type":"minutes"}'
    )
    payload = service._minutes_payload(record, meeting, [], [])
    assert service._digest(payload, "2" * 64) == hashlib.sha256((text + "2" * 64).encode()).hexdigest()


def test_the_hash_does_not_depend_on_the_servers_time_zone(monkeypatch):
    """Machines set to Beijing time and to UTC must hash one record alike, or the chain breaks on a move."""
    import time

    beijing = datetime(2026, 11, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert service._iso(beijing) == "2026-11-01T01:00:00+00:00"
    finally:
        monkeypatch.undo()
        time.tzset()
