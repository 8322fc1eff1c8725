"""Minutes that cannot be rewritten: drafts, photos, finalising into a per-organisation hash chain,
amendments appended to that chain, and verification of the chain against what the database holds now.

Every organisation has one chain: its finalised minutes and their amendments, in the order they joined
(``finalised_at`` / ``created_at``). Each element stores ``prev_hash`` (the previous element's hash, or 64
zeros for the first) and ``content_hash = sha256(canonical JSON + prev_hash)``. The canonical JSON of
minutes covers the meeting's identity, time and 补录 mark, the text, the photos and the attendance, so a direct
change to any of them, a deleted element or a back-dated one shows up in :func:`verify_chain`.
Deleting the newest element leaves no broken link; the audit trail still names it, and that is checked too.
Whoever deletes the audit entries as well is caught by the anchors (:mod:`server.meetings.anchors`): the
chain heads signed and exported hourly to a file outside the database, and printed on every record.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

import sqlalchemy as sa

from server.audit.models import AuditLog
from server.db import db, utcnow
from server.errors import AppError
from server.meetings import anchors
from server.meetings.checkin import hold_check_ins
from server.meetings.models import Attendance, Meeting, Minutes, MinutesAmendment, MinutesPhoto
from server.orgs.models import Organisation
from server.orgs.services import subtree_ids
from server.uploads import check_photo

GENESIS = "0" * 64
MAX_PHOTOS = 9
MAX_REASON = 200
MAX_TOPIC = 200
_TICK = timedelta(microseconds=1)


# --- the canonical serialisation: the only place that decides what a hash covers -------------------


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value is not None else None


def _minutes_payload(
    minutes: Minutes, meeting: Meeting, attendance: Iterable[Attendance], photo_hashes: Iterable[str]
) -> dict[str, Any]:
    payload = {
        "type": "minutes",
        "minutes_id": minutes.id,
        "org_id": minutes.org_id,
        "meeting_id": meeting.id,
        "kind": str(meeting.kind.value),
        "title": meeting.title,
        "starts_at": _iso(meeting.starts_at),
        "organiser": meeting.organiser_org_id,
        "topic": minutes.topic,
        "content": minutes.content,
        "decisions": minutes.decisions,
        "finalised_at": _iso(minutes.finalised_at),
        "photos": sorted(photo_hashes),
        "attendance": sorted([a.member_id, str(a.status.value), _iso(a.checked_in_at)] for a in attendance),
    }
    # A 补录 is sealed as one, so it cannot quietly pass for an on-time meeting later. Only then: the
    # records of on-time meetings hash as they always have, and their chains still verify.
    if meeting.backfill_reason is not None:
        payload["backfill_reason"] = meeting.backfill_reason
    return payload


def _amendment_payload(amendment: MinutesAmendment) -> dict[str, Any]:
    return {
        "type": "amendment",
        "minutes_id": amendment.minutes_id,
        "reason": amendment.reason,
        "content": amendment.content,
        "created_by_id": amendment.created_by_id,
        "created_at": _iso(amendment.created_at),
    }


def _digest(payload: dict[str, Any], prev_hash: str) -> str:
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((canonical + prev_hash).encode()).hexdigest()


# --- loading what the hashes cover ----------------------------------------------------------------


def _attendance_by_meeting(meeting_ids: Iterable[int]) -> dict[int, list[Attendance]]:
    rows = db.session.scalars(sa.select(Attendance).where(Attendance.meeting_id.in_(list(meeting_ids))))
    grouped: dict[int, list[Attendance]] = defaultdict(list)
    for row in rows:
        grouped[row.meeting_id].append(row)
    return grouped


def _photo_hashes_by_minutes(minutes_ids: Iterable[int]) -> dict[int, list[str]]:
    rows = db.session.execute(
        sa.select(MinutesPhoto.minutes_id, MinutesPhoto.sha256).where(MinutesPhoto.minutes_id.in_(list(minutes_ids)))
    )
    grouped: dict[int, list[str]] = defaultdict(list)
    for minutes_id, sha in rows:
        grouped[minutes_id].append(sha)
    return grouped


def _minutes_hash(minutes: Minutes, prev_hash: str) -> str:
    meeting = db.session.get(Meeting, minutes.meeting_id)
    attendance = _attendance_by_meeting([meeting.id])[meeting.id]
    photos = _photo_hashes_by_minutes([minutes.id])[minutes.id]
    return _digest(_minutes_payload(minutes, meeting, attendance, photos), prev_hash)


# --- the chain tail ------------------------------------------------------------------------------


def lock_org_chain(org_id: int) -> None:
    """Serialise appends to one organisation's chain, and edits of its meetings against finalising.

    A row lock on PostgreSQL. SQLite has one writer, but pysqlite runs the reads before a transaction's
    first write outside it: without a write here, two corrections could both read the same chain tail
    and fork the chain. A write that changes nothing takes the writer's lock.
    """
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        db.session.execute(sa.select(Organisation.id).where(Organisation.id == org_id).with_for_update())
    else:
        table = Organisation.__table__
        connection.execute(sa.update(table).where(table.c.id == org_id).values(sort_order=table.c.sort_order))


def _chain_tail(org_id: int) -> tuple[str, datetime | None]:
    """Hash and time of the last element of the organisation's chain, or the genesis hash."""
    last_minutes = db.session.execute(
        sa.select(Minutes.content_hash, Minutes.finalised_at)
        .where(Minutes.org_id == org_id, Minutes.finalised_at.is_not(None))
        .order_by(Minutes.finalised_at.desc(), Minutes.id.desc())
        .limit(1)
    ).first()
    last_amendment = db.session.execute(
        sa.select(MinutesAmendment.content_hash, MinutesAmendment.created_at)
        .join(Minutes, Minutes.id == MinutesAmendment.minutes_id)
        .where(Minutes.org_id == org_id)
        .order_by(MinutesAmendment.created_at.desc(), MinutesAmendment.id.desc())
        .limit(1)
    ).first()
    candidates = [row for row in (last_minutes, last_amendment) if row is not None]
    if not candidates:
        return GENESIS, None
    # On a tie an amendment comes after minutes (see _order_key), so it is the tail.
    tail = max(candidates, key=lambda row: (row[1], row is last_amendment))
    return tail[0], tail[1]


