"""The member API as the mini-program uses it: the inbox, an issue, an article, reading to the end, liking and
forwarding, each answer checked against the contract in NEWSPAPER.md."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from server.db import db
from server.newspaper import signals, workflow
from server.newspaper.models import ArticleShare, NewsArticle, ShareOpen
from server.newspaper.stats import article_stats, branch_stats, issue_stats
from tests.newspaper.conftest import as_admin, published


@pytest.fixture
def phone_of(app):
    def open_as(reader):
        client = app.test_client()
        headers = {"Authorization": f"Bearer {reader.token}"}

        class Phone:
            def get(self, path):
                return client.get(path, headers=headers)

            def post(self, path, json=None):
                return client.post(path, json=json if json is not None else {}, headers=headers)

        return Phone()

    return open_as


def test_the_inbox_lists_issues_newest_first_a_page_at_a_time(tree, staff, make_reader, phone_of):
    reader = make_reader(tree["a1"])
    issues = [published(staff.secretary, staff.general, tree["a1"], title=f"第{n}期标题") for n in range(1, 4)]
    phone = phone_of(reader)
    first = phone.get("/api/inbox?limit=2").get_json()
    assert [item["ref_id"] for item in first["items"]] == [issues[2].id, issues[1].id]
    assert first["unread"] == 3 and first["next_cursor"]
    item = first["items"][0]
    assert item["kind"] == "newspaper" and item["title"] == "第3期标题" and item["unread"] is True
    assert (
        item["subtitle"] == "第 3 期 · 甲一支部"
        and item["cover_url"] is None
        and item["delivered_at"].endswith("+00:00")
    )
    rest = phone.get(f"/api/inbox?limit=2&cursor={first['next_cursor']}").get_json()
    assert [item["ref_id"] for item in rest["items"]] == [issues[0].id] and rest["next_cursor"] is None
    bad = phone.get("/api/inbox?cursor=not-a-cursor")
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "invalid_cursor"
    assert phone.get("/api/inbox/unread").get_json() == {
        "unread": 3,
        "by_kind": {"newspaper": 3, "notice": 0, "letter": 0, "birthday": 0},
    }


def test_opening_an_issue_marks_it_read_and_lists_its_articles(tree, staff, make_reader, phone_of):
    reader = make_reader(tree["a1"])
    issue = published(staff.secretary, staff.general, tree["a1"], articles=2)
    phone = phone_of(reader)
    body = phone.get(f"/api/newspaper/issues/{issue.id}").get_json()
    assert body["number"] == 1 and body["org_name"] == "甲一支部" and body["published_at"].endswith("+00:00")
    assert [(a["title"], a["read"], a["liked"]) for a in body["articles"]] == [
        ("第1篇：节前安全检查", False, False),
        ("第2篇：节前安全检查", False, False),
    ]
    assert phone.get("/api/inbox/unread").get_json()["unread"] == 0
    assert phone.get("/api/inbox").get_json()["items"][0]["unread"] is False


def test_an_issue_is_missing_for_whoever_did_not_receive_it_and_once_withdrawn(tree, staff, make_reader, phone_of):
    reader, stranger = make_reader(tree["a1"]), make_reader(tree["a2"])
    issue = published(staff.secretary, staff.general, tree["a1"])
    article = issue.articles[0]
    refused = phone_of(stranger).get(f"/api/newspaper/issues/{issue.id}")
    assert refused.status_code == 404 and refused.get_json()["error"]["message"] == "手机报不存在"
    assert phone_of(stranger).get(f"/api/newspaper/articles/{article.id}").status_code == 404
    with as_admin(staff.general):
        workflow.withdraw(staff.general, issue)
        db.session.commit()
    phone = phone_of(reader)
    assert phone.get(f"/api/newspaper/issues/{issue.id}").status_code == 404
    assert phone.get(f"/api/newspaper/articles/{article.id}").status_code == 404
    empty = phone.get("/api/inbox").get_json()
    assert (empty["items"], empty["next_cursor"], empty["unread"], empty["by_kind"]["newspaper"]) == ([], None, 0, 0)
    assert phone.get("/api/inbox/unread").get_json()["unread"] == 0


def test_an_article_is_read_to_the_end_once_and_the_signal_fires_once(tree, staff, make_reader, phone_of, app):
    reader = make_reader(tree["a1"])
    issue = published(staff.secretary, staff.general, tree["a1"])
    article = issue.articles[0]
    heard = []

    def on_read(sender, **kw):
        heard.append(kw)

    signals.article_read.connect(on_read)
    try:
        phone = phone_of(reader)
        body = phone.get(f"/api/newspaper/articles/{article.id}").get_json()
        assert body["body_html"].startswith("<p>国庆节前") and body["likes"] == 0 and body["liked"] is False
        assert body["share_path"].startswith(f"/pages/news-article/index?id={article.id}&share=")
        for _ in range(2):
            assert phone.post(f"/api/newspaper/articles/{article.id}/finish").status_code == 204
    finally:
        signals.article_read.disconnect(on_read)
    assert [(h["member_id"], h["article_id"]) for h in heard] == [(reader.member.id, article.id)]
    stats = issue_stats(issue)
    assert (stats.in_inbox, stats.read, stats.finished, stats.read_rate) == (1, 1, 1, 1.0)


def test_likes_count_once_per_member_and_can_be_taken_back(tree, staff, make_reader, phone_of):
    readers = [make_reader(tree["a1"]) for _ in range(2)]
    issue = published(staff.secretary, staff.general, tree["a1"])
    like = f"/api/newspaper/articles/{issue.articles[0].id}/like"
    assert phone_of(readers[0]).post(like, {"liked": True}).get_json() == {"likes": 1, "liked": True}
    assert phone_of(readers[0]).post(like, {"liked": True}).get_json() == {"likes": 1, "liked": True}
    assert phone_of(readers[1]).post(like, {"liked": True}).get_json() == {"likes": 2, "liked": True}
    assert phone_of(readers[0]).post(like, {"liked": False}).get_json() == {"likes": 1, "liked": False}
    assert phone_of(readers[0]).post(like, {}).status_code == 422
    assert issue_stats(issue).likes == 1


def test_a_forward_opened_by_someone_else_counts_for_the_sharer(tree, staff, make_reader, phone_of):
    sharer, colleague = make_reader(tree["a1"]), make_reader(tree["a1"])
    outsider = make_reader(tree["b1"])  # not a recipient: reads it through the forward
    issue = published(staff.secretary, staff.general, tree["a1"])
    article = issue.articles[0]
    path = phone_of(sharer).post(f"/api/newspaper/articles/{article.id}/share").get_json()["share_path"]
    assert path == phone_of(sharer).get(f"/api/newspaper/articles/{article.id}").get_json()["share_path"]
    token = path.split("share=")[1]
    assert phone_of(sharer).post(f"/api/newspaper/articles/{article.id}/share").status_code == 200
    for opener in (colleague, outsider, outsider, sharer):
        assert phone_of(opener).get(f"/api/newspaper/articles/{article.id}?share={token}").status_code == 200
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ArticleShare)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ShareOpen)) == 2  # the sharer's own open is not one
    assert phone_of(outsider).post(f"/api/newspaper/articles/{article.id}/like", {"liked": True}).status_code == 200
    assert phone_of(outsider).get(f"/api/newspaper/issues/{issue.id}").status_code == 404  # the issue stays theirs
    forged = phone_of(make_reader(tree["b1"])).get(f"/api/newspaper/articles/{article.id}?share={'0' * 32}")
    assert forged.status_code == 404
    figures = issue_stats(issue)
    assert (figures.forwards, figures.forward_opens) == (1, 2)  # one forward, opened by two others
    [by_article] = article_stats(issue)
    assert (by_article.read, by_article.likes, by_article.forwards, by_article.forward_opens) == (3, 1, 1, 2)
    branches = {b.name: b for b in branch_stats(issue, staff.root)}
    assert (branches["甲一支部"].forwards, branches["甲一支部"].forward_opens, branches["甲一支部"].in_inbox) == (
        1,
        2,
        2,
    )


def test_bodies_and_images_reach_the_phone_safe_and_whole(tree, staff, make_reader, phone_of):
    reader = make_reader(tree["a1"])
    issue = published(staff.secretary, staff.general, tree["a1"])
    article = db.session.get(NewsArticle, issue.articles[0].id)
    article.body_html = (
        '<p>图</p><img src="/media/news/0123456789abcdef0123456789abcdef.jpg">'  # as stored by the editor
    )
    db.session.commit()
    body = phone_of(reader).get(f"/api/newspaper/articles/{article.id}").get_json()["body_html"]
    assert '<img src="http://localhost/media/news/0123456789abcdef0123456789abcdef.jpg">' in body
