"""Letters left unanswered past the reply time their committee set are flagged by the periodic job and shown
first, highlighted, in the queue; the nearest organisation's setting wins; only committees set it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from server.db import db, utcnow
from server.mailbox.models import Letter, MailboxSettings
from server.mailbox.tasks import flag_overdue_letters
from tests.mailbox.conftest import write


def _age(letter_id: int, days: float) -> None:
    db.session.execute(
        sa.update(Letter).where(Letter.id == letter_id).values(received_at=utcnow() - timedelta(days=days))
    )
    db.session.commit()


def test_unanswered_letters_are_flagged_after_the_default_week_and_listed_first(
    client, tree, staff, make_writer, browser
):
    writer = make_writer(tree["a1"])
    old, fresh = (write(client, writer, subject=s).get_json()["id"] for s in ("老问题", "新问题"))
    _age(old, 8)
    _age(fresh, 6)
    assert flag_overdue_letters() == [old]
    assert flag_overdue_letters() == []  # once
    html = browser("shuji").get("/admin/mailbox/").get_data(as_text=True)
    assert "有 1 封来信超过回复时限仍未回复" in html
    rows = html.split('id="letter-table"')[1]
    assert rows.index("老问题") < rows.index("新问题")  # flagged first although older
    assert 'class="mail-row--overdue"' in rows and "超时未回复" in rows
    only = browser("shuji").get("/admin/mailbox/?overdue=1").get_data(as_text=True).split('id="letter-table"')[1]
    assert "老问题" in only and "新问题" not in only


def test_the_committee_sets_the_time_and_a_general_branch_may_shorten_it_below(
    client, tree, staff, make_writer, browser
):
    a1, b1 = make_writer(tree["a1"]), make_writer(tree["b1"])
    in_a, in_b = write(client, a1).get_json()["id"], write(client, b1).get_json()["id"]
    _age(in_a, 4)
    _age(in_b, 4)
    dangwei = browser("dangwei")
    dangwei.post("/admin/mailbox/settings", {"org_id": tree["committee"].id, "reply_days": "10"})
    assert flag_overdue_letters() == []
    zongzhi = browser("zongzhi")
    done = zongzhi.post(
        "/admin/mailbox/settings", {"org_id": tree["general_a"].id, "reply_days": "3"}, follow_redirects=True
    )
    assert "甲党总支及下级组织的来信 3 天内未回复将被标记" in done.get_data(as_text=True)
    assert flag_overdue_letters() == [in_a]  # 甲's 3 days; 乙 keeps the committee's 10
    days = db.session.execute(
        sa.select(MailboxSettings.org_id, MailboxSettings.reply_days).order_by(MailboxSettings.org_id)
    )
    assert days.all() == [(tree["committee"].id, 10), (tree["general_a"].id, 3)]


def test_a_branch_secretary_cannot_set_the_reply_time_and_bad_values_are_refused(tree, staff, browser):
    shuji = browser("shuji")
    refused = shuji.post(
        "/admin/mailbox/settings", {"org_id": tree["a1"].id, "reply_days": "30"}, follow_redirects=True
    )
    assert "回复时限由党委或党总支设定" in refused.get_data(as_text=True)
    assert (
        shuji.post("/admin/mailbox/settings", {"org_id": tree["committee"].id, "reply_days": "30"}).status_code == 404
    )
    bad = browser("dangwei").post(
        "/admin/mailbox/settings", {"org_id": tree["committee"].id, "reply_days": "365"}, follow_redirects=True
    )
    assert "回复时限应为 1 至 90 天" in bad.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MailboxSettings)) == 0
