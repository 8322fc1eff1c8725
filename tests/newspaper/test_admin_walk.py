"""The walk a branch secretary takes in the admin: a new issue, an article with a cover, the audience with its
reach shown before saving, submitted; a colleague approves and publishes; the progress page counts the
inboxes, the pushes and the reads as they happen."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from server.audit.models import AuditLog
from server.db import db
from server.inbox.models import InboxItem
from server.newspaper import images
from server.newspaper.models import IssueStatus, NewsIssue
from server.tasks import run_pending_jobs
from tests.newspaper.admin_helpers import flash_of, issue_id_of, opened, picture


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_a_secretary_writes_a_colleague_approves_and_the_progress_counts_it(
    browser, tree, staff, make_reader, make_member, emulator
):
    subscribed = make_reader(tree["a1"], consent=1)
    make_reader(tree["a1"], consent=0)  # bound, never tapped 订阅: no quota
    unbound = make_reader(tree["a1"], bound=False)
    make_member(tree["a2"])  # another branch: not reached
    secretary = browser("shuji")

    listing = secretary.get("/admin/newspaper/")
    assert listing.status_code == 200 and "还没有期刊" in _text(listing)
    created = secretary.post("/admin/newspaper/new", {"org_id": tree["a1"].id, "title": "安全生产专刊", "number": ""})
    assert created.status_code == 302
    issue_id = issue_id_of(created)
    issue = db.session.get(NewsIssue, issue_id)
    assert (issue.number, issue.status, issue.author_id) == (1, IssueStatus.DRAFT, staff.secretary.id)

    body = '<p onclick="steal()">检查覆盖全部工区。</p><script>alert(1)</script><a href="javascript:alert(1)">看</a>'
    form = {"title": "节前安全大检查", "summary": "覆盖全部工区", "body_html": body}
    cover = {"cover": (io.BytesIO(picture()), "封面.jpg")}
    added = secretary.post(
        f"/admin/newspaper/{issue_id}/articles/new", form | cover, content_type="multipart/form-data"
    )
    assert added.status_code == 302
    db.session.expire_all()
    [article] = issue.articles
    assert article.body_html == '<p>检查覆盖全部工区。</p><a rel="noopener noreferrer">看</a>'
    assert images.path_of(article.cover) is not None

    reach = secretary.get(f"/admin/newspaper/{issue_id}/reach?org_ids={tree['a1'].id}&narrowing-{tree['a1'].id}=all")
    assert re.search(r'id="reach-count">3<', _text(reach))
    saved = secretary.post(
        f"/admin/newspaper/{issue_id}/audience", {"org_ids": tree["a1"].id, f"narrowing-{tree['a1'].id}": "all"}
    )
    assert saved.status_code == 302
    assert "共 3 名党员" in flash_of(secretary, f"/admin/newspaper/{issue_id}")
    assert secretary.post(f"/admin/newspaper/{issue_id}/submit").status_code == 302
    db.session.expire_all()
    assert issue.status is IssueStatus.SUBMITTED

    colleague = browser("fushuji")
    queue = _text(colleague.get("/admin/newspaper/review"))
    assert "安全生产专刊" in queue and "没有等待您审核" not in queue
    assert "没有等待您审核" in _text(secretary.get("/admin/newspaper/review"))  # not the author's own
    assert colleague.post(f"/admin/newspaper/{issue_id}/approve", {"note": "同意"}).status_code == 302
    published = colleague.post(f"/admin/newspaper/{issue_id}/publish", {"when": "now"})
    assert published.status_code == 302
    db.session.expire_all()
    assert issue.status is IssueStatus.PUBLISHED and issue.reviewer_id == staff.colleague.id

    waiting = _text(colleague.get(f"/admin/newspaper/{issue_id}/progress/counts"))
    assert 'hx-trigger="every 2s"' in waiting  # delivering: polled every two seconds
    run_pending_jobs()
    assert len(emulator.messages(subscribed.openid)) == 1
    opened(unbound.member, issue)
    db.session.commit()

    counts = _text(colleague.get(f"/admin/newspaper/{issue_id}/progress/counts"))
    figures = dict(re.findall(r'id="count-([a-z-]+)">(\d+)<', counts))
    assert figures == {
        "recipients": "3",
        "inbox": "3",
        "pushed": "1",
        "waiting": "0",
        "no-quota": "1",
        "failed": "0",
        "uncertain": "0",
        "unbound": "1",
        "read": "1",
    }
    assert 'hx-trigger="every 30s"' in counts and "已全部送达" in counts
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InboxItem)) == 3
    page = _text(colleague.get(f"/admin/newspaper/{issue_id}/progress"))
    assert 'id="count-inbox">3<' in page

    steps = db.session.execute(
        sa.select(AuditLog.action, AuditLog.actor_name)
        .where(AuditLog.entity_type == "news_issue", AuditLog.actor_name != "系统")  # the job's delivered_at
        .order_by(AuditLog.id)
    ).all()
    assert [tuple(step) for step in steps] == [
        ("news_issue.create", "王书记"),
        ("news_issue.submit", "王书记"),
        ("news_issue.approve", "李副书记"),
        ("news_issue.publish", "李副书记"),
    ]
