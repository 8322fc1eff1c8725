"""Every audit entry carries the organisation it belongs to, so the secretary of that branch finds it on
their audit page and a sibling branch's secretary does not.

The organisation must come from the row's own columns: whether a relationship happened to be loaded
when the row was flushed depends on the code path, and an entry written without an organisation is
visible to the superadmin only.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.audit.context import Actor, acting_as
from server.audit.models import AuditLog
from server.audit.readable import LABEL_TABLES, _label, _names
from server.auth.models import Role
from server.db import db, utcnow
from server.dues import bills
from server.dues.models import DuesBill
from server.dues.months import add_months, current_month
from server.dues.payment_models import DuesPayment, DuesRefund
from server.dues.rules import ensure_rules_2008
from server.newspaper import workflow
from server.newspaper.models import Narrowing
from server.quizzes import banks
from server.quizzes.models import Quiz, QuizKind


def audit_rows(admin_browser) -> list[str]:
    """The audit pages' rows as plain text, one string a row, every page (the history fills more than one)."""
    found: list[str] = []
    for page in range(1, 20):
        html = admin_browser.get(f"/admin/audit?page={page}").get_data(as_text=True)
        rows = re.findall(r"<tr>(.*?)</tr>", html, flags=re.S)
        found += [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)) for row in rows]
        if f'page={page + 1}"' not in html:
            break
    return found


def shown_as(entity_label: str) -> str:
    """The stored label as the page shows it: "meeting #3 member #12" → "主题党日 张三"."""
    return _label(entity_label, _names({table: set(range(1, 1000)) for table in LABEL_TABLES.values()}))


def shows(rows: list[str], action_label: str, entity_label: str) -> bool:
    label = shown_as(entity_label)
    return any(action_label in row and label in row for row in rows)


