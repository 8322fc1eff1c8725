"""A plausible committee for the embedded default: 1 committee, 3 general branches, 12 branches, ~360 members."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from server.auth.admin_services import create_admin
from server.auth.models import AdminUser, BindMethod, Role, WechatBinding
from server.birthdays.demo import greet_today, place_birthdays
from server.db import db, utcnow
from server.dues.demo import seed_dues
from server.dues.ledger_demo import seed_ledger
from server.mailbox.demo import seed_mailbox
from server.meetings import backfill
from server.meetings.demo import seed_meeting_history
from server.meetings.live_demo import seed_live_meeting
from server.meetings.models import Meeting, MeetingKind
from server.meetings.services import create_meeting
from server.members.models import DuesCategory, Gender, Member, MemberStatus
from server.members.privacy import _ID_CHECK, _ID_WEIGHTS
from server.members.services import sort_key
from server.newspaper.demo import seed_newspaper
from server.notices.demo import seed_notices
from server.orgs.models import Organisation, OrgKind
from server.orgs.services import create_org
from server.quizzes.demo import seed_quizzes
from server.subscriptions.models import Choice, Subscription
from server.subscriptions.services import deployment_templates

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
#: given names read as a woman's or a man's in China, one and two characters: a member's name agrees with
#: the gender (and the ID card's sex digit) the register records
GIVEN = {
    Gender.FEMALE: (
        ("芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "琳", "慧", "洁", "萍", "红"),
        (
            "秀英",
            "秀兰",
            "桂英",
            "海燕",
            "红梅",
            "玉兰",
            "欣怡",
            "梓萱",
            "晓红",
            "春梅",
            "秋菊",
            "丽华",
            "雅琴",
            "淑珍",
        ),
    ),
    Gender.MALE: (
        ("伟", "强", "磊", "军", "洋", "勇", "杰", "涛", "明", "超", "刚", "斌", "鹏", "辉", "峰", "健"),
        (
            "建国",
            "建华",
            "志强",
            "志明",
            "文博",
            "浩然",
            "宇轩",
            "俊杰",
            "晓东",
            "立新",
            "卫东",
            "振华",
            "德明",
            "永刚",
            "国庆",
            "海波",
            "雪松",
            "子豪",
        ),
    ),
}
#: draws of the first name as the demo made them before names followed gender (so the rest stays as it was)
_GIVEN_DRAW = 79
GENERAL_BRANCHES = {
    "机关党总支": ["综合办公室党支部", "财务资金部党支部", "工程管理部党支部", "离退休党支部"],
    "第一项目部党总支": ["沪昆高铁项目党支部", "渝湘高速项目党支部", "盾构分公司党支部", "物资设备党支部"],
    "第二项目部党总支": ["雄安新区项目党支部", "郑州地铁项目党支部", "海外项目党支部", "青年突击队党支部"],
}
WORK_UNITS = ("项目部", "工区", "机关", "实验室", "拌合站", "钢筋加工厂")
POSITIONS = ("项目经理", "技术员", "安全员", "质检员", "施工员", "材料员", "会计", "工程师", "班组长", "办事员")
EDUCATIONS = ("研究生", "大学本科", "大学本科", "大学本科", "大学专科", "中等专科", "高中")
DEMO_PASSWORD = "Demo@2026"
REGIONS = ("110101", "310104", "420106", "430102", "500103", "410105", "130602", "510107")


def _id_card(rng: random.Random, birth: date, gender: Gender) -> str:
    region, serial = rng.choice(REGIONS), rng.randint(0, 999)
    serial ^= (serial % 2) ^ (gender is Gender.MALE)  # the sex digit (17th): odd for men, even for women
    body = f"{region}{birth:%Y%m%d}{serial:03d}"
    return body + _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def _name_draws(rng: random.Random) -> tuple[bool, int, str]:
    """Two-character given name or not, which one, the surname: the same draws whatever the gender."""
    double = rng.random() < 0.6
    pick = rng.randrange(_GIVEN_DRAW - int(double))
    return double, pick, rng.choice(SURNAMES)


def _name(draws: tuple[bool, int, str], gender: Gender) -> str:
    double, pick, surname = draws
    pool = GIVEN[gender][double]
    return surname + pool[pick % len(pool)]


def _member(rng: random.Random, branch: Organisation, retired: bool) -> Member:
    today = date.today()
    age = rng.randint(62, 85) if retired else rng.randint(23, 58)
    birth = today - timedelta(days=age * 365 + rng.randint(0, 364))
    joined = birth + timedelta(days=rng.randint(19 * 365, max(19 * 365 + 1, (age - 1) * 365)))
    if not retired and age < 40 and rng.random() < 0.2:
        joined = today - timedelta(days=rng.randint(30, 360))  # accepted this year: still probationary
    probationary = (today - joined).days < 365
    draws = _name_draws(rng)
    base = rng.choice((2800, 4200, 6500, 8800, 12000)) if not retired else rng.choice((3800, 5600))
    gender = Gender.MALE if rng.random() < 0.72 else Gender.FEMALE
    name = _name(draws, gender)
    return Member(
        name=name,
        name_sort=sort_key(name),
        gender=gender,
        ethnicity="汉族" if rng.random() < 0.92 else rng.choice(("回族", "满族", "壮族", "土家族", "苗族")),
        birth_date=birth,
        phone=f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}",
        id_card=_id_card(rng, birth, gender),
        education=rng.choice(EDUCATIONS),
        work_unit=branch.name.removesuffix("党支部") + rng.choice(WORK_UNITS),
        position=rng.choice(POSITIONS),
        join_date=joined,
        full_member_date=None if probationary else joined + timedelta(days=365),
        status=MemberStatus.PROBATIONARY if probationary else MemberStatus.FULL,
        dues_category=DuesCategory.RETIRED if retired else DuesCategory.EMPLOYED,
        dues_base_fen=base * 100,
        org=branch,
    )


def _bind_some(rng: random.Random, members: list[Member]) -> None:
    """About two in three demo members have bound their WeChat (simulated users of the emulator)."""
    for member in members:
        if rng.random() < 0.66:
            db.session.add(WechatBinding(openid=f"demo-openid-{member.id}", member=member, method=BindMethod.PHONE))


def _consent_some(members: list[Member]) -> None:
    """Some members who bound WeChat have allowed reminders, so 我的 → 消息提醒 shows real counts: the branch's
    first member (the secretary, where there is one) and every fifth other, each two meeting reminders and
    one dues reminder, three days ago. No random numbers: the rest of the demo stays as it was."""
    db.session.flush()
    bindings = db.session.scalars(
        sa.select(WechatBinding)
        .where(WechatBinding.member_id.in_([member.id for member in members]))
        .order_by(WechatBinding.member_id)
    ).all()
    templates, now = dict(deployment_templates()), utcnow()
    for index, binding in enumerate(bindings):
        if binding.member_id != members[0].id and index % 5:
            continue
        for purpose, remaining in (("meeting_reminder", 2), ("dues_reminder", 1)):
            if purpose in templates:
                db.session.add(
                    Subscription(
                        member_id=binding.member_id,
                        template_id=templates[purpose],
                        openid=binding.openid,
                        remaining=remaining,
                        last_choice=Choice.ACCEPT,
                        last_choice_at=now - timedelta(days=3),
                        updated_at=now,
                    )
                )


def _backfilled_meeting(branch: Organisation, secretary: AdminUser, members: list[Member]) -> Meeting:
    """A theme day held during a power cut twelve days ago, entered afterwards as 补录 with most
    members present from the paper sheet: the 补录 mark shows at first open."""
    day = utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=12)
    starts = datetime.combine(day, time(9), ZoneInfo("Asia/Shanghai"))
    meeting = create_meeting(
        kind=MeetingKind.THEME_DAY,
        title="主题党日：重温入党誓词",
        organiser=branch,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="机关三楼会议室",
        created_by_id=secretary.id,
        backfill_reason="当天机关大楼停电、网络中断，使用纸质签到表，会后据签到表补录",
    )
    for member in members[: len(members) * 3 // 4]:
        backfill.record_attendance(meeting, member, "据纸质签到表", recorded_by_id=secretary.id)
    return meeting


def seed(members_per_branch: int = 30, seed_value: int = 2026) -> list[tuple[str, str, str]]:
    """Create the demo committee; returns (username, password, role label) of the admin accounts."""
    if db.session.scalar(sa.select(AdminUser.id).limit(1)):
        return []
    rng = random.Random(seed_value)
    all_members: list[Member] = []
    all_branches: list[Organisation] = []
    committee = create_org("中建华东工程有限公司党委", OrgKind.COMMITTEE, None)
    accounts = [create_admin("admin", DEMO_PASSWORD, "系统管理员", Role.SUPERADMIN, None)]
    accounts.append(create_admin("dangwei", DEMO_PASSWORD, "党委组织部 陈静", Role.ORG_ADMIN, committee))
    for g_index, (general_name, branch_names) in enumerate(GENERAL_BRANCHES.items(), start=1):
        general = create_org(general_name, OrgKind.GENERAL_BRANCH, committee)
        accounts.append(
            create_admin(f"zongzhi{g_index}", DEMO_PASSWORD, f"{general_name}书记", Role.ORG_ADMIN, general)
        )
        for b_index, branch_name in enumerate(branch_names, start=1):
            branch = create_org(branch_name, OrgKind.BRANCH, general)
            groups = [create_org(f"第{n}党小组", OrgKind.GROUP, branch) for n in ("一", "二")] if b_index == 1 else []
            members = [_member(rng, branch, retired="离退休" in branch_name) for _ in range(members_per_branch)]
            for index, member in enumerate(members):
                member.group = groups[index % 2] if groups else None
            place_birthdays(members)
            db.session.add_all(members)
            db.session.flush()
            all_members.extend(members)
            all_branches.append(branch)
            _bind_some(rng, members)
            _consent_some(members)
            if b_index == 1:
                role = Role.SECRETARY
                accounts.append(
                    create_admin(f"shuji{g_index}", DEMO_PASSWORD, members[0].name, role, branch, members[0].id)
                )
                if g_index == 1:
                    _backfilled_meeting(branch, accounts[-1], members)
    seed_meeting_history(all_branches, random.Random(seed_value + 13))  # its own numbers, as the newspaper's
    shuji1 = next(account for account in accounts if account.username == "shuji1")
    seed_live_meeting(all_branches[0], shuji1.id)
    seed_dues(rng, all_branches, all_members)
    seed_ledger(all_branches, all_members)
    seed_newspaper(random.Random(seed_value + 11), committee)  # its own numbers: the rest stays as it was
    seed_quizzes(committee, all_members)
    seed_notices(random.Random(seed_value + 15), committee)
    seed_mailbox()
    greet_today()
    return _listed(accounts)


def demo_accounts() -> list[tuple[str, str, str]]:
    """The demo's admin accounts already in the database (a re-run of ``make run`` lists them again)."""
    names = ["admin", "dangwei", *(f"{prefix}{n}" for n in range(1, 4) for prefix in ("zongzhi", "shuji"))]
    return _listed(db.session.scalars(sa.select(AdminUser).where(AdminUser.username.in_(names)).order_by(AdminUser.id)))


def _listed(accounts) -> list[tuple[str, str, str]]:
    """(username, password, role: scope) of each account, as the banner and ``seed-demo`` print them."""
    return [
        (account.username, DEMO_PASSWORD, account.role.label + "：" + (account.org.name if account.org else "全部"))
        for account in accounts
    ]
