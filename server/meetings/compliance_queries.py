"""The reads behind the compliance report and the inactivity warning: a whole subtree in a handful of
queries, never one per branch.

A meeting counts for an organisation when that organisation organised it or took part in it (a joint
lecture counts for every participating branch); party group meetings count per group. Only meetings
that have started and were not cancelled count.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa

from server.auth.models import AdminUser
from server.auth.scope import subtree_ids, within
from server.db import db
from server.meetings.compliance_rules import ATTENDED, COMMITTEE_ROLES
from server.meetings.models import Attendance, Meeting, MeetingKind, meeting_participants
from server.members.models import Member
from server.orgs.models import Organisation, OrgKind
from server.orgs.services import tree_order


def live_units(path: str) -> list[Organisation]:
    """The live branches and party groups of the subtree at ``path``, in tree order."""
    return list(
        db.session.scalars(
            sa.select(Organisation)
            .where(
                within(path),
                Organisation.dissolved_at.is_(None),
                Organisation.kind.in_((OrgKind.BRANCH, OrgKind.GROUP)),
            )
            .order_by(tree_order())
        )
    )


def counted_meetings(path: str, since: datetime | None, until: datetime) -> list[sa.ColumnElement[bool]]:
    """Conditions on ``Meeting``: started before ``until``, not cancelled, touching the subtree at ``path``."""
    in_subtree = subtree_ids(path)
    conditions = [
        Meeting.cancelled_at.is_(None),
        Meeting.starts_at < until,
        sa.or_(
            Meeting.organiser_org_id.in_(in_subtree),
            Meeting.id.in_(
                sa.select(meeting_participants.c.meeting_id).where(meeting_participants.c.org_id.in_(in_subtree))
            ),
        ),
    ]
    if since is not None:
        conditions.append(Meeting.starts_at >= since)
    return conditions


def meeting_org_rows(path: str, since: datetime | None, until: datetime) -> sa.Select:
    """(meeting id, kind, starts_at, org id, backfilled) for the organiser and each participant of counted
    meetings."""
    conditions = counted_meetings(path, since, until)
    backfilled = Meeting.backfill_reason.is_not(None)
    as_organiser = sa.select(
        Meeting.id.label("meeting_id"),
        Meeting.kind.label("kind"),
        Meeting.starts_at.label("starts_at"),
        Meeting.organiser_org_id.label("org_id"),
        backfilled.label("backfilled"),
    ).where(*conditions)
    as_participant = (
        sa.select(Meeting.id, Meeting.kind, Meeting.starts_at, meeting_participants.c.org_id, backfilled)
        .join(meeting_participants, meeting_participants.c.meeting_id == Meeting.id)
        .where(*conditions)
    )
    return sa.union(as_organiser, as_participant)


def _committee_accounts() -> sa.Select:
    """(member id, branch id) of active secretary/committee accounts of members of that very branch:
    an account for a branch the member does not belong to is not a seat on its committee."""
    return (
        sa.select(AdminUser.member_id, AdminUser.org_id)
        .join(Member, Member.id == AdminUser.member_id)
        .where(AdminUser.role.in_(COMMITTEE_ROLES), AdminUser.active.is_(True), Member.org_id == AdminUser.org_id)
    )


def committee_sizes(path: str) -> dict[int, int]:
    """Branch id → how many members sit on its committee (absent: none on record)."""
    accounts = _committee_accounts().where(AdminUser.org_id.in_(subtree_ids(path))).subquery()
    rows = db.session.execute(
        sa.select(accounts.c.org_id, sa.func.count(sa.distinct(accounts.c.member_id))).group_by(accounts.c.org_id)
    )
    return {org_id: count for org_id, count in rows}


def committee_attendance(path: str, since: datetime, until: datetime) -> dict[int, dict[int | None, int]]:
    """Committee meeting id → {branch id whose committee member attended (None: anyone else): count}.

    One grouped query over the attendance of every counted 支委会 in the window.
    """
    accounts = _committee_accounts().subquery()
    rows = db.session.execute(
        sa.select(Attendance.meeting_id, accounts.c.org_id, sa.func.count())
        .join(Meeting, Meeting.id == Attendance.meeting_id)
        .outerjoin(accounts, accounts.c.member_id == Attendance.member_id)
        .where(
            Meeting.kind == MeetingKind.BRANCH_COMMITTEE,
            Attendance.status.in_(ATTENDED),
            *counted_meetings(path, since, until),
        )
        .group_by(Attendance.meeting_id, accounts.c.org_id)
    )
    counts: dict[int, dict[int | None, int]] = defaultdict(dict)
    for meeting_id, org_id, count in rows:
        counts[meeting_id][org_id] = count
    return counts


def as_utc(value: datetime | str) -> datetime:
    """max() over a union loses the column type on SQLite; read the value back as UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
