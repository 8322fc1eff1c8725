"""Newspaper issues on top of the demo committee, for looking at the admin pages as a secretary would find them
after a few weeks: issues published to the committee and to a general branch with their deliveries, pushes
and a realistic spread of reads, likes and forwards; one issue waiting for review; one draft."""

from __future__ import annotations

import io
import random
import secrets
from datetime import timedelta

import sqlalchemy as sa
from PIL import Image, ImageDraw

from server.audit.context import Actor, acting_as
from server.auth.models import AdminUser
from server.db import db, utcnow
from server.inbox import services as inbox
from server.inbox.models import InboxItem, InboxKind, Push, PushStatus
from server.newspaper import audience, images, workflow
from server.newspaper.models import ArticleRead, ArticleShare, IssueStatus, Narrowing, NewsIssue, ShareOpen
from server.orgs.models import Organisation, OrgKind

BODY = (
    "<p>11月20日，公司党委召开冬季安全生产专题会议，传达学习上级有关文件精神，部署今冬明春安全生产工作。</p>"
    "<h2>一、压实安全责任</h2>"
    "<p>各基层党组织要把防寒过冬工作作为当前<strong>头等大事</strong>，党员干部带头深入现场，盯控关键岗位、关键时段。</p>"
    "<h2>二、十项重点措施</h2>"
    "<ul><li>塔吊、施工电梯逐台检查，12月1日前全部完成；</li><li>临时用电每日两次巡视；</li>"
    "<li>脚手架、临边洞口防滑措施到位。</li></ul>"
    "<blockquote>安全是项目永恒的主题。</blockquote>"
)
ARTICLES = (
    ("冬季安全专项部署：确保在建项目平稳过冬", "公司党委召开专题会议，部署今冬明春安全生产工作，明确十项重点措施。"),
    ("第三项目部党支部：把支部建在“攻坚一线”", "汛期 42 天，党员突击队连续奋战，节点工期提前 9 天完成。"),
    ("安全知识问答：冬季施工“十不准”", "读完本文，看看这十条你都做到了吗？"),
)


def _cover(seed: int) -> str:
    """A cover picture: a red-to-gold gradient with a few shapes, stored as an uploaded one would be."""
    rng = random.Random(seed)
    image = Image.new("RGB", (1200, 675))
    draw = ImageDraw.Draw(image)
    for y in range(675):
        shade = y / 675
        draw.line([(0, y), (1200, y)], fill=(int(183 + 60 * shade), int(28 + 150 * shade), int(28 + 20 * shade)))
    for _ in range(6):
        x, y, r = rng.randint(0, 1200), rng.randint(0, 675), rng.randint(40, 160)
        draw.ellipse([x - r, y - r, x + r, y + r], outline=(255, 236, 179), width=6)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return images.store(buffer.getvalue())


def _admin(username: str) -> AdminUser:
    return db.session.scalar(sa.select(AdminUser).where(AdminUser.username == username))


def _issue(author: AdminUser, org: Organisation, title: str, number: int, covers: bool = True) -> NewsIssue:
    with acting_as(Actor("admin", author.id, author.display_name)):
        issue = workflow.create_issue(author, org, title)
        issue.number = number
        for index, (headline, summary) in enumerate(ARTICLES):
            cover = _cover(number * 10 + index) if covers and index != 2 else None
            workflow.add_article(author, issue, title=headline, summary=summary, body_html=BODY, cover=cover)
        workflow.set_audience(author, issue, [(org.id, Narrowing.ALL)])
    return issue


