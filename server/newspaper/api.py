"""Mini-program endpoints of the newspaper: an issue, an article, reading to the end, liking, forwarding.

An issue is visible to the members it was delivered to while it is published; an article also to whoever
opens it through a member's forward. Anything else answers as missing (404).
"""

from __future__ import annotations

from flask import request

from server.auth.current import current_identity, member_required
from server.http import ApiBlueprint
from server.inbox import services as inbox
from server.inbox.models import InboxKind
from server.newspaper import reads, sanitise
from server.newspaper.delivery import cover_url
from server.newspaper.schemas import (
    ArticleQuerySchema,
    ArticleSchema,
    IssueSchema,
    LikeSchema,
    LikesSchema,
    SharePathSchema,
)

blp = ApiBlueprint("newspaper_api", __name__, url_prefix="/api/newspaper", description="手机报")
BEARER = [{"bearer": []}]


@blp.route("/issues/<int:issue_id>", methods=["GET"])
@member_required
@blp.response(200, IssueSchema)
@blp.doc(security=BEARER)
def issue_detail(issue_id: int):
    """An issue I received, with its articles and whether I read and liked each; opening it marks it read."""
    member_id = current_identity().id
    issue = reads.issue_for_member(member_id, issue_id)
    inbox.mark_read(member_id, InboxKind.NEWSPAPER, issue.id)
    mine = reads.state(member_id, [article.id for article in issue.articles])
    articles = [
        {
            "id": article.id,
            "title": article.title,
            "summary": article.summary,
            "cover_url": cover_url(article.cover),
            "read": mine.get(article.id, (False, False, False))[0],
            "liked": mine.get(article.id, (False, False, False))[2],
        }
        for article in issue.articles
    ]
    return {
        "id": issue.id,
        "number": issue.number,
        "title": issue.title,
        "org_name": issue.org.name,
        "published_at": issue.published_at,
        "articles": articles,
    }


@blp.route("/articles/<int:article_id>", methods=["GET"])
@member_required
@blp.arguments(ArticleQuerySchema, location="query")
@blp.response(200, ArticleSchema)
@blp.doc(security=BEARER)
def article_detail(query: dict, article_id: int):
    """An article to read; the open is counted (and, with ``share`` from someone else's forward, for them)."""
    member_id = current_identity().id
    article, forwarded = reads.readable(member_id, article_id, query["share"])
    reads.open_article(member_id, article, forwarded)
    liked = reads.state(member_id, [article.id]).get(article.id, (False, False, False))[2]
    return {
        "id": article.id,
        "issue_id": article.issue_id,
        "title": article.title,
        "summary": article.summary,
        "cover_url": cover_url(article.cover),
        "body_html": sanitise.absolute_images(article.body_html, request.host_url),
        "likes": reads.likes(article.id),
        "liked": liked,
        "published_at": article.issue.published_at,
        "share_path": reads.share_path(member_id, article.id),
    }


@blp.route("/articles/<int:article_id>/finish", methods=["POST"])
@member_required
@blp.response(204)
@blp.doc(security=BEARER)
def finish_article(article_id: int):
    """I scrolled to the end of the article (counted once; the first time may earn learning points)."""
    member_id = current_identity().id
    article, _ = reads.readable(member_id, article_id)
    reads.finish(member_id, article)
    return ""


@blp.route("/articles/<int:article_id>/like", methods=["POST"])
@member_required
@blp.arguments(LikeSchema)
@blp.response(200, LikesSchema)
@blp.doc(security=BEARER)
def like_article(payload: dict, article_id: int):
    """Like (``liked: true``) or take the like back; the article's likes afterwards."""
    member_id = current_identity().id
    article, _ = reads.readable(member_id, article_id)
    likes, liked = reads.like(member_id, article, payload["liked"])
    return {"likes": likes, "liked": liked}


@blp.route("/articles/<int:article_id>/share", methods=["POST"])
@member_required
@blp.response(200, SharePathSchema)
@blp.doc(security=BEARER)
def share_article(article_id: int):
    """I forwarded the article (``onShareAppMessage``): recorded once; the path forwarded."""
    member_id = current_identity().id
    article, _ = reads.readable(member_id, article_id)
    return {"share_path": reads.record_share(member_id, article)}
