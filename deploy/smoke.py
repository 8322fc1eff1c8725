"""The local stack's smoke test (`make stack-smoke`): through nginx over HTTPS, as people use it.

1. Seeding, the way a secretary would have left it: a new member of shuji1's branch (综合办公室党支部), an
   invite code for them, and a meeting of the branch whose check-in is open.
2. The member's phone, the mini-program API flow the tests use: wx.login (the emulator plays WeChat),
   /api/auth/login, bind with the invite code, then the meeting list.
3. The secretary (shuji1) logs in to the admin, opens the projector's live code, the member scans it
   (/api/meetings/<id>/checkin) and appears in the live arrivals; the member register page opens.
4. What nginx does itself: static files from the checkout, the session cookie marked Secure (the app
   trusts nginx's X-Forwarded-Proto: TRUSTED_PROXIES=1), both web instances healthy behind it.

Exit status 0 when every step passed; each step prints one line.
"""

from __future__ import annotations

import os
import re
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from html import unescape
from pathlib import Path

import requests

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]
import local_stack  # noqa: E402  (deploy/, on the path when run as deploy/local_stack.py or deploy/smoke.py)

SECRETARY, PASSWORD = "shuji1", "Demo@2026"


def app_context():
    """The app on the stack's database, for the seeding a secretary's pages would do."""
    os.environ.update(local_stack.ENV)
    from server import create_app

    return create_app({"LOG_LEVEL": "WARNING"}).app_context()


def open_theme_day(branch, secretary, title: str):
    """A 主题党日 of ``branch`` starting in ten minutes, so check-in is open and nobody counts as late."""
    from server.db import utcnow
    from server.meetings.models import MeetingKind
    from server.meetings.services import create_meeting

    now = utcnow()
    return create_meeting(
        kind=MeetingKind.THEME_DAY,
        title=title,
        organiser=branch,
        starts_at=now + timedelta(minutes=10),
        ends_at=now + timedelta(hours=2),
        created_by_id=secretary.id,
    )


def seed_visit() -> dict:
    """A new member with an invite code and an open meeting of the secretary's branch."""
    import sqlalchemy as sa

    from server.audit.context import SYSTEM, acting_as
    from server.auth.member_services import issue_invite_code
    from server.auth.models import AdminUser
    from server.db import db
    from server.members.models import DuesCategory, Gender, MemberStatus
    from server.members.schemas import clean_member_data
    from server.members.services import create_member

    with app_context(), acting_as(SYSTEM):
        secretary = db.session.scalar(sa.select(AdminUser).where(AdminUser.username == SECRETARY))
        branch = secretary.org
        stamp = time.strftime("%m%d%H%M%S")
        member = create_member(
            clean_member_data(
                {
                    "name": f"冒烟{stamp}",
                    "gender": Gender.MALE,
                    "birth_date": date(1985, 5, 1),
                    "join_date": date(2010, 7, 1),
                    "full_member_date": date(2011, 7, 1),
                    "status": MemberStatus.FULL,
                    "dues_category": DuesCategory.EMPLOYED,
                    "dues_base_yuan": Decimal("6000"),
                    "org_id": branch.id,
                }
            )
        )
        meeting = open_theme_day(branch, secretary, f"冒烟测试主题党日 {stamp}")
        _, invite = issue_invite_code(member, None)
        db.session.commit()
        seeded = {"member": member.name, "invite": invite, "meeting": meeting.id, "branch": branch.name}
        db.engine.dispose()
    return seeded


class Steps:
    def __init__(self) -> None:
        self.failed = 0

    def check(self, what: str, ok: bool, detail: str = "") -> bool:
        print(f"  {'ok  ' if ok else 'FAIL'} {what}{'' if ok else ': ' + detail[:300]}", flush=True)
        self.failed += not ok
        return ok