def _join_time(tail_time: datetime | None) -> datetime:
    """Now, but never before the tail, so the chain's time order matches its links despite clock skew."""
    now = utcnow()
    return max(now, tail_time + _TICK) if tail_time is not None else now


# --- drafting ------------------------------------------------------------------------------------


def _ensure_held(meeting: Meeting) -> None:
    if meeting.cancelled_at is not None:
        raise AppError("meeting_not_held", "会议已取消，不能填写会议记录")
    if meeting.starts_at > utcnow():
        raise AppError("meeting_not_held", "会议尚未开始，不能提前填写会议记录")


def _ensure_draft(minutes: Minutes) -> None:
    if minutes.finalised_at is not None:
        raise AppError("minutes_finalised", "会议纪要已定稿，不能修改；如需更正请添加更正说明")


def find_minutes(meeting: Meeting) -> Minutes | None:
    """The meeting's minutes, if anyone has started writing them. Reading never creates a row."""
    return db.session.scalar(sa.select(Minutes).where(Minutes.meeting_id == meeting.id))


def get_or_create_minutes(meeting: Meeting) -> Minutes:
    """The meeting's minutes, created empty on first write. Only for a meeting that has started."""
    minutes = find_minutes(meeting)
    if minutes is not None:
        return minutes
    _ensure_held(meeting)
    minutes = Minutes(meeting_id=meeting.id, org_id=meeting.organiser_org_id, topic="", content="", decisions="")
    db.session.add(minutes)
    db.session.flush()
    return minutes


