"""A collective 主题党日 for the month's political birthdays: a meeting of the branch, scheduled with the
meetings' own service (the same checks and audit as 安排会议), naming the members it celebrates."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from server.audit.services import record
from server.auth.models import AdminUser
from server.auth.scope import require_org
from server.birthdays.models import BirthdayInvitation
from server.birthdays.services import month_query
from server.db import db
from server.errors import AppError
from server.meetings import services as meetings
from server.meetings.models import Meeting, MeetingKind
from server.members.models import Member
from server.orgs.models import Organisation, OrgKind

NOT_A_BRANCH = "政治生日主题党日由党支部安排，请选择一个党支部"
NOBODY = "请至少选择一名过政治生日的党员"
NOT_THIS_MONTH = "所选党员中有人不是本支部本月过政治生日的党员，请刷新页面后重新选择"


def branch_for(admin: AdminUser, org: Organisation, *, write: bool = False) -> Organisation:
    """``org`` if it is a live branch ``admin`` may see (and schedule for); outside the scope it is missing."""
    require_org(admin, org, write=write)
    if org.kind is not OrgKind.BRANCH or org.dissolved_at is not None:
        raise AppError("not_a_branch", NOT_A_BRANCH)
    return org


def birthday_members(admin: AdminUser, branch: Organisation, year: int, month: int) -> list[Member]:
    return list(db.session.scalars(month_query(admin, year, month, branch.id)))


def schedule(
    admin: AdminUser, branch: Organisation, year: int, month: int, member_ids: list[int], form: dict
) -> Meeting:
    """Schedule the branch's 主题党日 for the chosen birthday members of the month and note them.

    ``form`` is a loaded meeting form (title, day, times, place); the kind, the organiser and the
    participants are this feature's: a 主题党日 of the branch, which all its members attend.
    """
    branch = branch_for(admin, branch, write=True)
    chosen = set(member_ids)
    if not chosen:
        raise AppError("no_members", NOBODY)
    eligible = {member.id: member for member in birthday_members(admin, branch, year, month)}
    if not chosen <= eligible.keys():
        raise AppError("not_birthday_members", NOT_THIS_MONTH)
    data = form | {
        "kind": MeetingKind.THEME_DAY,
        "organiser_id": branch.id,
        "participant_ids": [branch.id],
        "geofence": None,
        "strict_checkin": False,
        "backfill_reason": None,
    }
    meeting = meetings.plan_meeting(admin, data)
    db.session.add_all(BirthdayInvitation(meeting_id=meeting.id, member_id=i, year=year) for i in sorted(chosen))
    db.session.flush()
    names = [eligible[i].name for i in sorted(chosen, key=lambda i: eligible[i].name_sort)]
    record(
        "birthday.theme_day",
        "meeting",
        entity_id=meeting.id,
        label=meeting.title,
        org_id=branch.id,
        detail={"month": f"{year}-{month:02d}", "members": names},
    )
    return meeting


def celebrated_at(meeting: Meeting) -> list[Member]:
    """The members a meeting celebrates, by name (none for an ordinary meeting)."""
    return list(
        db.session.scalars(
            sa.select(Member)
            .join(BirthdayInvitation, BirthdayInvitation.member_id == Member.id)
            .where(BirthdayInvitation.meeting_id == meeting.id)
            .order_by(Member.name_sort, Member.id)
        )
    )


def default_day(year: int, month: int, today: date) -> date | None:
    """A suggestion for the form: a week from today if that falls in the month, else nothing."""
    suggestion = today + timedelta(days=7)
    return suggestion if (suggestion.year, suggestion.month) == (year, month) else None
