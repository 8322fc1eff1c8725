"""Demo newspaper: three published issues (two of the committee, one of a general branch) with a week or two
of real reads, likes and forwards by the demo members, pushes recorded for those who allowed them, and one
branch issue waiting for review. Written through the workflow, so the audit trail tells the story too."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from server.audit.context import Actor, acting_as
from server.auth.models import AdminUser, WechatBinding
from server.db import db, utcnow
from server.inbox import push
from server.inbox import services as inbox
from server.inbox.models import InboxKind, Push, PushStatus
from server.newspaper import audience, reads, workflow
from server.newspaper.models import ArticleRead, ArticleShare, Narrowing, NewsIssue, ShareOpen
from server.orgs.models import Organisation
from server.subscriptions.models import Choice, Subscription
from server.subscriptions.services import deployment_templates


def _p(*paragraphs: str) -> str:
    return "".join(f"<p>{text}</p>" for text in paragraphs)


COMMITTEE_ISSUES = [
    {
        "title": "学习贯彻党的二十届三中全会精神专刊",
        "days_ago": 14,
        "articles": [
            (
                "公司党委召开理论学习中心组专题学习会",
                "集体学习党的二十届三中全会精神，研究部署贯彻落实举措。",
                _p(
                    "11月18日，公司党委召开理论学习中心组专题学习会，集体学习党的二十届三中全会精神。",
                    "会议强调，要把学习贯彻全会精神同推进企业改革发展结合起来，"
                    "在深化国企改革、提升项目管理水平上下功夫，以实际成效检验学习成果。",
                    "会议要求，各党总支、党支部要结合“三会一课”和主题党日，组织党员原原本本学、"
                    "联系实际学，做到学深悟透、学以致用。",
                ),
            ),
            (
                "以改革精神推进项目管理提质增效",
                "工程管理部党支部围绕“三个清单”，推动全会精神在项目一线落地。",
                _p(
                    "工程管理部党支部梳理出制度清单、问题清单、责任清单，逐项明确完成时限和责任人。",
                    "<strong>支部书记表示：</strong>改革不是口号，要落到每一道工序、每一张结算单上。",
                ),
            ),
            (
                "基层支部开展“三会一课”专题学习",
                "12个党支部已全部完成专题学习，党员参学率达96%。",
                _p(
                    "截至本月中旬，公司所属12个党支部均已召开支部党员大会，专题学习全会精神。",
                    "离退休党支部采取送学上门方式，为行动不便的老党员逐户送去学习资料。",
                ),
            ),
        ],
    },
    {
        "title": "冬季安全生产特刊",
        "days_ago": 2,
        "articles": [
            (
                "筑牢冬季施工安全防线",
                "公司部署冬季施工“十防”措施，党员干部带头落实安全责任。",
                _p(
                    "进入冬季施工期，公司党委部署防冻、防滑、防火、防煤气中毒等“十防”措施。",
                    "各项目党支部设立党员安全责任区，党员干部每日带班检查，发现隐患立即整改。",
                ),
            ),
            (
                "盾构分公司党员突击队连续奋战72小时",
                "突击队攻克富水砂层掘进难题，提前两天完成区间贯通。",
                _p(
                    "面对富水砂层带来的掘进难题，盾构分公司党支部组建党员突击队，三班倒连续作业72小时。",
                    "区间隧道于12月1日顺利贯通，比计划提前两天。",
                ),
            ),
        ],
    },
]
GENERAL_BRANCH_ISSUE = {
    "title": "项目一线党建动态",
    "days_ago": 6,
    "articles": [
        (
            "沪昆高铁项目党支部开展主题党日活动",
            "党员重温入党誓词，并到施工现场开展安全隐患排查。",
            _p(
                "沪昆高铁项目党支部组织全体党员重温入党誓词，随后分组深入桥梁、路基施工现场排查安全隐患。",
                "活动共排查隐患17处，已全部整改完毕。",
            ),
        ),
        (
            "渝湘高速项目设立党员先锋岗",
            "8个党员先锋岗覆盖全部关键工序。",
            _p("渝湘高速项目在钢筋加工、混凝土浇筑等8道关键工序设立党员先锋岗，由党员担任岗长，亮身份、作表率。"),
        ),
    ],
}
SUBMITTED_ISSUE = {
    "title": "机关作风建设专刊",
    "articles": [
        (
            "综合办公室党支部开展作风建设大讨论",
            "围绕“办事效率、服务质量”查摆问题12条。",
            _p("支部召开专题组织生活会，党员逐一发言，查摆办事效率、服务质量方面的问题12条，明确整改时限。"),
        ),
    ],
}


def _account(username: str) -> AdminUser:
    return db.session.scalar(sa.select(AdminUser).where(AdminUser.username == username))


def _as(admin: AdminUser):
    return acting_as(Actor("admin", admin.id, admin.display_name))


def _write(author: AdminUser, org: Organisation, spec: dict, urgent: bool = False) -> NewsIssue:
    with _as(author):
        issue = workflow.create_issue(author, org, spec["title"], urgent=urgent)
        for title, summary, body in spec["articles"]:
            workflow.add_article(author, issue, title=title, summary=summary, body_html=body)
        workflow.set_audience(author, issue, [(org.id, Narrowing.ALL)])
        workflow.submit(author, issue)
    return issue


def _publish(issue: NewsIssue, author: AdminUser, reviewer: AdminUser, at: datetime) -> NewsIssue:
    with _as(reviewer):
        workflow.approve(reviewer, issue, "内容准确，同意发布")
        workflow.publish(reviewer, issue)
    _back_date(
        issue,
        created_at=at - timedelta(days=1),
        submitted_at=at - timedelta(hours=20),
        reviewed_at=at - timedelta(hours=2),
        published_at=at,
    )
    return issue


def _back_date(issue: NewsIssue, **times: datetime) -> None:
    """Move the demo's history into the past; not an edit anyone made, so not in the audit trail."""
    db.session.flush()
    db.session.execute(sa.update(NewsIssue.__table__).where(NewsIssue.id == issue.id).values(**times))
    db.session.expire(issue)


