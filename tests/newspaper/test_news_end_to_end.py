"""The mobile newspaper end to end on the embedded default, as new users would meet it: a secretary writes an issue
in the admin and a colleague approves and publishes it; a member who tapped 订阅手机报推送 on the mini-program's
消息 page gets WeChat's message (recorded by the emulator) and the issue in 消息, reads an article to the end,
likes and forwards it; a colleague opens the forward; the statistics show the read, the like and the forward.

The member's side is the mini-program's own client and page logic run by jest in node
(miniprogram/tests/news.contract.test.js) against this live server and the emulator's simulated phone."""

from __future__ import annotations

import io
import json
import re
import uuid

from server.tasks import run_pending_jobs
from tests.jest_contract import run_phase
from tests.newspaper.admin_helpers import issue_id_of, picture
from tests.newspaper.conftest import TEMPLATE

SPEC = "miniprogram/tests/news.contract.test.js"


def _jest(phase: str, env: dict[str, str]) -> str:
    return run_phase(SPEC, phase, env)


def _figures(html: str, prefix: str) -> dict[str, str]:
    return dict(re.findall(rf'id="{prefix}-([a-z-]+)">([^<]*)<', html))


def test_a_secretary_writes_a_colleague_publishes_and_a_subscribed_member_reads_it_on_the_phone(
    live_server, emulator, tree, staff, make_member, browser
):
    suffix = uuid.uuid4().hex[:8]  # the emulator's users outlive one test
    people = {}
    for role, name, number in (("reader", "孙读报", "13700000201"), ("colleague", "周同事", "13700000202")):
        make_member(tree["a1"], name, phone=number)
        people[role] = {"user": f"wx-news-e2e-{role}-{suffix}", "phone": number, "name": name}
    make_member(tree["a2"], "吴邻支")  # a sibling branch: not in the audience
    env = {
        "CONTRACT_SERVER": live_server,
        "CONTRACT_EMULATOR": emulator.base_url,
        "CONTRACT_TEMPLATES": json.dumps({"newspaper_issue": TEMPLATE}),
        "CONTRACT_NEWS": json.dumps(people, ensure_ascii=False),
    }
    assert "1 passed" in _jest("the document", env)
    assert "2 passed" in _jest("before the issue", env)
    reader = emulator.openid(people["reader"]["user"])
    assert emulator.state.quota(reader, TEMPLATE) == 1  # WeChat holds the tap

    # The secretary writes it in the admin; a colleague of the branch approves and publishes it.
    secretary = browser("shuji")
    created = secretary.post("/admin/newspaper/new", {"org_id": tree["a1"].id, "title": "安全生产专刊", "number": ""})
    assert created.status_code == 302
    issue_id = issue_id_of(created)
    article = {"title": "节前安全大检查", "summary": "覆盖全部工区", "body_html": "<p>支部组织党员开展安全大检查。</p>"}
    cover = {"cover": (io.BytesIO(picture()), "封面.jpg")}
    added = secretary.post(
        f"/admin/newspaper/{issue_id}/articles/new", article | cover, content_type="multipart/form-data"
    )
    assert added.status_code == 302
    audience = {"org_ids": tree["a1"].id, f"narrowing-{tree['a1'].id}": "all"}
    assert secretary.post(f"/admin/newspaper/{issue_id}/audience", audience).status_code == 302
    assert secretary.post(f"/admin/newspaper/{issue_id}/submit").status_code == 302
    colleague = browser("fushuji")
    assert colleague.post(f"/admin/newspaper/{issue_id}/approve", {"note": "同意"}).status_code == 302
    assert colleague.post(f"/admin/newspaper/{issue_id}/publish", {"when": "now"}).status_code == 302
    run_pending_jobs()  # the delivery and the push, as the worker would run them

    [message] = emulator.messages(reader)
    assert (message.template_id, message.page) == (TEMPLATE, f"pages/news-issue/index?id={issue_id}")
    assert message.data["thing1"].startswith("第1期 安全生产专刊")
    assert emulator.messages(emulator.openid(people["colleague"]["user"])) == []  # never tapped 订阅
    progress = _figures(colleague.get(f"/admin/newspaper/{issue_id}/progress/counts").get_data(as_text=True), "count")
    assert (progress["inbox"], progress["pushed"], progress["no-quota"], progress["read"]) == ("2", "1", "1", "0")

    env["CONTRACT_NEWS"] = json.dumps(people | {"issue": {"id": issue_id, "number": 1, "title": "安全生产专刊"}})
    assert "2 passed" in _jest("after the issue", env)

    stats = _figures(colleague.get(f"/admin/newspaper/{issue_id}/stats").get_data(as_text=True), "stat")
    # both opened it (the colleague through the forward), the reader read to the end and liked it
    assert {key: stats[key] for key in ("inbox", "read", "finished", "likes", "forwards")} == {
        "inbox": "2",
        "read": "2",
        "finished": "1",
        "likes": "1",
        "forwards": "1",
    }
    page = colleague.get(f"/admin/newspaper/{issue_id}/stats").get_data(as_text=True)
    assert "经转发阅读 1" in page  # the colleague's open, counted for the reader
