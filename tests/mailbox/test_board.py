"""The branch board: members post and see their own branch's visible posts; the secretary hides and restores,
and may choose to approve posts before they show; posts per day are limited."""

from __future__ import annotations

from tests.bound_members import BoundMember


def _post(client, writer: BoundMember, body: str):
    return client.post("/api/board", json={"body": body}, headers=writer.headers)


def _bodies(client, writer: BoundMember) -> list[str]:
    return [p["body"] for p in client.get("/api/board", headers=writer.headers).get_json()["posts"]]


def test_members_see_the_visible_posts_of_their_own_branch_only(client, tree, staff, make_writer):
    a, a_too, b = make_writer(tree["a1"]), make_writer(tree["a1"]), make_writer(tree["b1"])
    assert _post(client, a, "周六义务劳动，欢迎参加").status_code == 201
    assert _post(client, b, "乙一的留言").status_code == 201
    board = client.get("/api/board", headers=a_too.headers).get_json()
    assert board["branch_name"] == "甲一支部" and [p["body"] for p in board["posts"]] == ["周六义务劳动，欢迎参加"]
    assert board["posts"][0]["author"] == a.member.name and board["posts"][0]["mine"] is False
    assert _bodies(client, b) == ["乙一的留言"]


def test_the_secretary_hides_and_restores_a_post_and_a_sibling_cannot(client, tree, staff, make_writer, browser):
    a, reader = make_writer(tree["a1"]), make_writer(tree["a1"])
    post_id = _post(client, a, "不当言论").get_json()["id"]
    assert browser("jiaer").post(f"/admin/mailbox/board/posts/{post_id}/hide").status_code == 404
    assert browser("weiyuan").post(f"/admin/mailbox/board/posts/{post_id}/hide").status_code == 403
    shuji = browser("shuji")
    assert "留言已隐藏" in shuji.post(f"/admin/mailbox/board/posts/{post_id}/hide", follow_redirects=True).get_data(
        as_text=True
    )
    assert _bodies(client, reader) == [] and _bodies(client, a) == []
    again = shuji.post(f"/admin/mailbox/board/posts/{post_id}/hide", follow_redirects=True)
    assert "这条留言已隐藏，无需再操作" in again.get_data(as_text=True)
    shuji.post(f"/admin/mailbox/board/posts/{post_id}/show")
    assert _bodies(client, reader) == ["不当言论"]


def test_a_branch_that_moderates_first_shows_a_post_once_approved(client, tree, staff, make_writer, browser):
    shuji = browser("shuji")
    shuji.post("/admin/mailbox/board/settings", {"org_id": tree["a1"].id, "premoderation": "1"})
    a, reader = make_writer(tree["a1"]), make_writer(tree["a1"])
    posted = _post(client, a, "建议增加学习资料").get_json()
    assert posted["status"] == "pending"
    assert _bodies(client, a) == ["建议增加学习资料"]  # the author sees it waiting
    assert _bodies(client, reader) == []
    page = shuji.get("/admin/mailbox/board").get_data(as_text=True)
    assert "有 1 条留言等待审核" in page and "建议增加学习资料" in page
    shuji.post(f"/admin/mailbox/board/posts/{posted['id']}/show")
    assert _bodies(client, reader) == ["建议增加学习资料"]
    assert (
        browser("jiaer")
        .post("/admin/mailbox/board/settings", {"org_id": tree["a1"].id, "premoderation": "0"})
        .status_code
        == 404
    )


def test_posts_per_day_are_limited_with_a_clear_message(app, client, tree, staff, make_writer, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_POSTS_PER_DAY", 1)
    a = make_writer(tree["a1"])
    assert _post(client, a, "第一条").status_code == 201
    refused = _post(client, a, "第二条")
    assert refused.status_code == 429
    assert refused.get_json()["error"]["message"] == "24 小时内最多留言 1 条，您已达到上限，请明天再来"