def _deliver(issue: NewsIssue, template_id: str | None) -> list[int]:
    """Inboxes and pushes as the delivery job leaves them: consented members' pushes sent."""
    recipients = audience.recipients(issue)
    inbox.deliver(InboxKind.NEWSPAPER, issue.id, recipients, now=issue.published_at)
    if template_id:
        push.create(InboxKind.NEWSPAPER, issue.id, 0, template_id, recipients, now=issue.published_at)
        sent = sa.select(Push.member_id).where(Push.ref_id == issue.id, Push.status == PushStatus.PENDING)
        db.session.execute(
            sa.update(Subscription)
            .where(Subscription.template_id == template_id, Subscription.member_id.in_(sent))
            .values(remaining=Subscription.remaining - 1)
        )
        db.session.execute(
            sa.update(Push)
            .where(Push.ref_id == issue.id, Push.status == PushStatus.PENDING)
            .values(status=PushStatus.SENT, attempts=1, updated_at=issue.published_at + timedelta(seconds=30))
        )
    _back_date(issue, delivered_at=issue.published_at + timedelta(seconds=20))
    return list(db.session.scalars(recipients.order_by(None)))


def _consent(template_id: str | None, at: datetime) -> None:
    """Every third member who bound WeChat tapped 订阅 for the newspaper four times."""
    if not template_id:
        return
    for binding in db.session.scalars(sa.select(WechatBinding).order_by(WechatBinding.member_id)):
        if binding.member_id % 3 == 0:
            db.session.add(
                Subscription(
                    member_id=binding.member_id,
                    template_id=template_id,
                    openid=binding.openid,
                    remaining=4,
                    last_choice=Choice.ACCEPT,
                    last_choice_at=at,
                    updated_at=at,
                )
            )
    db.session.flush()