@pytest.fixture
def branch_history(tree, make_admin, make_member, make_meeting, browser, phone, token_for):
    """The branch 甲一's secretary at work, through the pages and the phone as in real life.

    Returns (action label, entity label) of one entry per audited kind of row. The sibling branch 甲二
    has its own secretary, who must see none of them.
    """
    writer = make_admin("shuji_a1", Role.SECRETARY, tree["a1"])
    make_admin("shuji_a2", Role.SECRETARY, tree["a2"])
    make_admin("zongzhi_a", Role.ORG_ADMIN, tree["general_a"])
    secretary = browser("shuji_a1")
    entries = {"admin_user": ("新建管理账号", "shuji_a1")}

    secretary.post("/admin/orgs/", {"name": "第二党小组", "kind": "group", "parent_id": tree["a1"].id})
    entries["organisation"] = ("新建组织", "第二党小组")

    member = make_member(tree["a1"], "张三")
    entries["member"] = ("新增党员", "张三")

    html = secretary.post(f"/admin/members/{member.id}/invite").get_data(as_text=True)
    code = re.search(r'id="invite-code">([A-Z0-9]+)<', html).group(1)
    entries["invite_code"] = ("发放绑定邀请码", f"member #{member.id}")
    assert phone("wx-zhangsan").bind_invite(code, "张三").status_code == 200
    secretary.post(f"/admin/members/{member.id}/unbind")
    entries["wechat_binding"] = ("解除微信绑定", f"member #{member.id}")

    upcoming = make_meeting(tree["a1"], starts_in=timedelta(days=1), title="下周支部党员大会")
    entries["meeting"] = ("安排会议", "下周支部党员大会")
    asked = phone("wx-zhangsan")
    asked.token = token_for(member)
    leave_id = asked.post(f"/api/meetings/{upcoming.id}/leave", json={"reason": "在工地值班"}).get_json()["id"]
    secretary.post(f"/admin/meetings/{upcoming.id}/leave/{leave_id}", {"decision": "approve"})
    entries["leave_request"] = ("审批请假", f"meeting #{upcoming.id} member #{member.id}")

    held = make_meeting(tree["a1"], starts_in=-timedelta(hours=5), title="上周主题党日")
    elder = make_member(tree["a1"], "李四")
    secretary.post(f"/admin/meetings/{held.id}/manual", {"member_id": elder.id, "reason": "年长党员，无智能手机"})
    entries["attendance"] = ("代为签到", f"meeting #{held.id} member #{elder.id}")

    minutes = f"/admin/meetings/{held.id}/minutes"
    secretary.get(minutes)
    secretary.post(minutes, {"topic": "学习党章", "content": "集体学习党章第一章。", "action": "finalise"})
    entries["minutes"] = ("修改或定稿会议纪要", "学习党章")
    secretary.post(f"{minutes}/amend", {"reason": "漏记一项决议", "content": "补充：下月开展志愿服务。"})
    entries["minutes_amendment"] = ("补正会议纪要", "漏记一项决议")

    # The newspaper's admin pages build on these services; the account is the actor as in a request.
    with acting_as(Actor("admin", writer.id, writer.display_name)):
        issue = workflow.create_issue(writer, tree["a1"], "安全生产专刊")
        workflow.add_article(writer, issue, title="节前安全大检查", body_html="<p>检查覆盖全部工区。</p>")
        workflow.set_audience(writer, issue, [(tree["a1"].id, Narrowing.ALL)])
        db.session.commit()
    entries["news_issue"] = ("新建手机报", "第1期 安全生产专刊")
    entries["news_article"] = ("新增手机报文章", "节前安全大检查")
    entries["news_audience"] = ("设置手机报发送范围", f"issue #{issue.id} → org #{tree['a1'].id}")

    # The quiz builder's writes, as the admin pages make them.
    with acting_as(Actor("admin", writer.id, writer.display_name)):
        bank = banks.create_bank(tree["a1"], "党章题库", "", writer.id)
        clean = banks.clean_question("单选", "党的最高理想是什么？", ["实现共产主义", "其他"], "A", "", "")
        banks.add_question(bank, clean)
        opens = utcnow()
        quiz = Quiz(org=tree["a1"], kind=QuizKind.PRACTICE, title="每日一练", draw_count=5, opens_at=opens)
        quiz.closes_at = quiz.time_limit_s = quiz.attempts_allowed = quiz.pass_mark = quiz.per_question_s = None
        quiz.banks = [bank]
        db.session.add(quiz)
        db.session.commit()
    entries["question_bank"] = ("新建题库", "党章题库")
    entries["question"] = ("新增题目", "党的最高理想是什么？")
    entries["quiz"] = ("新建答题", "每日一练")

    # A notice to the branch, through the page.
    notice_form = {"org_id": tree["a1"].id, "org_ids": [tree["a1"].id], "title": "支部党员大会通知", "when": "now"}
    secretary.post("/admin/notices/new", notice_form)
    entries["notice"] = ("新建通知", "支部党员大会通知")
    entries["notice_target"] = ("设置通知对象", f"→ {tree['a1'].name}")

    moved = make_member(tree["a1"], "王五")
    browser("zongzhi_a").post(f"/admin/members/{moved.id}/move", {"org_id": tree["a2"].id, "reason": "工作调动"})
    entries["member_transfer"] = ("组织关系转移", f"member #{moved.id}")

    entries |= _dues_history(tree, secretary, make_member)
    entries |= _mailbox_history(tree, secretary, member, phone, token_for)
    return entries


def _mailbox_history(tree, secretary, member, phone, token_for) -> dict[str, tuple[str, str]]:
    """A member's anonymous letter taken on by the secretary; a board post hidden; the board moderated first."""
    writer = phone("wx-zhangsan")
    writer.token = token_for(member)
    letter = {"addressee": "secretary", "subject": "食堂", "body": "饭菜太咸", "anonymous": True}
    letter_id = writer.post("/api/letters", json=letter).get_json()["id"]
    secretary.post(f"/admin/mailbox/letters/{letter_id}/take")
    post_id = writer.post("/api/board", json={"body": "大家好"}).get_json()["id"]
    secretary.post(f"/admin/mailbox/board/posts/{post_id}/hide")
    secretary.post("/admin/mailbox/board/settings", {"org_id": tree["a1"].id, "premoderation": "1"})
    return {
        "letter": ("受理来信", "来信：食堂"),
        "board_post": ("隐藏留言", "留言：大家好"),
        "mailbox_settings": ("设置信箱与留言板", "信箱与留言板设置"),
    }


