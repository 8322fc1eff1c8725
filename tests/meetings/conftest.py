"""Meetings fixtures: a meeting of branch 甲一 under way, and members with mini-program sessions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from server.auth.member_services import _start_session
from server.auth.models import Role
from server.db import db, utcnow
from server.meetings.models import Meeting, MeetingKind
from server.meetings.services import create_meeting


@pytest.fixture
def make_meeting(app, tree) -> Callable[..., Meeting]:
    def make(organiser=None, *, starts_in: timedelta = timedelta(minutes=10), **kw) -> Meeting:
        starts = utcnow() + starts_in
        meeting = create_meeting(
            kind=kw.pop("kind", MeetingKind.THEME_DAY),
            title=kw.pop("title", "十一月主题党日"),
            organiser=organiser or tree["a1"],
            starts_at=starts,
            ends_at=starts + timedelta(hours=2),
            place="三楼会议室",
            **kw,
        )
        db.session.commit()
        return meeting

    return make


@pytest.fixture
def shuji(tree, make_member, make_admin):
    """王书记: a member of 甲一支部 with the branch's secretary account."""
    member = make_member(tree["a1"], "王书记")
    make_admin("shuji", Role.SECRETARY, tree["a1"], member_id=member.id, display_name="王书记")
    return member


@pytest.fixture
def token_for(app) -> Callable:
    """A mini-program session for a member, as after binding."""

    def issue(member) -> str:
        token = _start_session(member, f"openid-{member.id}").token
        db.session.commit()
        return token

    return issue


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
