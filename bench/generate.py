"""Load a national-construction-group-sized register into PostgreSQL, fast.

8,000 organisations (1 root committee, ~20 committees, ~150 general branches, ~6,500 branches, the rest
party groups) and 140,000 members, written with COPY (psycopg 3), not the ORM. The schema comes from the
application's own migrations, so the benchmark runs against exactly the tables and indexes we ship.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/edangwu_bench python bench/generate.py

The database is created if missing; its ``public`` schema is dropped and rebuilt every run.
Generation is deterministic for a given ``--seed``.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import math
import os
import random
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
from benchdb import ensure_database, libpq_url
from psycopg import sql

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.orgs.models import tree_key_of  # after the path: the key is the app's own

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/edangwu_bench"

# -- name material -------------------------------------------------------------------------------

GROUP_NAME = "中国华夏建设集团有限公司"
ROOT_NAME = f"{GROUP_NAME}党委"

#: the second-level committees (工程局, 专业公司, 院所, 机关), in the order they were founded
COMMITTEES = (
    "第一工程局有限公司",
    "第二工程局有限公司",
    "第三工程局有限公司",
    "第四工程局有限公司",
    "第五工程局有限公司",
    "第六工程局有限公司",
    "第七工程局有限公司",
    "第八工程局有限公司",
    "基础设施事业部",
    "海外事业部",
    "路桥集团有限公司",
    "市政工程有限公司",
    "安装工程有限公司",
    "装饰集团有限公司",
    "地产开发有限公司",
    "设计研究院有限公司",
    "新材料科技有限公司",
    "物资供应有限公司",
    "投资发展有限公司",
    "集团总部机关",
)

REGIONS = ("华北", "华东", "华南", "华中", "西南", "西北", "东北", "京津冀", "长三角", "粤港澳", "成渝", "海峡西岸")
CITIES = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "石家庄",
    "太原",
    "呼和浩特",
    "沈阳",
    "大连",
    "长春",
    "哈尔滨",
    "南京",
    "苏州",
    "无锡",
    "杭州",
    "宁波",
    "合肥",
    "福州",
    "厦门",
    "南昌",
    "济南",
    "青岛",
    "郑州",
    "洛阳",
    "武汉",
    "宜昌",
    "长沙",
    "株洲",
    "广州",
    "深圳",
    "珠海",
    "东莞",
    "南宁",
    "海口",
    "三亚",
    "成都",
    "绵阳",
    "贵阳",
    "昆明",
    "拉萨",
    "西安",
    "兰州",
    "西宁",
    "银川",
    "乌鲁木齐",
    "雄安新区",
    "徐州",
    "温州",
    "佛山",
    "烟台",
    "唐山",
    "襄阳",
    "赣州",
    "遵义",
    "柳州",
    "包头",
    "鄂尔多斯",
    "喀什",
    "吉隆坡",
    "雅加达",
)
PROJECTS = (
    "地铁1号线",
    "地铁2号线",
    "地铁3号线",
    "地铁5号线",
    "地铁8号线",
    "地铁11号线",
    "城际铁路",
    "高铁站房",
    "国际机场T3航站楼",
    "机场高速",
    "绕城高速",
    "跨江大桥",
    "过江隧道",
    "快速路",
    "综合管廊",
    "污水处理厂",
    "水厂扩建",
    "体育中心",
    "会展中心",
    "国际博览城",
    "人民医院新院区",
    "大学新校区",
    "中心城区棚改",
    "保障性住房",
    "人才公寓",
    "超高层综合体",
    "金融中心",
    "科技产业园",
    "数据中心",
    "新能源产业园",
    "港口码头",
    "物流园",
    "旧城更新",
    "文化艺术中心",
    "图书馆",
    "火车站综合枢纽",
    "生态修复",
    "海绵城市",
    "电厂",
    "商务区",
)
GENERAL_BRANCH_KINDS = ("分公司", "工程公司", "项目群", "区域总部", "专业公司")
DEPARTMENTS = (
    "综合办公室",
    "党群工作部",
    "人力资源部",
    "财务资金部",
    "工程管理部",
    "安全质量部",
    "商务合约部",
    "科技设计部",
    "市场营销部",
    "审计监察部",
    "物资设备部",
    "海外业务部",
    "法律事务部",
    "信息化管理部",
)
CN_DIGITS = "零一二三四五六七八九"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔"
    "钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢"
)
#: the first ~40 surnames cover about 70% of people; weight them that way
SURNAME_WEIGHTS = tuple(1 / (i + 8) for i in range(len(SURNAMES)))
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "慕容")
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志海燕红梅玉文博子涵浩然宇轩欣怡梓萱俊晓东立新卫春秋菊振德"
    "永庆波雪松鹏飞辉亮林琳婷颖佳慧晨阳宏伟斌浩凯峰娇倩琴云莉鑫亮成龙瑞丹蕾欢晶彬亚楠思雨嘉豪家乐天宁婉清诗琪少杰"
    "红旗向东卫国爱华长江新民光明金凤秀珍淑珍桂兰树林铁柱小军跃进援朝胜利"
)
ETHNICITIES = ("回族", "满族", "壮族", "土家族", "苗族", "蒙古族", "彝族", "藏族", "朝鲜族", "侗族", "瑶族", "白族")
EDUCATIONS = ("研究生", "大学本科", "大学专科", "中等专科", "高中", "初中及以下")
POSITIONS = (
    "项目经理",
    "项目书记",
    "总工程师",
    "生产经理",
    "商务经理",
    "工程师",
    "助理工程师",
    "技术员",
    "施工员",
    "安全员",
    "质量员",
    "材料员",
    "预算员",
    "资料员",
    "测量员",
    "试验员",
    "会计",
    "出纳",
    "办事员",
    "部门经理",
    "班组长",
    "设计师",
)
#: first 6 digits of resident ID cards: real county-level codes
ID_REGIONS = (
    "110101",
    "110105",
    "120101",
    "130102",
    "140105",
    "150102",
    "210102",
    "220102",
    "230102",
    "310104",
    "310115",
    "320102",
    "320506",
    "330106",
    "340102",
    "350102",
    "360102",
    "370102",
    "370202",
    "410105",
    "420106",
    "430102",
    "440106",
    "440305",
    "450102",
    "460105",
    "500103",
    "510107",
    "520102",
    "530102",
    "610113",
    "620102",
    "630102",
    "640104",
    "650102",
)
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
PHONE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十, 35 → 三十五 (enough for sibling numbering)."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    if n < 100:
        return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")
    return str(n)


# -- the organisation tree -----------------------------------------------------------------------


@dataclass
class Org:
    id: int
    name: str
    kind: str
    parent_id: int | None
    path: str
    depth: int
    sort_order: int
    tree_key: str  # the positions from the root down (server/orgs/models.py tree_key_of)
    created_at: datetime
    unit: str = ""  # the enterprise an organisation belongs to
    work_unit: str = ""  # what members of a branch write as their 工作单位
    retirees: bool = False  # a 离退休 branch
    size: int = 0  # members (branches only)
    groups: list[int] = field(default_factory=list)  # party groups (branches only)


def _split(total: int, weights: list[float]) -> list[int]:
    """Integers proportional to ``weights`` summing exactly to ``total`` (largest remainder)."""
    scale = total / sum(weights)
    raw = [w * scale for w in weights]
    parts = [int(r) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)[: total - sum(parts)]:
        parts[i] += 1
    return parts


class TreeBuilder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.orgs: list[Org] = []
        self.sibling_names: dict[int | None, set[str]] = {}
        self.next_id = 1

    def add(self, name: str, kind: str, parent: Org | None, **extra) -> Org:
        names = self.sibling_names.setdefault(parent.id if parent else None, set())
        assert name not in names, name
        names.add(name)
        created = datetime(2016, 1, 1, tzinfo=UTC) + timedelta(seconds=self.rng.randrange(8 * 365 * 86400))
        org = Org(
            id=self.next_id,
            name=name,
            kind=kind,
            parent_id=parent.id if parent else None,
            path=f"{parent.path if parent else '/'}{self.next_id}/",
            depth=parent.depth + 1 if parent else 0,
            sort_order=len(names),
            tree_key=tree_key_of(parent.tree_key if parent else "", len(names)),
            created_at=created,
            **extra,
        )
        self.next_id += 1
        self.orgs.append(org)
        return org

    def unique_name(self, parent: Org, make) -> str:
        """A name from ``make()`` that is free among ``parent``'s children, numbered if it must be."""
        taken = self.sibling_names.get(parent.id, set())
        for _ in range(20):
            name = make()
            if name not in taken:
                return name
        base = make()
        for n in range(2, 1000):
            stem, suffix = base.rsplit("党", 1)
            name = f"{stem}{cn_number(n)}标段党{suffix}"
            if name not in taken:
                return name
        raise RuntimeError("ran out of names")