def save_draft(minutes: Minutes, topic: str, content: str, decisions: str) -> Minutes:
    _ensure_draft(minutes)
    _ensure_held(db.session.get(Meeting, minutes.meeting_id))
    topic = topic.strip()
    if len(topic) > MAX_TOPIC:
        raise AppError("topic_too_long", f"主题不能超过 {MAX_TOPIC} 个字")
    minutes.topic, minutes.content, minutes.decisions = topic, content.strip(), decisions.strip()
    db.session.flush()
    return minutes


def _check_room_for_photo(minutes: Minutes) -> None:
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(MinutesPhoto).where(MinutesPhoto.minutes_id == minutes.id)
    )
    if count >= MAX_PHOTOS:
        raise AppError("too_many_photos", f"每份会议记录最多上传 {MAX_PHOTOS} 张照片")


def add_photo(minutes: Minutes, filename: str, data: bytes) -> MinutesPhoto:
    """Attach a photo that passes :func:`server.uploads.check_photo` (JPG or PNG by content, size and
    pixels bounded); at most ``MAX_PHOTOS`` per minutes. Its type is what its bytes are, not its name."""
    _ensure_draft(minutes)
    photo_type = check_photo(data).content_type
    _check_room_for_photo(minutes)
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()[:200] or "photo"
    photo = MinutesPhoto(
        minutes_id=minutes.id,
        filename=name,
        content_type=photo_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    db.session.add(photo)
    db.session.flush()
    return photo


# --- finalising and amending ---------------------------------------------------------------------


def finalise(minutes: Minutes) -> Minutes:
    """Lock the minutes and join them to the organisation's chain.

    Attendance is part of the hash, so check-in must have closed: a later scan would look like tampering.
    """
    _ensure_draft(minutes)
    meeting = db.session.get(Meeting, minutes.meeting_id)
    _ensure_held(meeting)
    if meeting.checkin_closes_at > utcnow():
        raise AppError("checkin_still_open", "签到尚未结束，签到截止后才能定稿会议记录")
    if not minutes.topic or not minutes.content:
        raise AppError("minutes_incomplete", "请先填写会议主题和内容再定稿")
    # A scan decided just before check-in closed may not have committed yet: wait for it, or the hash
    # would leave out an arrival that lands a moment later and the chain would cry tampering.
    hold_check_ins(meeting.id)
    lock_org_chain(minutes.org_id)
    db.session.refresh(minutes)  # another request may have finalised it while we waited for the lock
    _ensure_draft(minutes)
    prev_hash, tail_time = _chain_tail(minutes.org_id)
    minutes.finalised_at = _join_time(tail_time)
    minutes.prev_hash = prev_hash
    minutes.content_hash = _minutes_hash(minutes, prev_hash)
    db.session.flush()
    return minutes


def amend(minutes: Minutes, reason: str, content: str, created_by_id: int | None) -> MinutesAmendment:
    """Append a correction to finalised minutes, chained to the organisation's latest record."""
    if minutes.finalised_at is None:
        raise AppError("minutes_not_finalised", "会议记录尚未定稿，请直接修改草稿")
    reason, content = (reason or "").strip(), (content or "").strip()
    if not reason:
        raise AppError("reason_required", "请填写更正原因")
    if len(reason) > MAX_REASON:
        raise AppError("reason_too_long", f"更正原因不能超过 {MAX_REASON} 个字")
    if not content:
        raise AppError("content_required", "请填写更正内容")
    lock_org_chain(minutes.org_id)
    prev_hash, tail_time = _chain_tail(minutes.org_id)
    amendment = MinutesAmendment(
        minutes_id=minutes.id, reason=reason, content=content, created_by_id=created_by_id, prev_hash=prev_hash
    )
    amendment.created_at = _join_time(tail_time)
    amendment.content_hash = _digest(_amendment_payload(amendment), prev_hash)
    db.session.add(amendment)
    db.session.flush()
    return amendment


def attendance_locked(meeting_id: int) -> bool:
    """True once the meeting's minutes are finalised: attendance is then part of the record."""
    return (
        db.session.scalar(
            sa.select(Minutes.id).where(Minutes.meeting_id == meeting_id, Minutes.finalised_at.is_not(None))
        )
        is not None
    )


# --- verification --------------------------------------------------------------------------------


@dataclass
class ChainReport:
    ok: bool = True
    checked: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, id: int | None, message: str) -> None:
        self.ok = False
        self.problems.append({"kind": kind, "id": id, "message": message})


