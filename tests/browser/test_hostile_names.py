"""Names an attacker controls, shown to a higher admin: nothing they carry may run.

A secretary (or a member, for a leave reason) can type any text into an organisation or party group
name, a member's name, a meeting title or the minutes. The committee's admin later opens every page
that shows them. Each text carries payloads for the contexts a name can land in: HTML text, a quoted
attribute, a JS string inside an inline handler (``onsubmit="return confirm('…')"``: the browser
decodes Jinja's ``&#39;`` before the handler runs) and a ``<script>`` block. On every page: no dialog
except our own confirmations (showing the name as plain text), no global set by a payload, no Content
Security Policy violation (which would mean inline code of ours, or an injection the policy caught),
no JavaScript error.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from server.auth.models import BindMethod, Role, WechatBinding
from server.db import db, utcnow
from server.meetings import minutes as minutes_service
from server.meetings.checkin import mark_present
from server.meetings.leave import request_leave
from server.meetings.models import MeetingKind
from server.orgs.models import OrgKind
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD
from tests.meetings.factories import add_meeting

# Runs before any script of the page: records what a payload could do, and stands in for the print dialog.
WATCH_SCRIPT = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__cspViolations.push(
  `${e.violatedDirective} blocked ${e.blockedURI} in ${e.sourceFile}:${e.lineNumber} ${e.sample}`));
window.print = () => { window.__printed = (window.__printed || 0) + 1; };
"""


def payloads(tag: str) -> list[str]:
    """One text per context, each short enough for a member's name (32 characters)."""
    texts = [
        f"{tag}'+alert('{tag}1')+'",  # a single-quoted JS string in an inline handler: confirm('…')
        f"{tag}');alert('{tag}2');('",  # the same, closing the call (the report)
        f'{tag}"><svg onload=alert("{tag}3")>',  # HTML text or a double-quoted attribute
        f"{tag}' autofocus onfocus=alert('{tag}4')",  # a single-quoted attribute
        f"{tag}</script><script>alert('{tag}5')",  # inside a <script> block
        f'{tag}";self.__xss="{tag}6";"',  # a double-quoted JS string; sets a global instead of a dialog
    ]
    assert all(len(text) <= 32 for text in texts)
    return texts


def combined(tag: str, limit: int) -> str:
    """As many of the payloads as fit in a field of ``limit`` characters."""
    text = ""
    for payload in payloads(tag):
        if len(text) + len(payload) + 1 > limit:
            break
        text = f"{text} {payload}".strip()
    return text


