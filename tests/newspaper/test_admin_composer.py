"""Composing an issue in the admin: articles with covers and inline images, the phone preview cleaned as the body
will be stored, the order of articles, removing an article or a whole draft — each change audited."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa
from PIL import Image

from server.audit.models import AuditLog
from server.db import db
from server.newspaper import images, workflow
from server.newspaper.models import Narrowing, NewsArticle, NewsAudience, NewsIssue
from tests.hostile_files import UnreadableBody
from tests.newspaper.admin_helpers import flash_of, picture
from tests.newspaper.conftest import draft


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_an_inline_image_is_resized_stored_and_given_back_as_its_address(browser, tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    secretary = browser("shuji")
    upload = {"image": (io.BytesIO(picture(2400, 1200, "PNG")), "现场.png")}
    answer = secretary.post(f"/admin/newspaper/{issue.id}/images", upload, content_type="multipart/form-data")
    assert answer.status_code == 201
    url = answer.get_json()["url"]
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "news_issue.image_upload"))
    assert entry.org_id == tree["a1"].id and entry.after == {"image": answer.get_json()["name"]}
    assert re.fullmatch(r"/media/news/[0-9a-f]{32}\.jpg", url)
    served = secretary.get(url)
    with Image.open(io.BytesIO(served.get_data())) as image:
        assert image.size == (1080, 540)
    served.close()

    gif = {"image": (io.BytesIO(b"GIF89a" + b"\0" * 64), "动图.gif")}
    refused = secretary.post(f"/admin/newspaper/{issue.id}/images", gif, content_type="multipart/form-data")
    assert refused.status_code == 400
    assert refused.get_json()["error"]["message"] == images.WRONG_TYPE


def test_an_oversized_image_is_refused_before_it_is_read(browser, tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    refused = browser("shuji").client.post(
        f"/admin/newspaper/{issue.id}/images",
        input_stream=UnreadableBody(6 * 1024 * 1024),
        content_type="multipart/form-data; boundary=x",
    )
    assert refused.status_code == 413 and images.TOO_LARGE in _text(refused)


def test_the_preview_shows_the_body_as_it_will_be_stored(browser, tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    body = '<h2>一、压实责任</h2><p style="color:red" onmouseover="x()">要<strong>抓紧</strong></p>'
    body += "<script>alert(1)</script>"
    form = {"title": "冬季安全", "summary": "十项措施", "body_html": body}
    preview = _text(browser("shuji").post(f"/admin/newspaper/{issue.id}/preview", form))
    assert 'id="phone-article"' in preview and "冬季安全" in preview and "十项措施" in preview
    shown = re.search(r'id="preview-body">(.*?)</div>', preview, re.S).group(1)
    assert shown == "<h2>一、压实责任</h2><p>要<strong>抓紧</strong></p>"


def test_an_article_is_edited_its_cover_replaced_then_removed(browser, tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    article = issue.articles[0]
    secretary = browser("shuji")
    editor = _text(secretary.get(f"/admin/newspaper/articles/{article.id}"))
    assert "data-rich-editor" in editor and "检查覆盖全部工区" in editor and 'hx-post="/admin/newspaper/' in editor
    form = {"title": "节前安全检查（修订）", "summary": "新摘要", "body_html": "<p>改过的正文</p>"}
    secretary.post(
        f"/admin/newspaper/articles/{article.id}",
        form | {"cover": (io.BytesIO(picture()), "c.jpg")},
        content_type="multipart/form-data",
    )
    db.session.expire_all()
    assert (article.title, article.summary, article.body_html) == (
        "节前安全检查（修订）",
        "新摘要",
        "<p>改过的正文</p>",
    )
    assert images.path_of(article.cover) is not None
    secretary.post(f"/admin/newspaper/articles/{article.id}", form)  # no new file: the cover stays
    db.session.expire_all()
    assert article.cover is not None
    secretary.post(f"/admin/newspaper/articles/{article.id}", form | {"remove_cover": "1"})
    db.session.expire_all()
    assert article.cover is None
    blank = secretary.post(f"/admin/newspaper/articles/{article.id}", form | {"title": " "})
    assert blank.status_code == 422 and "请填写文章标题" in _text(blank)
    db.session.expire_all()
    assert article.title == "节前安全检查（修订）"


def test_articles_are_reordered_and_removed(browser, tree, staff):
    issue = draft(staff.secretary, tree["a1"], articles=3)
    first, second, third = (a.id for a in issue.articles)
    secretary = browser("shuji")
    secretary.post(f"/admin/newspaper/articles/{third}/move", {"direction": "up"})
    secretary.post(f"/admin/newspaper/articles/{first}/move", {"direction": "up"})  # already first: no change
    db.session.expire_all()
    assert [a.id for a in issue.articles] == [first, third, second]
    page = _text(secretary.get(f"/admin/newspaper/{issue.id}"))
    assert page.index("第3篇") < page.index("第2篇")  # the phone preview follows the order too
    secretary.post(f"/admin/newspaper/articles/{third}/delete")
    db.session.expire_all()
    assert [a.id for a in issue.articles] == [first, second]
    deleted = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "news_article.delete"))
    assert deleted.actor_name == "王书记" and deleted.org_id == tree["a1"].id


def test_a_draft_is_deleted_with_its_articles_and_audience(browser, tree, staff):
    issue = draft(staff.secretary, tree["a1"], articles=2)
    secretary = browser("shuji")
    assert secretary.post(f"/admin/newspaper/{issue.id}/delete").headers["Location"].endswith("/admin/newspaper/")
    assert "已删除草稿第 1 期“安全生产专刊”" in flash_of(secretary, "/admin/newspaper/")
    for model in (NewsIssue, NewsArticle, NewsAudience):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model)) == 0
    actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.action.like("%.delete"))).all()
    assert sorted(actions) == [
        "news_article.delete",
        "news_article.delete",
        "news_audience.delete",
        "news_issue.delete",
    ]


def test_the_issue_page_offers_the_picker_with_the_saved_audience_ticked(browser, tree, staff, make_member):
    for _ in range(2):
        make_member(tree["a1"])
    make_member(tree["a1"], group_id=tree["a1_group"].id)
    issue = draft(staff.general, tree["general_a"], [(tree["a1"], Narrowing.ALL)])
    page = _text(browser("zongzhi").get(f"/admin/newspaper/{issue.id}"))
    ticked = re.findall(r'name="org_ids" value="(\d+)" checked', page)
    assert ticked == [str(tree["a1"].id)]
    offered = set(re.findall(r'name="org_ids" value="(\d+)"', page))
    assert offered == {str(tree[k].id) for k in ("general_a", "a1", "a2")}  # groups: through their branches
    assert re.search(r'id="audience-reach">3<', page)
    branch_issue = draft(staff.secretary, tree["a1"])
    page = _text(browser("shuji").get(f"/admin/newspaper/{branch_issue.id}"))
    assert set(re.findall(r'name="org_ids" value="(\d+)"', page)) == {str(tree["a1"].id), str(tree["a1_group"].id)}
    group = re.search(rf'name="narrowing-{tree["a1_group"].id}".*?</select>', page, re.S).group(0)
    assert group.count("<option") == 1 and "仅本党小组" in group


def test_changing_the_audience_is_audited_row_by_row(browser, tree, staff):
    issue = draft(staff.secretary, tree["a1"])
    secretary = browser("shuji")
    a1, group = tree["a1"].id, tree["a1_group"].id
    secretary.post(
        f"/admin/newspaper/{issue.id}/audience",
        {"org_ids": [a1, group], f"narrowing-{a1}": "probationary", f"narrowing-{group}": "group"},
    )
    secretary.post(f"/admin/newspaper/{issue.id}/audience", {"org_ids": [group], f"narrowing-{group}": "group"})
    db.session.expire_all()
    assert [(row.org_id, row.narrowing) for row in issue.audiences] == [(group, Narrowing.GROUP)]
    trail = db.session.execute(
        sa.select(AuditLog.action, AuditLog.after).where(AuditLog.entity_type == "news_audience").order_by(AuditLog.id)
    ).all()
    assert [(action, (after or {}).get("narrowing")) for action, after in trail] == [
        ("news_audience.create", "all"),  # the draft's first audience
        ("news_audience.update", "probationary"),
        ("news_audience.create", "group"),
        ("news_audience.delete", None),
    ]


def test_a_reviewer_reads_each_article_in_full_as_the_phone_shows_it(browser, tree, staff):
    issue = draft(staff.secretary, tree["a1"], articles=2)
    workflow.submit(staff.secretary, issue)
    db.session.commit()
    first, second = issue.articles
    page = _text(browser("zongzhi").get(f"/admin/newspaper/articles/{second.id}/view"))
    assert 'id="phone-article"' in page and "检查覆盖全部工区" in page and "去审核" in page
    assert f'href="/admin/newspaper/articles/{first.id}/view"' in page  # on to the other article
    assert "编辑这篇" not in page