def _reads(rng: random.Random, issue: NewsIssue, members: list[int], eagerness: float) -> None:
    """Opens, reads to the end, likes and forwards in the days after publishing."""
    published = issue.published_at
    read_rows, opened_inbox, shares = [], [], []
    for member_id in members:
        if rng.random() > eagerness:
            continue
        at = published + timedelta(minutes=rng.randint(5, 60 * 30))
        opened_inbox.append({"m": member_id, "at": at})
        for position, article in enumerate(issue.articles):
            if rng.random() > 0.85 - 0.2 * position:
                continue
            opened = at + timedelta(minutes=position * 3 + 1)
            finished = opened + timedelta(minutes=2) if rng.random() < 0.65 else None
            liked = opened + timedelta(minutes=3) if rng.random() < 0.3 else None
            read_rows.append(
                {"member_id": member_id, "article_id": article.id, "opened_at": opened}
                | {"finished_at": finished, "liked_at": liked}
            )
            if position == 0 and rng.random() < 0.06:
                shares.append((member_id, article.id, opened + timedelta(minutes=4)))
    if read_rows:
        db.session.execute(sa.insert(ArticleRead), read_rows)
    for row in opened_inbox:
        db.session.execute(
            sa.text("UPDATE inbox_items SET read_at = :at WHERE member_id = :m AND kind = 'newspaper' AND ref_id = :i"),
            {"m": row["m"], "at": row["at"], "i": issue.id},
        )
    for sharer, article_id, at in shares:
        share = ArticleShare(article_id=article_id, sharer_id=sharer, token=reads.share_token(sharer, article_id))
        share.shared_at = at
        db.session.add(share)
        db.session.flush()
        for opener in rng.sample(members, k=min(len(members), rng.randint(1, 4))):
            if opener != sharer:
                db.session.add(ShareOpen(share_id=share.id, opener_member_id=opener, opened_at=at + timedelta(hours=1)))
    db.session.flush()


def seed_newspaper(rng: random.Random, committee: Organisation) -> None:
    now = utcnow()
    template_id = dict(deployment_templates()).get("newspaper_issue")
    _consent(template_id, now - timedelta(days=20))
    dangwei, root = _account("dangwei"), _account("admin")
    first, second = (_write(dangwei, committee, spec) for spec in COMMITTEE_ISSUES)
    general = db.session.scalar(sa.select(Organisation).where(Organisation.name == "第一项目部党总支"))
    zongzhi = db.session.scalar(sa.select(AdminUser).where(AdminUser.org_id == general.id))
    branch_news = _write(zongzhi, general, GENERAL_BRANCH_ISSUE)
    plan = [(first, dangwei, root, 0.75), (branch_news, zongzhi, dangwei, 0.8), (second, dangwei, root, 0.5)]
    specs = {first.id: COMMITTEE_ISSUES[0], second.id: COMMITTEE_ISSUES[1], branch_news.id: GENERAL_BRANCH_ISSUE}
    for issue, author, reviewer, eagerness in sorted(plan, key=lambda p: -specs[p[0].id]["days_ago"]):
        day = now - timedelta(days=specs[issue.id]["days_ago"])
        _publish(issue, author, reviewer, day.replace(hour=1, minute=30, second=0, microsecond=0))  # 09:30 Beijing
        _reads(rng, issue, _deliver(issue, template_id), eagerness)
    branch = db.session.scalar(sa.select(Organisation).where(Organisation.name == "综合办公室党支部"))
    shuji = db.session.scalar(sa.select(AdminUser).where(AdminUser.org_id == branch.id))
    waiting = _write(shuji, branch, SUBMITTED_ISSUE)
    _back_date(waiting, submitted_at=now - timedelta(hours=3))