def _published(author: AdminUser, reviewer: AdminUser, issue: NewsIssue, days_ago: float, rng: random.Random) -> None:
    """Approved, published ``days_ago``, delivered, pushed (with WeChat's usual mix of answers) and read."""
    when = utcnow() - timedelta(days=days_ago)
    with acting_as(Actor("admin", author.id, author.display_name)):
        workflow.submit(author, issue)
    with acting_as(Actor("admin", reviewer.id, reviewer.display_name)):
        workflow.approve(reviewer, issue, "同意发布")
        issue.status, issue.published_at, issue.delivered_at = IssueStatus.PUBLISHED, when, when
        issue.audit_step = "publish"
        db.session.flush()
    members = audience.recipients(issue)
    inbox.deliver(InboxKind.NEWSPAPER, issue.id, members, now=when)
    member_ids = list(db.session.scalars(members))
    outcomes = [PushStatus.SENT] * 12 + [PushStatus.NO_QUOTA] * 6 + [PushStatus.FAILED, PushStatus.UNCERTAIN]
    for member_id in member_ids[: len(member_ids) * 3 // 4]:
        db.session.add(
            Push(
                member_id=member_id,
                kind=InboxKind.NEWSPAPER,
                ref_id=issue.id,
                template_id="tmpl_news",
                status=rng.choice(outcomes),
                attempts=1,
                updated_at=when,
            )
        )
    _read(issue, member_ids, when, rng)


def _read(issue: NewsIssue, member_ids: list[int], when, rng: random.Random) -> None:
    """Most open it in the first hours, fewer later; the lead article is read most; some like and forward."""
    shares: list[ArticleShare] = []
    for member_id in member_ids:
        if rng.random() > 0.72:
            continue
        opened = when + timedelta(hours=min(rng.expovariate(1 / 6), 70))
        inbox.mark_read(member_id, InboxKind.NEWSPAPER, issue.id, now=opened)
        for article, chance in zip(issue.articles, (0.85, 0.5, 0.3), strict=True):
            if rng.random() > chance:
                continue
            finished = rng.random() < 0.6
            liked = rng.random() < 0.2
            db.session.add(
                ArticleRead(
                    member_id=member_id,
                    article_id=article.id,
                    opened_at=opened,
                    finished_at=opened + timedelta(minutes=3) if finished else None,
                    liked_at=opened + timedelta(minutes=4) if liked else None,
                )
            )
            if rng.random() < 0.08:
                share = ArticleShare(article_id=article.id, sharer_id=member_id, token=secrets.token_hex(16))
                shares.append(share)
                db.session.add(share)
    db.session.flush()
    for share in shares:
        for opener in rng.sample(member_ids, rng.randint(0, 3)):
            if opener != share.sharer_id:
                db.session.add(ShareOpen(share_id=share.id, opener_member_id=opener))
        db.session.add(ShareOpen(share_id=share.id, opener_member_id=None))


def seed_newspaper() -> dict[str, int]:
    """The issues; returns their ids by role ("committee", "general", "waiting", "draft")."""
    rng = random.Random(11)
    committee = db.session.scalar(sa.select(Organisation).where(Organisation.kind == OrgKind.COMMITTEE))
    general = db.session.get(Organisation, _admin("zongzhi1").org_id)
    branch = db.session.get(Organisation, _admin("shuji1").org_id)
    dangwei, root, zongzhi, shuji = (_admin(name) for name in ("dangwei", "admin", "zongzhi1", "shuji1"))
    ids = {}
    older = _issue(dangwei, committee, "学习贯彻党的二十届三中全会精神专刊", 11)
    _published(dangwei, root, older, 12, rng)
    ids["committee"] = (latest := _issue(dangwei, committee, "安全生产月特刊", 12)).id
    _published(dangwei, root, latest, 3, rng)
    ids["general"] = (general_issue := _issue(zongzhi, general, "第一党总支工作简报", 5)).id
    _published(zongzhi, dangwei, general_issue, 1.5, rng)
    waiting = _issue(shuji, branch, "支部书记讲党课：做新时代合格党员", 3, covers=False)
    with acting_as(Actor("admin", shuji.id, shuji.display_name)):
        workflow.submit(shuji, waiting)
    ids["waiting"] = waiting.id
    ids["draft"] = _issue(shuji, branch, "“我为群众办实事”案例选编", 4, covers=False).id
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(InboxItem)) > 0
    return ids