def build_tree(
    rng: random.Random,
    total_orgs: int,
    committees: int,
    general_branches: int,
    branches: int,
    members: int,
) -> list[Org]:
    """The whole tree, ids assigned level by level (as an import of the tree would), paths consistent."""
    groups = total_orgs - 1 - committees - general_branches - branches
    if groups < 0:
        raise SystemExit("--orgs is smaller than committees + general branches + branches + 1")
    tb = TreeBuilder(rng)
    root = tb.add(ROOT_NAME, "committee", None, unit=GROUP_NAME)

    # Committees: sizes are very uneven in a real group (an 工程局 dwarfs the head-office committee).
    names = [COMMITTEES[i] if i < len(COMMITTEES) else f"第{cn_number(i + 1)}直属单位" for i in range(committees)]
    weights = sorted((rng.lognormvariate(0, 0.7) for _ in range(committees)), reverse=True)
    rng.shuffle(weights)
    comms = [tb.add(f"{n}党委", "committee", root, unit=f"{GROUP_NAME[:-6]}{n}") for n in names]

    # General branches: proportional to a committee's size; the smallest committees have none.
    gb_counts = _split(general_branches, weights)
    gbs_of: dict[int, list[Org]] = {c.id: [] for c in comms}
    for comm, count in zip(comms, gb_counts, strict=True):
        for i in range(count):
            if i == 0 and count >= 3:
                name = "机关党总支"
            else:
                name = tb.unique_name(
                    comm,
                    lambda: rng.choice(
                        (
                            f"{rng.choice(REGIONS)}{rng.choice(GENERAL_BRANCH_KINDS)}党总支",
                            f"{rng.choice(CITIES)}{rng.choice(GENERAL_BRANCH_KINDS)}党总支",
                            f"第{cn_number(rng.randint(1, 12))}工程公司党总支",
                        )
                    ),
                )
            gbs_of[comm.id].append(tb.add(name, "general_branch", comm, unit=comm.unit))

    # Branches: most sit in a general branch, some (机关, 离退休) straight under the committee.
    branch_counts = _split(branches, weights)
    placements: list[tuple[Org, Org]] = []  # (parent, committee)
    for comm, count in zip(comms, branch_counts, strict=True):
        gbs = gbs_of[comm.id]
        gb_weights = [rng.lognormvariate(0, 0.5) for _ in gbs]
        direct = count if not gbs else max(1, round(count * 0.15))
        placements += [(comm, comm)] * direct
        if gbs:
            for gb, n in zip(gbs, _split(count - direct, gb_weights), strict=True):
                placements += [(gb, comm)] * n
    rng.shuffle(placements)
    placements.sort(key=lambda p: p[0].id)  # ids level by level, parents in order

    # Members per branch: skewed, at least 3 (a branch needs 3 full members), scaled to the exact total.
    raw_sizes = [max(3.0, rng.lognormvariate(math.log(16), 0.65)) for _ in placements]
    sizes = [max(3, s) for s in _split(members, raw_sizes)]
    while (excess := sum(sizes) - members) != 0:  # undo the rounding caused by the floor of 3
        i = rng.randrange(len(sizes))
        if excess > 0 and sizes[i] > 3:
            sizes[i] -= 1
        elif excess < 0:
            sizes[i] += 1

    dept_counter: dict[int, int] = {}
    all_branches: list[Org] = []
    for (parent, comm), size in zip(placements, sizes, strict=True):
        roll = rng.random()
        retirees = roll < 0.07
        if retirees:
            name = tb.unique_name(parent, lambda: f"离退休第{cn_number(rng.randint(1, 30))}党支部")
        elif roll < 0.22:  # a department of the offices
            n = dept_counter[parent.id] = dept_counter.get(parent.id, 0) + 1
            if parent.kind == "committee" and n <= len(DEPARTMENTS):
                name = f"{DEPARTMENTS[n - 1]}党支部"
            else:
                name = tb.unique_name(parent, lambda: f"机关第{cn_number(rng.randint(1, 40))}党支部")
        else:
            name = tb.unique_name(parent, lambda: f"{rng.choice(CITIES)}{rng.choice(PROJECTS)}项目部党支部")
        if retirees:
            work_unit = comm.unit
        elif name.endswith("项目部党支部") or name.removesuffix("党支部") in DEPARTMENTS:
            work_unit = comm.unit + name.removesuffix("党支部")
        else:
            work_unit = comm.unit + "机关"
        branch = tb.add(name, "branch", parent, unit=comm.unit, work_unit=work_unit, retirees=retirees, size=size)
        all_branches.append(branch)

    # Party groups: formed in the larger branches, 2-6 each, until the organisation total is reached.
    big = sorted(all_branches, key=lambda b: b.size, reverse=True)
    owners: list[Org] = []
    for branch in big:
        if len(owners) >= groups:
            break
        owners += [branch] * min(groups - len(owners), max(2, min(6, branch.size // 12)))
    owners.sort(key=lambda b: b.id)
    for branch in owners:
        group = tb.add(f"第{cn_number(len(branch.groups) + 1)}党小组", "group", branch, unit=branch.unit)
        branch.groups.append(group.id)

    assert len(tb.orgs) == total_orgs, (len(tb.orgs), total_orgs)
    return tb.orgs


# -- members -------------------------------------------------------------------------------------


def id_card(region: str, birth: date, seq: int) -> str:
    """An 18-character resident ID number with its GB 11643 check digit."""
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


SEQ_DIGITS = [f"{n:03d}" for n in range(1000)]
SEQ_SUMS = [sum(int(d) * w for d, w in zip(digits, ID_WEIGHTS[14:17], strict=True)) for digits in SEQ_DIGITS]
REGION_SUMS = {r: sum(int(d) * w for d, w in zip(r, ID_WEIGHTS[:6], strict=True)) for r in ID_REGIONS}


class MemberMaker:
    """One member row at a time; written for speed (this runs 140,000 times), hence the plain arithmetic."""

    def __init__(self, rng: random.Random, today: date, distinct_names: int) -> None:
        from server.members.services import sort_key  # the application's own pinyin key

        self.rng = rng
        self.rand = rng.random
        self.today = today.toordinal()
        self.now = datetime.now(UTC)
        self.id_bodies: set[str] = set()
        self.birth_parts: dict[int, tuple[str, int]] = {}
        self.phones: set[str] = set()
        self.surnames = list(SURNAMES)
        self.surname_cum = list(itertools.accumulate(SURNAME_WEIGHTS))
        # People share names: draw from a pool of distinct names whose pinyin keys are computed once.
        names: set[str] = set()
        while len(names) < distinct_names:
            names.add(self._new_name())
        self.names = [(name, sort_key(name)) for name in sorted(names)]
        rng.shuffle(self.names)
        self.edu_young = list(itertools.accumulate((12, 58, 20, 6, 3, 1)))
        self.edu_old = list(itertools.accumulate((2, 20, 25, 23, 20, 10)))

    def pick(self, seq):
        return seq[int(self.rand() * len(seq))]

    def _new_name(self) -> str:
        if self.rand() < 0.004:
            surname = self.pick(COMPOUND_SURNAMES)
        else:
            surname = self.surnames[bisect.bisect(self.surname_cum, self.rand() * self.surname_cum[-1])]
        given = self.pick(GIVEN_CHARS)
        if self.rand() < 0.72:
            given += self.pick(GIVEN_CHARS)
        return surname + given

    def unique_id_card(self, birth: date, male: bool) -> str:
        """A valid, unused ID number; the check digit from cached partial sums (same result as ``id_card``)."""
        region = self.pick(ID_REGIONS)
        ordinal = birth.toordinal()
        if (cached := self.birth_parts.get(ordinal)) is None:
            digits = f"{birth:%Y%m%d}"
            cached = self.birth_parts[ordinal] = (
                digits,
                sum(int(d) * w for d, w in zip(digits, ID_WEIGHTS[6:14], strict=True)),
            )
        digits, birth_sum = cached
        seq = int(self.rand() * 500) * 2 + (1 if male else 0)
        while True:
            body = f"{region}{digits}{SEQ_DIGITS[seq]}"
            if body not in self.id_bodies:
                self.id_bodies.add(body)
                return body + ID_CHECK[(REGION_SUMS[region] + birth_sum + SEQ_SUMS[seq]) % 11]
            seq = (seq + 2) % 1000

    def unique_phone(self) -> str:
        while True:
            phone = f"{self.pick(PHONE_PREFIXES)}{int(self.rand() * 100_000_000):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def row(self, member_id: int, branch: Org) -> tuple:
        rand, pick, rng, today = self.rand, self.pick, self.rng, self.today
        name, name_sort = pick(self.names)
        male = rand() < 0.74  # construction is a male-heavy trade
        probationary = rand() < 0.08

        roll = rand()
        if branch.retirees:
            category, age = "retired", 60 + int(rand() * 29)
        elif roll < 0.006:
            category, age = "student", 21 + int(rand() * 7)
        elif roll < 0.016:
            category, age = "unemployed", 35 + int(rand() * 25)
        elif roll < 0.028:
            category, age = "farmer", 30 + int(rand() * 31)
        elif roll < 0.05:
            category, age = "retired", 60 + int(rand() * 16)
        else:
            category, age = "employed", min(59, int(rng.triangular(22, 60, 33)))
        if probationary and category == "employed":
            age = min(age, 22 + int(rand() * 24))  # new members are mostly young
        birth = date.fromordinal(today - age * 365 - int(rand() * 365))

        eighteen = date(birth.year + 18, birth.month, min(birth.day, 28)).toordinal()
        if probationary:
            join = max(eighteen, today - 1 - int(rand() * 364))
            full = None
        else:
            last = today - 366 - int(rand() * 30)
            join = eighteen + int(max(1, last - eighteen) * rng.betavariate(2, 3))
            join = max(eighteen, min(join, last))
            full = date.fromordinal(min(today, join + 365 + int(rand() * 15)))
        join_date = date.fromordinal(join)

        if category == "employed":
            yuan = max(2000, min(60000, int(rng.lognormvariate(8.92, 0.45))))  # median about 7,500 yuan
            fen = yuan * 100 + (int(rand() * 100) if rand() < 0.2 else 0)
        elif category == "retired":
            fen = (2500 + int(rand() * 6500)) * 100
        else:
            fen = 0

        cum = self.edu_old if age >= 55 else self.edu_young
        education = EDUCATIONS[bisect.bisect(cum, rand() * cum[-1])]
        position = "退休" if category == "retired" else pick(POSITIONS)
        group_id = pick(branch.groups) if branch.groups and rand() < 0.92 else None
        created = self.now - timedelta(seconds=int(rand() * 4 * 365 * 86400))
        return (
            member_id,
            name,
            name_sort,
            "male" if male else "female",
            "汉族" if rand() < 0.93 else pick(ETHNICITIES),
            birth,
            self.unique_phone() if rand() < 0.97 else None,
            self.unique_id_card(birth, male),
            education,
            branch.work_unit[:100],
            position,
            join_date,
            full,
            "probationary" if probationary else "full",
            category,
            fen,
            branch.id,
            group_id,
            created,
            created + timedelta(seconds=int(rand() * 86400 * 30)),
        )


MEMBER_COLUMNS = (
    "id",
    "name",
    "name_sort",
    "gender",
    "ethnicity",
    "birth_date",
    "phone",
    "id_card",
    "education",
    "work_unit",
    "position",
    "join_date",
    "full_member_date",
    "status",
    "dues_category",
    "dues_base_fen",
    "org_id",
    "group_id",
    "created_at",
    "updated_at",
)
ORG_COLUMNS = (
    "id",
    "name",
    "kind",
    "parent_id",
    "path",
    "depth",
    "sort_order",
    "tree_key",
    "created_at",
    "dissolved_at",
)


def member_rows(maker: MemberMaker, branches: list[Org]) -> Iterator[tuple]:
    """Members in import order: one branch's register after another, the branches in random order."""
    rng = maker.rng
    order = branches[:]
    rng.shuffle(order)
    member_id = 0
    for branch in order:
        for _ in range(branch.size):
            member_id += 1
            yield maker.row(member_id, branch)


# -- database ------------------------------------------------------------------------------------


def reset_schema_and_migrate(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    os.environ["DATABASE_URL"] = url
    os.environ["EDANGWU_STAGING"] = "1"  # PostgreSQL with the emulator's settings: not production, on purpose
    import logging

    import flask_migrate

    from server import create_app

    app = create_app({"LOG_LEVEL": "WARNING"})
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        flask_migrate.upgrade()
        from server.db import db

        db.engine.dispose()


@contextmanager
def indexes_built_after(cur: psycopg.Cursor, table: str) -> Iterator[None]:
    """Drop ``table``'s plain indexes and foreign keys, and recreate them, verbatim from the catalog, after.

    Building an index once over 140,000 rows is several times cheaper than maintaining it row by row, and
    one foreign-key validation is cheaper than 280,000 trigger checks. The primary key and unique
    constraints stay (other tables reference them, and COPY must still refuse duplicate ID cards).
    Everything runs in the loading transaction, so the schema the migrations made is what remains.
    """
    cur.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i
           WHERE i.indrelid = %s::regclass
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        (table,),
    )
    indexes = cur.fetchall()
    cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
        (table,),
    )
    foreign_keys = cur.fetchall()
    for name, _ in foreign_keys:
        cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier(table), sql.Identifier(name)))
    for name, _ in indexes:
        cur.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    yield
    cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for _, definition in indexes:
        cur.execute(definition)
    for name, definition in foreign_keys:
        cur.execute(
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                sql.Identifier(table), sql.Identifier(name), sql.SQL(definition)
            )
        )


