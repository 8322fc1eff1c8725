"""The secretary's side of binding: invite codes as text and QR, unbinding, ending sessions of a lost phone."""

from __future__ import annotations

import base64
import io
import re

import pytest
import sqlalchemy as sa
from PIL import Image

from server.audit.models import AuditLog
from server.auth import member_services
from server.auth.models import Role
from server.db import db
from server.errors import AppError


@pytest.fixture
def secretary(browser, make_admin, tree):
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    return browser("shuji")


def _issue(secretary, member) -> str:
    html = secretary.post(f"/admin/members/{member.id}/invite").get_data(as_text=True)
    return re.search(r'id="invite-code">([A-Z0-9]+)<', html).group(1)


def test_issued_code_is_shown_once_as_text_and_qr_and_binds_the_member(secretary, tree, make_member, phone):
    member = make_member(tree["a1"], "孙八")
    page = secretary.post(f"/admin/members/{member.id}/invite").get_data(as_text=True)
    code = re.search(r'id="invite-code">([A-Z0-9]+)<', page).group(1)
    qr = re.search(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="邀请码二维码"', page)
    assert qr, "the QR code is embedded in the page"
    assert Image.open(io.BytesIO(base64.b64decode(qr.group(1)))).size[0] > 100
    assert phone("wx-sunba").bind_invite(code, "孙八").status_code == 200
    assert "已绑定" in secretary.get(f"/admin/members/{member.id}").get_data(as_text=True)


def test_each_member_page_tells_that_members_own_binding(secretary, tree, make_member, phone):
    bound, unbound = make_member(tree["a1"], "孙八"), make_member(tree["a1"], "周九")
    phone("wx-sunba").bind_invite(_issue(secretary, bound), "孙八")

    assert "已绑定" not in secretary.get(f"/admin/members/{unbound.id}").get_data(as_text=True)
    with pytest.raises(AppError) as refused:
        member_services.unbind(unbound)
    assert (refused.value.code, refused.value.message) == ("not_bound", "该党员尚未绑定微信")
    assert member_services.binding_of(bound) is not None


def test_the_code_never_travels_in_a_url(secretary, tree, make_member, app):
    """Addresses end up in access logs, proxies and browser history; the code must not be in any."""
    member = make_member(tree["a1"], "孙八")
    response = secretary.post(f"/admin/members/{member.id}/invite")
    code = re.search(r'id="invite-code">([A-Z0-9]+)<', response.get_data(as_text=True)).group(1)
    assert code not in response.request.url and code not in response.headers.get("Location", "")
    page = response.get_data(as_text=True)
    urls = re.findall(r'(?:src|href|action)="([^"]*)"', page)
    assert urls and not [url for url in urls if code in url and not url.startswith("data:")]
    assert secretary.get(f"/admin/members/invite-qr.png?code={code}").status_code == 404
    assert not [rule.rule for rule in app.url_map.iter_rules() if "invite-qr" in rule.rule]


def test_issuing_is_audited_without_the_code(secretary, tree, make_member):
    member = make_member(tree["a1"], "孙八")
    code = _issue(secretary, member)
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "invite_code.create"))
    assert entry.entity_label == f"member #{member.id}"
    assert code not in str(entry.after)


def test_lost_phone_sessions_end_and_unbinding_frees_the_member(secretary, tree, make_member, phone):
    member = make_member(tree["a1"], "孙八")
    p = phone("wx-sunba")
    p.bind_invite(_issue(secretary, member), "孙八")
    assert p.get("/api/me").status_code == 200
    secretary.post(f"/admin/members/{member.id}/revoke-sessions")
    assert p.get("/api/me").get_json()["error"] | {"fields": None} == {
        "code": "token_revoked",
        "message": "登录已失效，请重新登录",
        "fields": None,
    }
    secretary.post(f"/admin/members/{member.id}/unbind")
    assert phone("wx-sunba").login().get_json()["bound"] is False
    actions = set(db.session.scalars(sa.select(AuditLog.action)))
    assert {"member.revoke_sessions", "wechat_binding.delete"} <= actions


def test_read_only_committee_member_cannot_issue_codes(browser, make_admin, tree, make_member):
    make_admin("weiyuan", Role.COMMITTEE, tree["a1"])
    member = make_member(tree["a1"], "孙八")
    assert browser("weiyuan").post(f"/admin/members/{member.id}/invite").status_code == 403
