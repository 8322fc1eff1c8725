"""The demo shows the mailbox with something real: an anonymous letter waiting, one answered, one overdue, posts."""

from __future__ import annotations


def test_the_demo_branch_has_letters_in_each_state_and_a_board(demo, browser):
    shuji = browser("shuji1", demo["shuji1"])
    queue = shuji.get("/admin/mailbox/").get_data(as_text=True)
    assert "夜班工友的就餐问题" in queue and "建议把党课放到周五下午" in queue and "匿名" in queue
    assert "分包单位拖欠农民工工资" not in queue  # the committee's letter
    board = shuji.get("/admin/mailbox/board").get_data(as_text=True)
    assert "义务植树" in board and "已隐藏" in board
    committee = browser("dangwei", demo["dangwei"]).get("/admin/mailbox/").get_data(as_text=True)
    assert "有 1 封来信超过回复时限仍未回复" in committee and 'class="mail-row--overdue"' in committee
    stats = browser("dangwei", demo["dangwei"]).get("/admin/mailbox/stats").get_data(as_text=True)
    assert "共收到来信 <strong>3</strong> 封，已回复 <strong>1</strong> 封" in stats
