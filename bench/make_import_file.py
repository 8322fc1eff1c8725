"""Write a valid member-import workbook: the application's own template, filled with N realistic rows.

    python bench/make_import_file.py --rows 10000 --branch 导入压测支部 --out /tmp/党员名册.xlsx

Every row passes the importer's checks: Chinese names drawn from common surnames and given-name
characters, unique ID-card numbers with a correct check character whose birth date and sex match the
row, unique mobile numbers written as text (as the template asks), dates that respect the party's
rules (joined at 18 or later, full member a year after joining), dues base in yuan with at most two
decimals. Generation is deterministic for a given ``--seed``. The ID-card region codes are ones that
``bench/generate.py`` does not use, so the file also imports into its 140,000-member register.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server.members.excel import template_workbook

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛")
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志海燕红梅玉文博涵浩然宇轩欣怡梓萱俊晓东立新卫春秋菊振德"
REGIONS = ("330212", "350203", "320211", "420111", "430104", "510104", "610104", "120104", "210202", "440304")
PHONE_PREFIXES = ("138", "139", "136", "150", "151", "158", "186", "187", "177", "199")
ETHNICITIES = ("汉族",) * 18 + ("回族", "满族", "壮族", "土家族")
EDUCATIONS = ("研究生", "大学本科", "大学本科", "大学本科", "大学专科", "大学专科", "中等专科", "高中")
UNITS = ("第一项目部", "第二项目部", "第三项目部", "机关综合办公室", "工程管理部", "安全质量部", "物资设备部")
POSITIONS = ("项目经理", "工程师", "助理工程师", "技术员", "施工员", "安全员", "质量员", "资料员", "会计")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def id_card(region: str, birth: date, seq: int) -> str:
    """An 18-character resident ID number with its GB 11643 check character; odd ``seq`` is a man."""
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


class RowMaker:
    def __init__(self, seed: int, branch: str) -> None:
        self.rng = random.Random(seed)
        self.branch = branch
        self.today = date.today()
        self.id_cards: set[str] = set()
        self.phones: set[str] = set()

    def name(self) -> str:
        rng = self.rng
        surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.005 else rng.choice(SURNAMES)
        return surname + "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))

    def unique_id_card(self, birth: date, male: bool) -> str:
        while True:
            card = id_card(self.rng.choice(REGIONS), birth, self.rng.randrange(0, 500) * 2 + int(male))
            if card not in self.id_cards:
                self.id_cards.add(card)
                return card

    def unique_phone(self) -> str:
        while True:
            phone = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(100_000_000):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone

    def row(self) -> dict[str, object]:
        rng, today = self.rng, self.today
        male = rng.random() < 0.68
        birth = date(rng.randint(1955, 2003), rng.randint(1, 12), rng.randint(1, 28))
        earliest_join = date(birth.year + 18, birth.month, birth.day)
        join = earliest_join + timedelta(days=rng.randrange(max((today - earliest_join).days, 1)))
        full = join + timedelta(days=365) if join + timedelta(days=365) <= today else None
        retired = today.year - birth.year >= 60
        return {
            "姓名": self.name(),
            "性别": "男" if male else "女",
            "民族": rng.choice(ETHNICITIES),
            "出生日期": datetime(birth.year, birth.month, birth.day),
            "手机号": self.unique_phone(),
            "身份证号": self.unique_id_card(birth, male),
            "学历": rng.choice(EDUCATIONS),
            "工作单位": rng.choice(UNITS),
            "职务": rng.choice(POSITIONS),
            "入党日期": datetime(join.year, join.month, join.day),
            "转正日期": datetime(full.year, full.month, full.day) if full else None,
            "党员状态": "正式党员" if full else "预备党员",
            "党费类别": "离退休" if retired else "在职",
            "月缴费基数（元）": f"{rng.randint(2500, 20000)}.{rng.choice(('00', '50', '35'))}",
            "所在支部": self.branch,
        }


def rows(count: int, branch: str, seed: int = 2026) -> Iterator[dict[str, object]]:
    maker = RowMaker(seed, branch)
    for _ in range(count):
        yield maker.row()


def make_workbook(count: int = 10_000, branch: str = "导入压测支部", seed: int = 2026) -> bytes:
    """The import template as a secretary downloads it, with ``count`` rows typed in."""
    book = load_workbook(io.BytesIO(template_workbook([branch])))
    sheet = book["党员名册"]
    titles = [cell.value.rstrip("*") for cell in sheet[1]]
    for row in rows(count, branch, seed):
        sheet.append([row.get(title) for title in titles])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--branch", default="导入压测支部", help="the 所在支部 label, as the template's list shows it")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", default="党员名册导入.xlsx")
    args = parser.parse_args(argv)
    Path(args.out).write_bytes(make_workbook(args.rows, args.branch, args.seed))
    print(f"wrote {args.rows} rows for {args.branch} to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