@dataclass
class _Element:
    kind: str  # "minutes" or "amendment"
    row: Minutes | MinutesAmendment
    joined_at: datetime
    recomputed: str = ""

    def order_key(self) -> tuple:
        return (self.joined_at, self.kind == "amendment", self.row.id)


def _chain_minutes(org_id: int) -> list[Minutes]:
    return list(
        db.session.scalars(
            sa.select(Minutes).where(
                Minutes.org_id == org_id, sa.or_(Minutes.finalised_at.is_not(None), Minutes.content_hash.is_not(None))
            )
        )
    )


def _amendments_of(org_id: int) -> list[MinutesAmendment]:
    return list(
        db.session.scalars(
            sa.select(MinutesAmendment)
            .join(Minutes, Minutes.id == MinutesAmendment.minutes_id)
            .where(Minutes.org_id == org_id)
        )
    )


def _minutes_elements(minutes_list: list[Minutes], report: ChainReport) -> list[_Element]:
    meetings = {
        m.id: m
        for m in db.session.scalars(sa.select(Meeting).where(Meeting.id.in_(m.meeting_id for m in minutes_list)))
    }
    attendance = _attendance_by_meeting(meetings)
    photos = _photo_hashes_by_minutes(m.id for m in minutes_list)
    elements = []
    for minutes in minutes_list:
        if minutes.finalised_at is None or minutes.content_hash is None or minutes.prev_hash is None:
            report.add("minutes", minutes.id, f"会议记录 #{minutes.id} 的定稿信息不完整（定稿时间或哈希被改动）")
            continue
        meeting = meetings[minutes.meeting_id]
        payload = _minutes_payload(minutes, meeting, attendance[meeting.id], photos[minutes.id])
        elements.append(_Element("minutes", minutes, minutes.finalised_at, _digest(payload, minutes.prev_hash)))
    return elements


def _amendment_elements(amendments: list[MinutesAmendment], report: ChainReport) -> list[_Element]:
    finalised = {
        m.id: m.finalised_at
        for m in db.session.scalars(sa.select(Minutes).where(Minutes.id.in_({a.minutes_id for a in amendments})))
    }
    elements = []
    for amendment in amendments:
        if finalised.get(amendment.minutes_id) is None:
            report.add("amendment", amendment.id, f"更正记录 #{amendment.id} 所属的会议记录不是定稿状态")
        recomputed = _digest(_amendment_payload(amendment), amendment.prev_hash)
        elements.append(_Element("amendment", amendment, amendment.created_at, recomputed))
    return elements


def _check_links(elements: list[_Element], report: ChainReport) -> list[_Element]:
    """Walk the chain in order, checking each link and each hash; returns the elements in that order."""
    ordered = sorted(elements, key=_Element.order_key)
    expected_prev = GENESIS
    for element in ordered:
        label = "会议记录" if element.kind == "minutes" else "更正记录"
        if element.row.prev_hash != expected_prev:
            report.add(
                element.kind,
                element.row.id,
                f"{label} #{element.row.id} 与前一条记录的链接断裂（记录被删除、插入或改过时间）",
            )
        if element.recomputed != element.row.content_hash:
            report.add(element.kind, element.row.id, f"{label} #{element.row.id} 的内容、照片或签到情况与定稿时不一致")
        report.checked += 1
        expected_prev = element.row.content_hash
    return ordered


def _check_photo_bytes(minutes_ids: list[int], report: ChainReport) -> None:
    rows = db.session.execute(
        sa.select(MinutesPhoto.id, MinutesPhoto.sha256, MinutesPhoto.data)
        .where(MinutesPhoto.minutes_id.in_(minutes_ids))
        .execution_options(yield_per=20)
    )
    for photo_id, sha, data in rows:
        if hashlib.sha256(data).hexdigest() != sha:
            report.add("photo", photo_id, f"照片 #{photo_id} 的文件内容已被替换")


