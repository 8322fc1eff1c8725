"""A member writes to their secretary or committee; the letter is taken on and answered; the reply reaches
the member's letters and inbox and is pushed; readers are limited to their scope."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from server.db import db
from server.mailbox.models import Letter, LetterStatus
from server.tasks import run_pending_jobs
from tests.mailbox.conftest import TEMPLATE, write


def _letter(letter_id: int) -> Letter:
    db.session.expire_all()
    return db.session.get_one(Letter, letter_id)


def test_a_letter_is_taken_on_answered_and_the_reply_reaches_the_member_and_is_pushed(
    client, tree, staff, make_writer, browser, emulator
):
    writer = make_writer(tree["a1"])
    response = write(client, writer, anonymous=True)
    assert response.status_code == 201, response.get_json()
    letter = response.get_json()
    assert letter["status"] == "received" and letter["status_label"] == "待受理" and letter["anonymous"] is True

    shuji = browser("shuji")
    queue = shuji.get("/admin/mailbox/").get_data(as_text=True)
    assert "食堂饭菜" in queue and "匿名" in queue
    assert shuji.post(f"/admin/mailbox/letters/{letter['id']}/take").status_code == 302
    assert _letter(letter["id"]).status is LetterStatus.IN_HAND
    page = shuji.post(f"/admin/mailbox/letters/{letter['id']}/reply", {"reply": "已向食堂反映，下周起改进。"})
    assert page.status_code == 302
    assert _letter(letter["id"]).status is LetterStatus.REPLIED
    run_pending_jobs()

    mine = client.get(f"/api/letters/{letter['id']}", headers=writer.headers).get_json()
    assert mine["reply"] == "已向食堂反映，下周起改进。" and mine["status_label"] == "已回复"
    inbox = client.get("/api/inbox", headers=writer.headers).get_json()
    assert [(i["kind"], i["ref_id"], i["title"]) for i in inbox["items"]] == [
        ("letter", letter["id"], "回复：食堂饭菜")
    ]
    pushed = [m for m in emulator.messages(writer.openid) if m.template_id == TEMPLATE]
    assert len(pushed) == 1 and pushed[0].page == f"pages/letter/index?id={letter['id']}"
    assert client.get("/api/inbox/unread", headers=writer.headers).get_json()["unread"] == 0  # opened: read


def test_only_the_transitions_received_in_hand_replied_are_allowed(client, tree, staff, make_writer, browser):
    writer = make_writer(tree["a1"])
    letter_id = write(client, writer).get_json()["id"]
    shuji = browser("shuji")
    refused = shuji.post(f"/admin/mailbox/letters/{letter_id}/reply", {"reply": "直接回复"}, follow_redirects=True)
    assert "请先点击“受理”" in refused.get_data(as_text=True)
    assert _letter(letter_id).status is LetterStatus.RECEIVED
    shuji.post(f"/admin/mailbox/letters/{letter_id}/take")
    again = shuji.post(f"/admin/mailbox/letters/{letter_id}/take", follow_redirects=True)
    assert "办理中，不能改为“办理中”" in again.get_data(as_text=True)
    blank = shuji.post(f"/admin/mailbox/letters/{letter_id}/reply", {"reply": "  "}, follow_redirects=True)
    assert "请填写回复内容" in blank.get_data(as_text=True)
    shuji.post(f"/admin/mailbox/letters/{letter_id}/reply", {"reply": "好的"})
    twice = shuji.post(f"/admin/mailbox/letters/{letter_id}/reply", {"reply": "再回一次"}, follow_redirects=True)
    assert "已回复，不能改为“已回复”" in twice.get_data(as_text=True)
    assert _letter(letter_id).reply == "好的"


def test_a_member_reads_only_their_own_letters(client, tree, staff, make_writer):
    writer, other = make_writer(tree["a1"]), make_writer(tree["a1"])
    letter_id = write(client, writer).get_json()["id"]
    assert client.get(f"/api/letters/{letter_id}", headers=other.headers).status_code == 404
    assert client.get("/api/letters", headers=other.headers).get_json() == {"letters": []}
    assert [x["id"] for x in client.get("/api/letters", headers=writer.headers).get_json()["letters"]] == [letter_id]


def test_committee_letters_go_to_the_top_of_the_tree_and_are_read_by_its_admins(
    client, tree, staff, make_writer, browser
):
    writer = make_writer(tree["a1"])
    to_branch = write(client, writer).get_json()
    to_committee = write(client, writer, addressee="committee", subject="项目部管理").get_json()
    assert to_branch["org_name"] == "甲一支部" and to_committee["org_name"] == "测试党委"
    assert to_committee["addressee_label"] == "党委信箱"

    def sees(username: str, letter: dict) -> int:
        return browser(username).get(f"/admin/mailbox/letters/{letter['id']}").status_code

    assert sees("shuji", to_branch) == 200 and sees("shuji", to_committee) == 404
    assert sees("zongzhi", to_branch) == 200 and sees("zongzhi", to_committee) == 404
    assert sees("dangwei", to_branch) == 200 and sees("dangwei", to_committee) == 200
    assert sees("jiaer", to_branch) == 404 and sees("jiaer", to_committee) == 404
    assert sees("weiyuan", to_branch) == 403  # the read-only 支部委员: letters are addressed to the secretary
    assert "项目部管理" not in browser("shuji").get("/admin/mailbox/").get_data(as_text=True)
    assert "食堂饭菜" not in browser("jiaer").get("/admin/mailbox/").get_data(as_text=True)


def test_a_sibling_branch_secretary_can_neither_take_nor_answer(client, tree, staff, make_writer, browser):
    letter_id = write(client, make_writer(tree["a1"])).get_json()["id"]
    jiaer = browser("jiaer")
    missing = jiaer.post(f"/admin/mailbox/letters/{letter_id}/take")
    assert missing.status_code == 404
    absent = jiaer.post("/admin/mailbox/letters/987654321/take")
    assert absent.status_code == 404 and "信件不存在" in absent.get_data(as_text=True)
    assert "信件不存在" in missing.get_data(as_text=True)  # the same answer as a letter that does not exist
    assert jiaer.post(f"/admin/mailbox/letters/{letter_id}/reply", {"reply": "越权"}).status_code == 404
    assert _letter(letter_id).status is LetterStatus.RECEIVED


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"subject": ""}, "主题应为 1 至 40 字"),
        ({"subject": "长" * 41}, "主题应为 1 至 40 字"),
        ({"body": ""}, "内容应为 1 至 2000 字"),
        ({"addressee": "president"}, None),
    ],
)
def test_a_letter_with_bad_fields_is_refused_in_chinese(client, tree, staff, make_writer, fields, message):
    response = write(client, make_writer(tree["a1"]), **fields)
    assert response.status_code == 422
    if message:
        assert message in str(response.get_json())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Letter)) == 0


def test_letters_per_day_are_limited_with_a_clear_message(app, client, tree, staff, make_writer, monkeypatch):
    monkeypatch.setitem(app.config, "MAILBOX_LETTERS_PER_DAY", 2)
    writer, neighbour = make_writer(tree["a1"]), make_writer(tree["a1"])
    assert write(client, writer, body="").status_code == 422  # refused letters cost nothing
    assert [write(client, writer).status_code for _ in range(2)] == [201, 201]
    third = write(client, writer)
    assert third.status_code == 429
    assert third.get_json()["error"] == {
        "code": "letter_limit",
        "message": "24 小时内最多写 2 封信，您已写满，请明天再写",
    }
    assert write(client, neighbour).status_code == 201  # counted per member
