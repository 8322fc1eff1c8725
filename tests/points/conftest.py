from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from server.auth.member_services import _start_session
from server.db import db
from server.members.models import Member
from server.points.leaderboard import RedisBoard, board
from tests.conftest import USING_REDIS


@dataclass
class MemberPhone:
    """A member's phone with a mini-program session: JSON calls with the bearer token."""

    member_id: int
    token: str
    client: FlaskClient

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str):
        return self.client.get(path, headers=self._headers())

    def post(self, path: str, json=None):
        return self.client.post(path, json=json, headers=self._headers())

    def put(self, path: str, json=None, **kw):
        return self.client.put(path, json=json, headers=self._headers(), **kw)


@pytest.fixture
def member_phone(app) -> Callable[[Member], MemberPhone]:
    def make(member: Member) -> MemberPhone:
        token = _start_session(member, f"o-quiz-{member.id}".ljust(28, "x")).token
        db.session.commit()
        return MemberPhone(member.id, token, app.test_client())

    return make


@pytest.fixture(autouse=True)
def _fresh_leaderboards(app):
    """Redis keeps its sets between tests, and ids start from 1 again: empty them for each test."""
    if USING_REDIS:
        with app.app_context():
            current = board()
            if isinstance(current, RedisBoard):
                current.clear()
    yield
