"""Meetings fixtures: a meeting of branch 甲一 under way, and members with mini-program sessions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from server.auth.member_services import _start_session
from server.auth.models import Role
from server.db import db, utcnow
from server.meetings.models import Meeting, MeetingKind
from server.meetings.services import create_meeting


@pytest.fixture
def make_meeting(app, tree) -> Callable[..., Meeting]:
    def make(organiser=None, *, starts_in: timedelta = timedelta(minutes=10), **kw) -> Meeting:
        """A meeting scheduled on time. One that ``starts_in`` the past was scheduled beforehand: it is
        made ahead, then its times are moved straight in the table, as if the clock had moved on."""
        ahead = starts_in if starts_in > timedelta(0) else timedelta(minutes=10)
        starts = utcnow() + ahead
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
        if ahead != starts_in:
            _move_times(meeting, starts_in - ahead)
        return meeting

    return make


def _move_times(meeting: Meeting, by: timedelta) -> None:
    table = Meeting.__table__
    columns = ("starts_at", "ends_at", "checkin_opens_at", "checkin_closes_at")
    values = {column: getattr(meeting, column) + by for column in columns}
    db.session.execute(sa.update(table).where(table.c.id == meeting.id).values(**values))
    db.session.commit()
    db.session.refresh(meeting)


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


@pytest.fixture(autouse=True)
def anchor_dir(app, tmp_path):
    """Each test its own minutes anchor directory, as each deployment has its own."""
    saved = app.config["MINUTES_ANCHOR_DIR"]
    app.config["MINUTES_ANCHOR_DIR"] = str(tmp_path / "anchors")
    yield tmp_path / "anchors"
    app.config["MINUTES_ANCHOR_DIR"] = saved


#: when the tree of the compliance tests was set up in the system: years before the periods they ask about
ESTABLISHED = datetime(2020, 1, 1, tzinfo=UTC)


@pytest.fixture
def established_tree(tree_builder) -> dict:
    """The standard tree, set up in the system in 2020: every period since is required of it."""
    orgs = tree_builder()
    for org in orgs.values():
        org.created_at = ESTABLISHED
    db.session.commit()
    return orgs