class Watch:
    """What a page did: dialogs (ours are confirmations we expect), globals, CSP reports, errors."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.accept = False
        page.add_init_script(WATCH_SCRIPT)
        page.on("dialog", self._answer)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _answer(self, dialog) -> None:
        self.dialogs.append((dialog.type, dialog.message))
        if self.accept:
            dialog.accept()
        else:
            dialog.dismiss()

    def open(self, path: str) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        assert "script-src 'self'" in response.headers.get("content-security-policy", ""), path

    def confirm(self, target: Locator, message: str, *, accept: bool = False) -> None:
        """Click; the only dialog must be our confirmation, the name in it as typed."""
        before, self.accept = len(self.dialogs), accept
        target.click()
        deadline = time.monotonic() + 3
        while len(self.dialogs) == before and time.monotonic() < deadline:
            self.page.wait_for_timeout(50)
        self.page.wait_for_timeout(200)  # a payload running after the confirmation would show up here
        self.accept = False
        assert self.dialogs[before:] == [("confirm", message)]

    def assert_nothing_ran(self, where: str) -> None:
        self.page.wait_for_timeout(300)  # let autofocus, onload and deferred scripts have their turn
        state = self.page.evaluate("() => ({xss: window.__xss, csp: window.__cspViolations})")
        unexpected = [dialog for dialog in self.dialogs if dialog[0] != "confirm"]
        assert unexpected == [], f"{where}: a payload opened a dialog"
        assert state["xss"] is None, f"{where}: a payload set window.__xss = {state['xss']}"
        assert state["csp"] == [], f"{where}: Content Security Policy violations"
        assert self.errors == [], f"{where}: JavaScript errors"


@pytest.fixture
def hostile(app, make_org, make_admin, make_member):
    """A committee whose general branch, branch, groups, members, meetings and minutes carry payloads."""
    committee = make_org("测试党委", OrgKind.COMMITTEE)
    general = make_org(combined("G", 100), OrgKind.GENERAL_BRANCH, committee)
    branch = make_org(combined("B", 100), OrgKind.BRANCH, general)
    groups = [make_org(name, OrgKind.GROUP, branch) for name in payloads("O")]
    members = [make_member(branch, name, group_id=groups[index].id) for index, name in enumerate(payloads("M"))]
    db.session.add(WechatBinding(openid="openid-hostile", member_id=members[0].id, method=BindMethod.PHONE))
    now = utcnow()
    under_way = _meeting(combined("T", 100), branch, now - timedelta(minutes=10))
    for member in members:
        mark_present(under_way, member, combined("R", 200), None)
    minutes_service.save_draft(
        minutes_service.get_or_create_minutes(under_way),
        combined("N", 200),
        "\n".join(payloads("C")),
        combined("D", 200),
    )
    coming = _meeting(combined("U", 100), branch, now + timedelta(days=1))
    request_leave(coming, members[1], combined("L", 200))
    held = _meeting(combined("H", 100), branch, now - timedelta(hours=3))  # check-in closed an hour ago
    finalised = minutes_service.get_or_create_minutes(held)
    minutes_service.save_draft(finalised, combined("F", 200), "\n".join(payloads("F")), combined("E", 200))
    minutes_service.finalise(finalised)
    minutes_service.amend(finalised, combined("A", 200), "\n".join(payloads("A")), None)
    db.session.commit()
    make_admin("shuji", Role.SECRETARY, branch)
    make_admin("dangwei", Role.ORG_ADMIN, committee)
    return {
        "general": general,
        "branch": branch,
        "groups": groups,
        "members": members,
        "under_way": under_way,
        "coming": coming,
        "held": held,
    }


def _meeting(title, branch, starts_at):
    """Straight into the table: what matters here is the title and the place, not the scheduling rules."""
    meeting = add_meeting(MeetingKind.BRANCH_ASSEMBLY, branch, starts_at, title=title)
    meeting.place = combined("P", 200)
    db.session.commit()
    return meeting


def test_a_secretarys_hostile_group_name_runs_nothing_in_the_org_tree(page: Page, hostile, make_org):
    watch = Watch(page)
    # The secretary names a party group through the form, as in the report.
    login(page, "shuji", PASSWORD)
    watch.open("/admin/orgs/")
    page.locator(f"tr[data-org-id='{hostile['groups'][0].id}'] a").click()  # the organisation's own page
    renamed = "x'+alert('rename')+'"
    page.get_by_label("新名称").fill(renamed)
    page.get_by_role("button", name="改名").click()
    expect(page.locator(".flash")).to_be_visible()
    watch.assert_nothing_ran("secretary's org tree")
    page.context.clear_cookies()

    login(page, "dangwei", PASSWORD)
    watch.open("/admin/orgs/")
    tree = page.locator("table.tree")
    names = [renamed, *payloads("O")[1:], hostile["general"].name, hostile["branch"].name]
    for name in names:
        expect(tree).to_contain_text(name)  # shown as text, not swallowed as markup
    screenshot(page, "hostile-org-tree")
    for group, name in zip(hostile["groups"], [renamed, *payloads("O")[1:]], strict=True):
        watch.open(f"/admin/orgs/{group.id}")
        expect(page.locator("h2")).to_contain_text(name)
    empty = make_org(payloads("Q")[0], OrgKind.GROUP, hostile["branch"])  # no member: it may be dissolved
    watch.open(f"/admin/orgs/{empty.id}")
    watch.confirm(page.get_by_role("button", name="撤销党小组"), f"确定撤销“{empty.name}”？")  # dismissed
    watch.open("/admin/orgs/")
    expect(page.locator("table.tree")).to_contain_text(empty.name)  # nothing was dissolved
    watch.assert_nothing_ran("org tree")


def test_hostile_member_names_run_nothing_in_the_register(page: Page, hostile):
    watch = Watch(page)
    login(page, "dangwei", PASSWORD)
    watch.open("/admin/members/")
    table = page.locator("#member-table")
    for name in payloads("M"):
        expect(table).to_contain_text(name)
    watch.confirm(
        page.get_by_role("button", name="导出（含完整证件号）"),
        "导出的文件将包含完整的身份证号和手机号，并记入操作日志。请妥善保管。继续吗？",
    )
    page.get_by_placeholder("如 张三 或 zhang").fill(payloads("M")[2])  # the htmx search swaps the table
    expect(page.locator("#member-count")).to_have_text("1")
    watch.confirm(  # the confirmation still works on the swapped-in table
        page.get_by_role("button", name="导出（含完整证件号）"),
        "导出的文件将包含完整的身份证号和手机号，并记入操作日志。请妥善保管。继续吗？",
    )
    watch.assert_nothing_ran("member list")
    screenshot(page, "hostile-member-list")

    bound = hostile["members"][0]
    watch.open(f"/admin/members/{bound.id}")
    expect(page.locator("h2")).to_contain_text(bound.name)
    watch.confirm(page.get_by_role("button", name="解除微信绑定"), "确定解除微信绑定？")
    watch.assert_nothing_ran("member detail")
    screenshot(page, "hostile-member-detail")

    page.get_by_role("button", name="发放绑定邀请码").click()
    expect(page.locator("h2")).to_contain_text(bound.name)
    page.get_by_role("button", name="打印").click()
    assert page.evaluate("() => window.__printed") == 1
    watch.assert_nothing_ran("invite page")
    screenshot(page, "hostile-invite")


def test_hostile_meeting_titles_and_minutes_run_nothing(page: Page, hostile):
    watch = Watch(page)
    login(page, "dangwei", PASSWORD)
    pages = {
        "meeting list": "/admin/meetings/",
        "calendar": "/admin/meetings/calendar",
        "attendance": "/admin/meetings/attendance",
        "verification": "/admin/meetings/verify",
    }
    for where, path in pages.items():
        watch.open(path)
        watch.assert_nothing_ran(where)
        screenshot(page, f"hostile-{path.rstrip('/').rsplit('/', 1)[-1]}")
    watch.open("/admin/meetings/")
    expect(page.locator("#meeting-table")).to_contain_text(hostile["under_way"].title)

    coming = hostile["coming"]
    watch.open(f"/admin/meetings/{coming.id}")
    expect(page.locator("main")).to_contain_text(combined("L", 200))  # the member's leave reason
    watch.confirm(page.get_by_role("button", name="取消会议"), "确定取消这次会议吗？")
    watch.assert_nothing_ran("coming meeting")
    screenshot(page, "hostile-meeting-detail")
    watch.confirm(page.get_by_role("button", name="取消会议"), "确定取消这次会议吗？", accept=True)
    expect(page.locator("main")).to_contain_text("会议已取消")  # 确定 lets the form go on

    under_way = hostile["under_way"]
    watch.open(f"/admin/meetings/{under_way.id}")
    for name in payloads("M"):
        expect(page.locator("#roster")).to_contain_text(name)
    watch.assert_nothing_ran("meeting under way")

    watch.open(f"/admin/meetings/{under_way.id}/minutes")
    expect(page.locator("textarea[name=content]")).to_have_value("\n".join(payloads("C")))
    watch.confirm(page.get_by_role("button", name="定稿"), "定稿后纪要和签到记录都将锁定，不能再修改。确定定稿吗？")
    watch.assert_nothing_ran("draft minutes")
    screenshot(page, "hostile-minutes-draft")

    watch.open(f"/admin/meetings/{hostile['held'].id}/minutes")
    expect(page.locator("#finalised")).to_contain_text(payloads("F")[2])
    expect(page.locator("main")).to_contain_text(combined("A", 200))
    watch.assert_nothing_ran("finalised minutes")
    screenshot(page, "hostile-minutes-finalised")

    watch.open(f"/admin/meetings/{under_way.id}/live")
    expect(page.locator("#live-qr")).to_be_visible()
    expect(page.locator("#arrived-count")).to_have_text("6")
    for name in payloads("M"):
        expect(page.locator("#arrived-list")).to_contain_text(name)
    page.wait_for_timeout(1500)  # a few polls of the arrivals list
    watch.assert_nothing_ran("live screen")
    screenshot(page, "hostile-live")


def test_hostile_names_run_nothing_in_reports_and_the_audit_log(page: Page, hostile):
    watch = Watch(page)
    watch.open("/admin/login")
    watch.assert_nothing_ran("login page")
    screenshot(page, "login")
    login(page, "dangwei", PASSWORD)
    expect(page.locator("#chart-units svg")).to_be_visible()
    expect(page.locator("#chart-units")).to_contain_text("G'+alert")  # the axis label, drawn as text
    page.locator("#chart-units svg").hover()
    watch.assert_nothing_ran("dashboard")
    screenshot(page, "hostile-dashboard")

    watch.open("/admin/meetings/compliance")
    expect(page.locator("#matrix")).to_contain_text(hostile["branch"].name)
    page.locator("#matrix td.cell").first.hover()  # the cell's title, with the branch's name in its links
    watch.assert_nothing_ran("compliance")
    screenshot(page, "hostile-compliance")

    watch.open("/admin/audit")
    expect(page.locator("main")).to_contain_text(payloads("O")[3])
    watch.assert_nothing_ran("audit log")
    screenshot(page, "hostile-audit")

    response = page.goto(f"/admin/members/{hostile['members'][-1].id + 1000}")
    assert response is not None and response.status == 404
    watch.assert_nothing_ran("error page")
    screenshot(page, "hostile-error")
    page.get_by_role("link", name="返回上一页").click()
    page.wait_for_url("**/admin/audit")
