"""The monthly arrears reminder: once per member per month, even with two workers at once; consent counted."""

from __future__ import annotations

import itertools
import threading

import pytest
import sqlalchemy as sa

from server.db import db
from server.dues.ledger_models import DuesReminder, DuesReminderOutcome
from server.dues.months import add_months
from server.dues.reminders import send_reminders, status_text
from tests.dues.ledger_helpers import THIS, make_months, pay_all_but

_users = itertools.count()
FIELDS = {"amount1": "amount", "character_string2": "months", "phrase3": "status"}


@pytest.fixture(autouse=True)
def dues_template(app, emulator, monkeypatch):
    """The tests' deployment has only the meeting template (other tests count on it): add the dues
    reminder's, as mp_config/demo.json has it, for these tests only."""
    monkeypatch.setitem(emulator.state.templates, "tmpl_dues", list(FIELDS))
    templates = app.extensions["mp_config"]["subscribe_templates"]
    tpl = {"template_id": "tmpl_dues", "page": "pages/home/index", "fields": FIELDS, "fields_": FIELDS}
    monkeypatch.setitem(templates, "dues_reminder", tpl)


def _bound(tree, make_member, phone, name: str, number: str):
    member = make_member(tree["a1"], name, phone=number)
    p = phone(f"wx-dues-{next(_users)}")
    assert p.bind_phone(number).status_code == 200
    return member, p


def _behind(member, months: int) -> None:
    pay_all_but(member, months)


def test_members_behind_three_months_are_reminded_once_a_month(rules, tree, make_member, phone, emulator):
    three, p3 = _bound(tree, make_member, phone, "张三", "13700000001")
    two, p2 = _bound(tree, make_member, phone, "李二", "13700000002")
    seven, p7 = _bound(tree, make_member, phone, "王七", "13700000003")
    unbound = make_member(tree["a1"], "赵四")
    make_months(9)
    for member, months in ((three, 3), (two, 2), (seven, 7), (unbound, 4)):
        _behind(member, months)
    for p in (p3, p2, p7):
        emulator.grant_subscription(p.user, ["tmpl_dues"])

    counts = send_reminders()
    assert (counts["sent"], counts["no_wechat"]) == (2, 1)
    assert emulator.messages(emulator.openid(p2.user)) == []
    (message,) = emulator.messages(emulator.openid(p3.user))
    assert message.template_id == "tmpl_dues"
    assert message.data["character_string2"] == f"{add_months(THIS, -3):%Y-%m}~{add_months(THIS, -1):%Y-%m}"
    assert message.data["phrase3"] == status_text(3) == "请尽快缴纳"
    (flagged,) = emulator.messages(emulator.openid(p7.user))
    assert flagged.data["phrase3"] == "已满六个月"

    emulator.grant_subscription(p3.user, ["tmpl_dues"])
    assert sum(send_reminders().values()) == 0  # the same month again: nobody
    assert len(emulator.messages(emulator.openid(p3.user))) == 1
    assert sum(send_reminders(add_months(THIS, 1)).values()) == 4  # next month: again, once
    assert len(emulator.messages(emulator.openid(p3.user))) == 2


def test_two_workers_at_once_remind_each_member_once(app, rules, tree, make_member, phone, emulator):
    people = [_bound(tree, make_member, phone, f"党员{n}", f"1370000{n:04d}") for n in range(10, 22)]
    make_months(5)
    for member, p in people:
        _behind(member, 4)
        emulator.grant_subscription(p.user, ["tmpl_dues", "tmpl_dues"])
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def run(index: int) -> None:
        with app.app_context():
            try:
                barrier.wait(10)
                outcomes[index] = send_reminders()
            except Exception as exc:  # reported to the test
                outcomes[index] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(isinstance(outcome, dict) for outcome in outcomes), outcomes
    assert sum(outcome["sent"] for outcome in outcomes) == len(people)
    for _, p in people:
        assert len(emulator.messages(emulator.openid(p.user))) == 1
    claims = db.session.scalars(sa.select(DuesReminder.outcome)).all()
    assert claims == [DuesReminderOutcome.SENT] * len(people)


def test_the_arrears_page_shows_each_members_last_reminder_and_what_became_of_it(
    rules, tree, make_member, make_admin, browser, phone, emulator
):
    from server.auth.models import Role

    reminded, p = _bound(tree, make_member, phone, "张三", "13700000011")
    refused, _ = _bound(tree, make_member, phone, "李四", "13700000012")  # never tapped 开启
    unbound = make_member(tree["a1"], "赵五")
    make_months(5)
    for member in (reminded, refused, unbound):
        _behind(member, 4)
    emulator.grant_subscription(p.user, ["tmpl_dues"])
    make_admin("shuji", Role.SECRETARY, tree["a1"])
    before = _rows(browser("shuji"))
    assert all("还没有提醒" in before[name] for name in ("张三", "李四", "赵五"))

    send_reminders()
    after = _rows(browser("shuji"))
    assert "已发送" in after["张三"]
    assert "未发送：党员未开启党费提醒" in after["李四"]
    assert "未发送：未绑定微信" in after["赵五"]
    db.session.execute(sa.update(DuesReminder).values(outcome=DuesReminderOutcome.UNCERTAIN))  # older months too
    db.session.commit()
    assert "可能已发送" in _rows(browser("shuji"))["张三"]


def _rows(admin) -> dict[str, str]:
    """The arrears page's member rows as text, by the member's name."""
    import re

    html = admin.get("/admin/dues/arrears").get_data(as_text=True)
    table = html.split('id="arrears-members"')[1].split("</table>")[0]
    rows = [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)) for row in re.findall(r"<tr.*?</tr>", table, re.S)]
    return {row.split()[0]: row for row in rows[1:]}