def _vanished(org_id: int) -> list[tuple[str, int]]:
    """Chain elements the audit trail saw joining this organisation's chain that are no longer there."""
    lost_amendments = db.session.execute(
        sa.select(AuditLog.entity_id, AuditLog.after).where(
            AuditLog.action == "minutes_amendment.create",
            # entries written before amendments carried their organisation have none
            sa.or_(AuditLog.org_id == org_id, AuditLog.org_id.is_(None)),
            AuditLog.entity_id.not_in(sa.select(MinutesAmendment.id)),
        )
    ).all()
    lost_minutes = db.session.scalars(
        sa.select(AuditLog.entity_id)
        .where(
            AuditLog.action == "minutes.update",
            AuditLog.org_id == org_id,
            AuditLog.entity_id.not_in(sa.select(Minutes.id).where(Minutes.finalised_at.is_not(None))),
        )
        .distinct()
    ).all()
    org_minutes = set(db.session.scalars(sa.select(Minutes.id).where(Minutes.org_id == org_id)))
    audited_finalised = _audited_finalised(lost_minutes)
    found = [("minutes", minutes_id) for minutes_id in sorted(audited_finalised)]
    for amendment_id, after in lost_amendments:
        minutes_id = (after or {}).get("minutes_id")
        if minutes_id in org_minutes or minutes_id in audited_finalised:
            found.append(("amendment", amendment_id))
    return found


def _audited_finalised(minutes_ids: list[int]) -> set[int]:
    if not minutes_ids:
        return set()
    rows = db.session.execute(
        sa.select(AuditLog.entity_id, AuditLog.after).where(
            AuditLog.action == "minutes.update", AuditLog.entity_id.in_(minutes_ids)
        )
    )
    return {entity_id for entity_id, after in rows if (after or {}).get("content_hash")}


def verify_chain(org: Organisation, found: anchors.AnchorFile | None = None) -> ChainReport:
    """Recompute every hash of the organisation's chain from what the database holds now, and hold the
    chain against its anchors outside the database (read from the file unless given)."""
    report = ChainReport()
    minutes_list = _chain_minutes(org.id)
    elements = _minutes_elements(minutes_list, report) + _amendment_elements(_amendments_of(org.id), report)
    ordered = _check_links(elements, report)
    _check_photo_bytes([m.id for m in minutes_list], report)
    for kind, element_id in _vanished(org.id):
        label = "会议记录" if kind == "minutes" else "更正记录"
        report.add(kind, element_id, f"{label} #{element_id} 已定稿入链，但现已被删除或撤销定稿")
    chain = [(element.row.content_hash, element.joined_at) for element in ordered]
    anchors.check(org.id, chain, anchors.read({org.id}) if found is None else found, report)
    return report


@dataclass
class Verification:
    """The chains of every organisation in a subtree, and what the anchor file itself looks like."""

    organisations: dict[int, Organisation]
    reports: dict[int, ChainReport]
    #: lines of the anchor file that belong to no organisation; checked for the whole deployment only
    anchor_file: ChainReport

    @property
    def ok(self) -> bool:
        return self.anchor_file.ok and all(report.ok for report in self.reports.values())


def _orgs_with_chains(in_scope: sa.Select, found: anchors.AnchorFile) -> set[int]:
    """Organisations that have minutes, had finalised minutes per the audit trail, or have anchors."""
    org_ids = set(db.session.scalars(sa.select(Minutes.org_id).where(Minutes.org_id.in_(in_scope)).distinct()))
    audited = sa.select(AuditLog.org_id).where(AuditLog.action == "minutes.update", AuditLog.org_id.in_(in_scope))
    org_ids |= set(db.session.scalars(audited.distinct()))
    return org_ids | set(found.anchors) | set(found.forged)