def copy_rows(cur: psycopg.Cursor, table: str, columns: tuple[str, ...], rows) -> int:
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FREEZE)").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    count = 0
    with cur.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=8000)
    parser.add_argument("--committees", type=int, default=20, help="second-level committees under the root")
    parser.add_argument("--general-branches", type=int, default=150)
    parser.add_argument("--branches", type=int, default=6500)
    parser.add_argument("--members", type=int, default=140_000)
    parser.add_argument("--distinct-names", type=int, default=40_000, help="size of the pool of distinct names")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)

    url = libpq_url(os.environ.get("DATABASE_URL") or DEFAULT_URL)
    started = time.perf_counter()
    ensure_database(url)
    reset_schema_and_migrate(url)
    schema_done = time.perf_counter()
    print(f"schema (drop, create, migrate): {schema_done - started:6.2f} s")

    rng = random.Random(args.seed)
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        # TRUNCATE in this transaction lets COPY FREEZE write rows already frozen and all-visible,
        # as a table that autovacuum has caught up with would be (index-only scans need that).
        cur.execute("TRUNCATE organisations, members CASCADE")
        t0 = time.perf_counter()
        orgs = build_tree(rng, args.orgs, args.committees, args.general_branches, args.branches, args.members)
        org_rows = [
            (o.id, o.name, o.kind, o.parent_id, o.path, o.depth, o.sort_order, o.tree_key, o.created_at, None)
            for o in orgs
        ]
        n_orgs = copy_rows(cur, "organisations", ORG_COLUMNS, org_rows)
        t1 = time.perf_counter()
        print(f"organisations: {n_orgs:7,d} rows in {t1 - t0:6.2f} s")

        branches = [o for o in orgs if o.kind == "branch"]
        maker = MemberMaker(rng, date.today(), args.distinct_names)
        t_names = time.perf_counter()
        with indexes_built_after(cur, "members"):
            n_members = copy_rows(cur, "members", MEMBER_COLUMNS, member_rows(maker, branches))
            t_copy = time.perf_counter()
        t2 = time.perf_counter()
        print(
            f"members:       {n_members:7,d} rows in {t2 - t1:6.2f} s  ({len(maker.names):,d} distinct names with"
            f" pinyin keys {t_names - t1:.2f} s, rows + COPY {t_copy - t_names:.2f} s,"
            f" indexes + foreign keys {t2 - t_copy:.2f} s)"
        )

        for table in ("organisations", "members"):
            cur.execute(
                sql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), (SELECT max(id) FROM {}))").format(
                    sql.Literal(table), sql.Identifier(table)
                )
            )
        conn.commit()
        t3 = time.perf_counter()
        print(f"commit:                        {t3 - t2:6.2f} s")

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    t4 = time.perf_counter()
    print(f"analyze:                       {t4 - t3:6.2f} s")
    print(f"load total (orgs + members + commit + analyze): {t4 - t0:6.2f} s; with schema: {t4 - started:6.2f} s")
    kinds: dict[str, int] = {}
    for o in orgs:
        kinds[o.kind] = kinds.get(o.kind, 0) + 1
    print("organisations by kind:", ", ".join(f"{k} {v}" for k, v in kinds.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