def admin_login(session: requests.Session, base: str) -> requests.Response:
    page = session.get(f"{base}/admin/login", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return session.post(
        f"{base}/admin/login",
        data={"username": SECRETARY, "password": PASSWORD, "csrf_token": token},
        headers={"Referer": f"{base}/admin/login"},
        allow_redirects=False,
        timeout=10,
    )


def main() -> int:
    started = time.monotonic()
    base, ca = local_stack.BASE_URL, str(local_stack.CA_FILE)
    print(f"smoke: through nginx at {base}")
    steps = Steps()
    seeded = seed_visit()
    steps.check(
        f"seeded {seeded['member']} with an invite code and meeting #{seeded['meeting']} of {seeded['branch']}", True
    )

    # The member's phone.
    phone = requests.Session()
    phone.verify, phone.trust_env = ca, False  # REQUESTS_CA_BUNDLE would override the stack's certificate
    user = f"smoke-{time.time_ns()}"
    code = requests.post(
        f"http://127.0.0.1:{local_stack.EMULATOR_PORT}/_phone/login", json={"user": user}, timeout=5
    ).json()["code"]
    login = phone.post(f"{base}/api/auth/login", json={"code": code}, timeout=10)
    ticket = (login.json() if login.ok else {}).get("bind_ticket")
    steps.check("wx.login -> /api/auth/login gives an unbound phone a bind ticket", bool(ticket), login.text)
    bind = phone.post(
        f"{base}/api/auth/bind/invite",
        json={"bind_ticket": ticket, "invite_code": seeded["invite"], "name": seeded["member"]},
        timeout=10,
    )
    token = (bind.json() if bind.ok else {}).get("token")
    steps.check("the member binds with the invite code", bool(token), bind.text)
    phone.headers["Authorization"] = f"Bearer {token}"
    listed = phone.get(f"{base}/api/meetings", timeout=10)
    steps.check(
        "the meeting is in the member's list",
        listed.ok and any(m["id"] == seeded["meeting"] for m in listed.json()),
        listed.text,
    )

    # The secretary's admin and the projector.
    admin = requests.Session()
    admin.verify, admin.trust_env = ca, False
    logged_in = admin_login(admin, base)
    cookie = logged_in.headers.get("Set-Cookie", "")
    steps.check("the secretary logs in to the admin (302)", logged_in.status_code == 302, f"{logged_in.status_code}")
    steps.check(
        "the session cookie is Secure (X-Forwarded-Proto from nginx trusted)", "secure" in cookie.lower(), cookie
    )
    live = admin.get(f"{base}/admin/meetings/{seeded['meeting']}/live/code", timeout=10)
    found = re.search(r"\?c=([A-Za-z0-9_.\-]+)", unescape(live.text))
    steps.check("the projector shows the live check-in code", live.ok and bool(found), live.text)
    scan = phone.post(
        f"{base}/api/meetings/{seeded['meeting']}/checkin", json={"code": found.group(1) if found else ""}, timeout=10
    )
    body = scan.json() if scan.headers.get("Content-Type", "").startswith("application/json") else {}
    steps.check("the member checks in by scanning it", scan.ok and body.get("already") is False, scan.text)
    arrivals = admin.get(f"{base}/admin/meetings/{seeded['meeting']}/live/arrivals", timeout=10)
    steps.check("the member appears in the secretary's live arrivals", seeded["member"] in arrivals.text, arrivals.text)
    register = admin.get(f"{base}/admin/members/", timeout=10)
    steps.check(
        "the member register opens for the secretary",
        register.ok and "党员" in register.text,
        str(register.status_code),
    )

    # nginx's own work.
    css = requests.get(f"{base}/static/app/admin.css", verify=ca, timeout=10)
    steps.check(
        "static files come from nginx (Cache-Control public, nosniff)",
        css.ok
        and "public" in css.headers.get("Cache-Control", "")
        and css.headers.get("X-Content-Type-Options") == "nosniff",
        f"{css.status_code} {dict(css.headers)}",
    )
    htmx = requests.get(f"{base}/static/vendor/htmx.js", verify=ca, timeout=10)
    steps.check(
        "the admin's libraries come from node_modules through nginx",
        htmx.ok and "htmx" in htmx.text[:2000],
        str(htmx.status_code),
    )
    for name, port in local_stack.WEB_PORTS.items():
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        steps.check(f"{name} on 127.0.0.1:{port} is healthy", health.ok, health.text)

    seconds = time.monotonic() - started
    print(f"smoke: {'passed' if not steps.failed else f'{steps.failed} step(s) FAILED'} in {seconds:.1f} s")
    return 1 if steps.failed else 0


if __name__ == "__main__":
    sys.exit(main())
