"""The admin pages: compose through the form, the receipts page live and exported, remind, review, the rules,
and refusals a secretary can act on shown as messages with nothing written."""

from __future__ import annotations

import io

import sqlalchemy as sa
from openpyxl import load_workbook

from server.audit.models import AuditLog
from server.db import db
from server.notices import receipts
from server.notices.models import Notice, NoticeSettings, NoticeStatus
from server.tasks import run_pending_jobs
from tests.notices.conftest import pushes_per_reader


def _form(tree, **more):
    return {
        "org_id": str(tree["a1"].id),
        "org_ids": [str(tree["a1"].id)],
        "title": "支部党员大会",
        "when": "now",
    } | more


def test_a_secretary_sends_reminds_and_exports_through_the_pages(tree, staff, make_reader, browser, emulator):
    readers = [make_reader(tree["a1"], name=f"党员{n}") for n in range(3)]
    secretary = browser("shuji")
    page = secretary.get("/admin/notices/new").get_data(as_text=True)
    assert "甲一支部" in page and "第一党小组" in page and "党员0" in page

    reach = secretary.get(f"/admin/notices/reach?org_id={tree['a1'].id}&org_ids={tree['a1'].id}")
    assert 'id="reach-count">3<' in reach.get_data(as_text=True)

    answer = secretary.post("/admin/notices/new", _form(tree, ack_required="1", body="下午三点，三楼会议室"))
    notice = db.session.scalars(sa.select(Notice)).one()
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/admin/notices/{notice.id}")
    run_pending_jobs()
    receipts.acknowledge(readers[0].member.id, notice)
    db.session.commit()

    html = secretary.get(f"/admin/notices/{notice.id}").get_data(as_text=True)
    assert 'id="count-recipients">3<' in html and 'id="count-acked">1<' in html
    live = secretary.get(f"/admin/notices/{notice.id}/receipts?state=acked").get_data(as_text=True)
    assert "党员0" in live and "党员1" not in live and 'hx-trigger="every 5s"' in live

    assert secretary.post(f"/admin/notices/{notice.id}/remind").status_code == 302
    run_pending_jobs()
    assert pushes_per_reader(emulator, readers) == [1, 2, 2]
    flashed = secretary.get(f"/admin/notices/{notice.id}").get_data(as_text=True)
    assert "第 1 次提醒：已向 2 名未确认的党员发出提醒" in flashed

    export = secretary.get(f"/admin/notices/{notice.id}/receipts.xlsx")
    sheet = load_workbook(io.BytesIO(export.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[5][:5] == ["姓名", "所在组织", "状态", "阅读时间", "确认时间"]
    assert sorted(row[2] for row in rows[6:]) == ["已确认", "未读", "未读"]
    actions = db.session.scalars(
        sa.select(AuditLog.action).where(AuditLog.entity_type == "notice").order_by(AuditLog.id)
    )
    assert list(actions) == ["notice.create", "notice.send", "notice.update", "notice.remind", "notice.export"]

    assert "支部党员大会" in secretary.get("/admin/notices/").get_data(as_text=True)
    assert secretary.post(f"/admin/notices/{notice.id}/withdraw").status_code == 302
    db.session.expire_all()
    assert db.session.get(Notice, notice.id).status is NoticeStatus.WITHDRAWN


def test_refusals_are_messages_and_write_nothing(tree, staff, make_member, browser, app, monkeypatch):
    make_member(tree["a1"])
    secretary = browser("shuji")
    blank = secretary.post("/admin/notices/new", _form(tree, title=" "))
    assert blank.status_code == 422 and "请填写通知标题" in blank.get_data(as_text=True)
    monkeypatch.setitem(app.config, "NOTICE_DAILY_LIMIT", 1)
    assert secretary.post("/admin/notices/new", _form(tree)).status_code == 302
    limited = secretary.post("/admin/notices/new", _form(tree, title="第二条"))
    assert limited.status_code == 422 and "每个账号每天最多发送 1 条通知" in limited.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 1


def test_sending_outside_ones_scope_through_the_page_is_refused(tree, staff, make_member, browser):
    make_member(tree["a2"])
    secretary = browser("shuji")
    other_branch = secretary.post("/admin/notices/new", _form(tree, org_ids=[str(tree["a2"].id)]))
    assert other_branch.status_code == 404
    as_other = secretary.post("/admin/notices/new", _form(tree, org_id=str(tree["a2"].id)))
    assert as_other.status_code == 404 and as_other.get_data(as_text=True).count("组织不存在或已撤销")
    assert secretary.get(f"/admin/notices/reach?org_id={tree['a1'].id}&org_ids={tree['b1'].id}").status_code == 404
    assert browser("weiyuan").post("/admin/notices/new", _form(tree)).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notice)) == 0


def test_the_committee_sets_the_rules_and_reviews_on_its_page(tree, staff, make_member, browser):
    for org in ("a1", "a2"):
        make_member(tree[org])
    committee = browser("dangwei")
    page = f"/admin/notices/settings/{tree['committee'].id}"
    assert committee.post(page, {"review_above": "1", "daily_limit": ""}).status_code == 302
    assert db.session.get(NoticeSettings, tree["committee"].id).review_above == 1
    assert browser("zongzhi").get(page).status_code == 404  # above their scope
    assert browser("shuji").get(f"/admin/notices/settings/{tree['a1'].id}").status_code == 403  # not a committee
    bad = committee.post(page, {"review_above": "-3"})
    assert bad.status_code == 302 and db.session.get(NoticeSettings, tree["committee"].id).review_above == 1

    general = browser("zongzhi")
    form = _form(tree, org_id=str(tree["general_a"].id), org_ids=[str(tree["general_a"].id)], title="总支通知")
    assert general.post("/admin/notices/new", form).status_code == 302
    notice = db.session.scalars(sa.select(Notice)).one()
    assert notice.status is NoticeStatus.PENDING_REVIEW
    assert "总支通知" not in general.get("/admin/notices/review").get_data(as_text=True)
    assert general.post(f"/admin/notices/{notice.id}/approve").status_code == 403  # the author
    db.session.expire_all()
    assert db.session.get(Notice, notice.id).status is NoticeStatus.PENDING_REVIEW
    assert "总支通知" in committee.get("/admin/notices/review").get_data(as_text=True)
    assert committee.post(f"/admin/notices/{notice.id}/approve").status_code == 302
    db.session.expire_all()
    assert db.session.get(Notice, notice.id).status is NoticeStatus.SENT
