"""After the database drops every connection (a restart, a failover), the app serves again at once.

The pool does not ping before each checkout (see ``server/config.py``): the first statement on a dead
connection fails, SQLAlchemy then discards the whole pool, and the next request gets a fresh connection.
"""

from __future__ import annotations

import psycopg
import pytest
import sqlalchemy as sa

from server.auth.member_services import _start_session
from server.db import db
from tests.conftest import USING_POSTGRES


def _drop_every_connection() -> None:
    """What a restart does to the app's pooled connections: the server ends their backends."""
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def _status(client, token: str) -> int:
    try:
        return client.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code
    except sa.exc.DBAPIError as exc:  # TESTING propagates the error a member would see as a 500
        assert exc.connection_invalidated, exc
        return 500


@pytest.mark.skipif(not USING_POSTGRES, reason="a database server restart; SQLite is a file in the app's process")
def test_members_are_served_again_right_after_the_database_drops_its_connections(client, tree, make_member):
    member = make_member(tree["a1"], "张三")
    token = _start_session(member, "openid-restart").token
    db.session.commit()
    assert [_status(client, token) for _ in range(3)] == [200, 200, 200]  # the pool now holds connections

    _drop_every_connection()
    db.session.remove()
    statuses = [_status(client, token) for _ in range(4)]

    assert statuses.count(500) <= 1, statuses
    assert statuses[-3:] == [200, 200, 200], statuses
