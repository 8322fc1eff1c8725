"""A secretary's phone acts with the linked admin account's powers: only while that account may act, and
always on the record as the account, from the mini-program."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.audit.models import AuditLog
from server.auth.models import AdminUser
from server.auth.passwords import hash_password
from server.db import db, utcnow
from server.meetings import codes
from server.timezone import local_today
from tests.meetings.conftest import bearer


@pytest.fixture
def account(shuji) -> AdminUser:
    return db.session.scalars(sa.select(AdminUser).where(AdminUser.member_id == shuji.id)).one()


@pytest.fixture
def meeting(make_meeting):
    return make_meeting()  # starts in 10 minutes; check-in is open


@pytest.fixture
def phone(client, shuji, token_for):
    """The secretary's phone, logged in before anything below happens to the account."""
    headers = bearer(token_for(shuji))

    class Phone:
        def get(self, path):
            return client.get(path, headers=headers)

        def post(self, path, json):
            return client.post(path, json=json, headers=headers)

    return Phone()


def scan(phone, meeting, member):
    return phone.post(f"/api/meetings/{meeting.id}/scan-member", {"code": codes.member_code(member.id)})


def schedule(phone, org):
    day = (local_today() + timedelta(days=1)).isoformat()
    form = {"kind": "theme_day", "title": "手机上安排的会", "organiser_id": org.id, "day": day}
    return phone.post("/api/meetings", form | {"starts": "09:00", "ends": "11:00", "place": "三楼会议室"})


def powers(phone, meeting, member) -> dict:
    """What the phone may do as the secretary right now."""
    return {
        "scan": scan(phone, meeting, member).status_code,
        "arrivals": phone.get(f"/api/meetings/{meeting.id}/arrivals").status_code,
        "options": phone.get("/api/meetings/options").status_code,
        "can_scan_members": phone.get(f"/api/meetings/{meeting.id}").get_json()["can_scan_members"],
    }


NONE = {"scan": 403, "arrivals": 403, "options": 403, "can_scan_members": False}


def disable(account):
    account.active = False


def lock(account):
    account.locked_until = utcnow() + timedelta(hours=1)


def change_password(account):
    account.password_hash = hash_password("another-password")


@pytest.mark.parametrize("change", [disable, lock, change_password])
def test_the_phone_loses_the_accounts_powers_at_once_but_stays_logged_in(
    phone, account, meeting, tree, make_member, change
):
    member = make_member(tree["a1"], "李四")
    assert powers(phone, meeting, member) == {"scan": 200, "arrivals": 200, "options": 200, "can_scan_members": True}

    change(account)
    db.session.commit()

    assert powers(phone, meeting, make_member(tree["a1"], "赵六")) == NONE
    assert schedule(phone, tree["a1"]).status_code == 403
    assert phone.get("/api/me").status_code == 200  # still a member, with a member's own pages
    assert phone.get(f"/api/meetings/{meeting.id}").status_code == 200


def test_an_expired_lock_gives_the_powers_back(phone, account, meeting, tree, make_member):
    account.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert scan(phone, meeting, make_member(tree["a1"], "李四")).status_code == 200


def test_after_a_password_change_a_fresh_phone_login_has_the_powers_again(
    phone, account, shuji, meeting, tree, make_member, client, token_for
):
    change_password(account)
    db.session.commit()
    assert scan(phone, meeting, make_member(tree["a1"], "李四")).status_code == 403
    fresh = bearer(token_for(shuji))  # logging in again in the mini-program proves the WeChat binding anew
    code = codes.member_code(make_member(tree["a1"], "赵六").id)
    response = client.post(f"/api/meetings/{meeting.id}/scan-member", json={"code": code}, headers=fresh)
    assert response.status_code == 200


def test_what_the_phone_does_as_secretary_is_audited_as_the_account_from_the_mini_program(
    phone, account, meeting, tree, make_member
):
    member = make_member(tree["a1"], "李四")
    assert scan(phone, meeting, member).status_code == 200
    created = schedule(phone, tree["a1"])
    assert created.status_code == 201, created.get_json()

    rows = db.session.scalars(
        sa.select(AuditLog)
        .where(AuditLog.action.in_(["attendance.create", "meeting.create"]), AuditLog.actor_kind != "system")
        .order_by(AuditLog.id)
    ).all()
    assert [(row.action, row.actor_kind, row.actor_id, row.actor_name, row.ip) for row in rows] == [
        ("attendance.create", "admin_phone", account.id, "王书记（小程序）", "127.0.0.1"),
        ("meeting.create", "admin_phone", account.id, "王书记（小程序）", "127.0.0.1"),
    ]