def _dues_history(tree, secretary, make_member) -> dict[str, tuple[str, str]]:
    """The branch secretary's dues writes, through the pages: a base, the branch's settings, a back-payment
    approval, a cash payment, the remittance of it, and its reversal (a reversing refund row)."""
    ensure_rules_2008()
    payer = make_member(tree["a1"], "孙六")
    this = current_month()
    member_page = f"/admin/dues/members/{payer.id}"
    secretary.post(f"{member_page}/base", {"effective_month": f"{this:%Y-%m}", "base_yuan": "4000"})
    secretary.post(f"/admin/dues/settings/{tree['a1'].id}", {"farmer_yuan": "0.50"})
    secretary.post(f"{member_page}/backpay", {"from_month": f"{add_months(this, -12):%Y-%m}", "reason": "长期外派"})
    bills.generate_bills(this, member_ids=[payer.id])
    db.session.commit()
    bill = db.session.scalar(sa.select(DuesBill).where(DuesBill.member_id == payer.id))
    secretary.post(f"{member_page}/payments", {"bill_id": str(bill.id), "channel": "cash", "receipt_no": "XJ001"})
    payment = db.session.scalar(sa.select(DuesPayment).where(DuesPayment.member_id == payer.id))
    month = f"{this:%Y-%m}"
    remit = {"org_id": tree["a1"].id, "first_month": month, "last_month": month, "amount_yuan": "0.01"}
    secretary.post("/admin/dues/remittances", remit)
    secretary.post(f"/admin/dues/payments/{payment.id}/reverse", {"reason": "登记错了"})
    refund = db.session.scalar(sa.select(DuesRefund).where(DuesRefund.payment_id == payment.id))
    return {
        "dues_base": ("设置缴费基数", f"member #{payer.id} {month}"),
        "dues_settings": ("设置支部党费事项", f"org #{tree['a1'].id}"),
        "dues_backpay_approval": ("批准超期补缴", f"member #{payer.id} 补缴至"),
        "dues_payment": ("新建缴费记录", payment.out_trade_no),
        "dues_remittance": ("登记上缴", f"org #{tree['a1'].id} → #{tree['general_a'].id}"),
        "dues_refund": ("新建退款记录", refund.out_refund_no),
    }


#: audited rows no branch writes: the national dues rules, whose entries are the superadmin's alone, and a
#: committee's rules for notices, whose entries are the committee's
NOT_A_BRANCHS = {"dues_rule", "notice_settings"}


def audited_kinds() -> list[str]:
    """Read when the test runs, once the app has imported every model (at collection time only the models
    some test module happened to import would be there)."""
    return sorted(
        {
            mapper.class_.__audit_entity__
            for mapper in db.Model.registry.mappers
            if getattr(mapper.class_, "__audited__", False)
        }
        - NOT_A_BRANCHS
    )


def test_every_entry_is_seen_by_its_branch_and_its_general_branch_and_not_by_a_sibling(branch_history, browser):
    # A new audited model fails here until its write joins the history above.
    assert sorted(branch_history) == audited_kinds()
    orphans = db.session.execute(
        sa.select(AuditLog.action, AuditLog.entity_label).where(
            AuditLog.org_id.is_(None), AuditLog.entity_type.not_in(NOT_A_BRANCHS)
        )
    )
    assert orphans.all() == []

    # Logins are slow (Argon2), so each page is read once and every kind checked against it.
    branch, sibling, general = (audit_rows(browser(name)) for name in ("shuji_a1", "shuji_a2", "zongzhi_a"))
    missing = [kind for kind, entry in branch_history.items() if not shows(branch, *entry)]
    leaked = [kind for kind, entry in branch_history.items() if shows(sibling, *entry)]
    above = [kind for kind, entry in branch_history.items() if not shows(general, *entry)]
    assert (missing, leaked, above) == ([], [], [])

    # A member moved to 甲二: the receiving branch sees the member arrive, the sending one the transfer.
    assert shows(sibling, "修改党员信息", "王五")


def test_moving_a_party_group_to_another_branch_is_recorded(tree, make_admin, browser):
    # The service reassigns the relationship (``org.parent = …``): the new key reaches the column only
    # inside the flush, and used to leave no trace at all.
    make_admin("zongzhi_a", Role.ORG_ADMIN, tree["general_a"])
    group = tree["a1_group"]
    browser("zongzhi_a").post(f"/admin/orgs/{group.id}/move", {"parent_id": tree["a2"].id})
    moved = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "organisation.update"))
    assert (moved.before, moved.after) == ({"parent_id": tree["a1"].id}, {"parent_id": tree["a2"].id})