def verify_all(scope_path: str = "/") -> Verification:
    """Verify every chain under ``scope_path`` (an admin's subtree; "/" is the whole deployment)."""
    in_scope = subtree_ids(scope_path)
    whole = scope_path == "/"
    found = anchors.read(None if whole else set(db.session.scalars(in_scope)))
    org_ids = _orgs_with_chains(in_scope, found)
    orgs = {
        org.id: org
        for org in db.session.scalars(
            sa.select(Organisation).where(Organisation.id.in_(org_ids)).order_by(Organisation.id)
        )
    }
    file_report = ChainReport()
    for line in found.unreadable:
        file_report.add("anchor", line, f"锚点文件第 {line} 行无法识别，可能被人改动过")
    for org_id in sorted(org_ids - orgs.keys()):
        file_report.add("anchor", org_id, f"锚点文件中有不存在的组织 #{org_id} 的锚点，可能被人改动过")
    reports = {org_id: verify_chain(org, found) for org_id, org in orgs.items()}
    return Verification(orgs, reports, file_report)


# --- chain heads: positions for the printed record, and the anchors exported outside the database ----


class Link(NamedTuple):
    kind: str  # "minutes" or "amendment"
    id: int
    minutes_id: int
    content_hash: str
    joined_at: datetime


_IN_CHAIN = sa.and_(
    Minutes.finalised_at.is_not(None), Minutes.content_hash.is_not(None), Minutes.prev_hash.is_not(None)
)


def chain_links(org_id: int) -> list[Link]:
    """The organisation's chain in order, without the content: what positions and heads are read from."""
    minutes = db.session.execute(
        sa.select(Minutes.id, Minutes.content_hash, Minutes.finalised_at).where(Minutes.org_id == org_id, _IN_CHAIN)
    )
    amendments = db.session.execute(
        sa.select(
            MinutesAmendment.id, MinutesAmendment.minutes_id, MinutesAmendment.content_hash, MinutesAmendment.created_at
        )
        .join(Minutes)  # on the one foreign key, minutes_id
        .where(Minutes.org_id == org_id)
    )
    links = [Link("minutes", id_, id_, digest, at) for id_, digest, at in minutes]
    links += [Link("amendment", id_, minutes_id, digest, at) for id_, minutes_id, digest, at in amendments]
    return sorted(links, key=lambda link: (link.joined_at, link.kind == "amendment", link.id))


@dataclass(frozen=True)
class SignedHead:
    position: int
    content_hash: str
    signature: str


def signed_heads(minutes: Minutes | None) -> dict[tuple[str, int], SignedHead]:
    """Position, hash and signature of finalised minutes and of each of their amendments, by (kind, id):
    printed on the record, so that a paper copy anchors the chain as the anchor file does."""
    if minutes is None or minutes.finalised_at is None:
        return {}
    return {
        (link.kind, link.id): SignedHead(
            position, link.content_hash, anchors.sign(minutes.org_id, position, link.content_hash)
        )
        for position, link in enumerate(chain_links(minutes.org_id), start=1)
        if link.minutes_id == minutes.id
    }


def _chain_lengths() -> dict[int, int]:
    lengths: dict[int, int] = defaultdict(int)
    counted = [
        sa.select(Minutes.org_id, sa.func.count()).where(_IN_CHAIN).group_by(Minutes.org_id),
        sa.select(Minutes.org_id, sa.func.count())
        .select_from(MinutesAmendment)
        .join(Minutes, Minutes.id == MinutesAmendment.minutes_id)
        .group_by(Minutes.org_id),
    ]
    for query in counted:
        for org_id, count in db.session.execute(query):
            lengths[org_id] += count
    return lengths


def export_anchors() -> int:
    """Append the head of every chain that grew since its last anchor; returns how many were appended.

    A chain shorter than its anchor is not anchored again: verification reports it.
    """
    anchored = anchors.last_positions(anchors.read())
    heads = []
    for org_id, length in sorted(_chain_lengths().items()):
        if length > anchored.get(org_id, 0):
            links = chain_links(org_id)
            heads.append((org_id, len(links), links[-1].content_hash))
    return anchors.append(heads)
