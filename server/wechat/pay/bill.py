"""WeChat Pay's daily trade bill (交易账单) parsed into typed rows, amounts in integer fen."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))
SUMMARY_FIRST_FIELD = "总交易单数"


def fen(yuan: str) -> int:
    """``"12.34"`` → 1234, ``"-0.20"`` → -20, without floats; WeChat writes exactly two decimals."""
    text = yuan.strip()
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("+-").partition(".")
    if not whole.isdigit() or not (frac == "" or (frac.isdigit() and len(frac) <= 2)):
        raise ValueError(f"not an amount in yuan: {yuan!r}")
    value = int(whole) * 100 + int(frac.ljust(2, "0") or 0)
    return -value if negative else value


@dataclass(frozen=True)
class TradeBillRow:
    """One payment (``trade_state`` SUCCESS) or refund (``trade_state`` REFUND) line."""

    trade_time: datetime  # aware, Asia/Shanghai as WeChat writes it
    appid: str
    mchid: str
    transaction_id: str
    out_trade_no: str
    openid: str
    trade_type: str
    trade_state: str
    settled_fen: int  # 应结订单金额 (0 on refund lines)
    refund_id: str
    out_refund_no: str
    refund_fen: int  # 退款金额
    refund_status: str
    description: str
    attach: str
    fee: str  # 手续费, yuan with five decimals as written
    order_fen: int  # 订单金额
    refund_requested_fen: int  # 申请退款金额
    fields: dict[str, str]  # every column by its Chinese header


@dataclass(frozen=True)
class TradeBillSummary:
    count: int
    settled_fen: int
    refunded_fen: int
    fee: str
    order_fen: int
    refund_requested_fen: int


@dataclass(frozen=True)
class TradeBill:
    rows: list[TradeBillRow]
    summary: TradeBillSummary | None  # None: WeChat had no bill for the day (no trades)


def _clean(value: str) -> str:
    return value[1:] if value.startswith("`") else value


def parse_trade_bill(text: str) -> TradeBill:
    """Parse the CSV; raises ``ValueError`` when it is not a trade bill or its totals do not add up."""
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    lines = [line for line in lines if line]
    if not lines or "商户订单号" not in lines[0]:
        raise ValueError("not a WeChat Pay trade bill: no header line")
    header = lines[0]
    try:
        split = next(i for i, line in enumerate(lines) if line[0] == SUMMARY_FIRST_FIELD)
    except StopIteration:
        raise ValueError("trade bill without its summary") from None
    rows = []
    for raw in lines[1:split]:
        if len(raw) != len(header):
            raise ValueError(f"trade bill line has {len(raw)} fields, header {len(header)}")
        f = dict(zip(header, (_clean(v) for v in raw), strict=True))
        rows.append(
            TradeBillRow(
                trade_time=datetime.strptime(f["交易时间"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING),
                appid=f["公众账号ID"],
                mchid=f["商户号"],
                transaction_id=f["微信订单号"],
                out_trade_no=f["商户订单号"],
                openid=f["用户标识"],
                trade_type=f["交易类型"],
                trade_state=f["交易状态"],
                settled_fen=fen(f["应结订单金额"]),
                refund_id=f["微信退款单号"] if f["微信退款单号"] != "0" else "",
                out_refund_no=f["商户退款单号"] if f["商户退款单号"] != "0" else "",
                refund_fen=fen(f["退款金额"]),
                refund_status=f["退款状态"],
                description=f["商品名称"],
                attach=f["商户数据包"],
                fee=f["手续费"],
                order_fen=fen(f.get("订单金额", "0.00")),
                refund_requested_fen=fen(f.get("申请退款金额", "0.00")),
                fields=f,
            )
        )
    names, values = lines[split], [_clean(v) for v in lines[split + 1]]
    s = dict(zip(names, values, strict=True))
    summary = TradeBillSummary(
        count=int(s["总交易单数"]),
        settled_fen=fen(s["应结订单总金额"]),
        refunded_fen=fen(s["退款总金额"]),
        fee=s["手续费总金额"],
        order_fen=fen(s.get("订单总金额", "0.00")),
        refund_requested_fen=fen(s.get("申请退款总金额", "0.00")),
    )
    if summary.count != len(rows) or summary.settled_fen != sum(r.settled_fen for r in rows):
        raise ValueError("trade bill summary does not match its lines")
    if summary.refunded_fen != sum(r.refund_fen for r in rows):
        raise ValueError("trade bill refund total does not match its lines")
    return TradeBill(rows=rows, summary=summary)
