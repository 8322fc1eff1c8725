"""The daily trade bill (交易账单) in WeChat Pay's own CSV layout.

Every field starts with a backquote (WeChat's guard against spreadsheets reading numbers), amounts are
yuan with two decimals, the fee five. The file is the header line, one line per payment and per refund
that succeeded that Beijing day (a refund that ended ABNORMAL or CLOSED returned nothing), then the
summary header and the summary line. ``bill_type`` ALL lists both, SUCCESS only payments, REFUND only
refunds.
"""

from __future__ import annotations

from datetime import date, datetime

from server.wechat.emulator.paynotify import BEIJING
from server.wechat.emulator.paystate import Order, PayState, Refund

HEADER = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
    "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
    "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
SUMMARY_HEADER = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
#: The emulated merchant's fee rate: 0.6%, rounded to the fen per line.
FEE_PER_MILLE = 6


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def fee(fen: int) -> int:
    return (fen * FEE_PER_MILLE + 500) // 1000


def _line(fields: list[str]) -> str:
    return ",".join("`" + f for f in fields)


def _local(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, BEIJING)


def _payment_line(state: PayState, order: Order) -> tuple[str, int, int, int]:
    fields = [
        _local(order.success_at or 0).strftime("%Y-%m-%d %H:%M:%S"),
        order.appid,
        state.mchid,
        "0",
        "",
        order.transaction_id or "",
        order.out_trade_no,
        order.payer_openid,
        "JSAPI",
        "SUCCESS",
        "OTHERS",
        "CNY",
        yuan(order.total),
        "0.00",
        "0",
        "0",
        "0.00",
        "0.00",
        "",
        "",
        order.description,
        order.attach or "",
        f"{fee(order.total) / 100:.5f}",
        "0.60%",
        yuan(order.total),
        "0.00",
        "",
    ]
    return _line(fields), order.total, 0, fee(order.total)


def _refund_line(state: PayState, order: Order, refund: Refund) -> tuple[str, int, int, int]:
    refund_fee = -fee(refund.amount)  # the fee on the refunded part is returned
    fields = [
        _local(refund.success_at or 0).strftime("%Y-%m-%d %H:%M:%S"),
        order.appid,
        state.mchid,
        "0",
        "",
        order.transaction_id or "",
        order.out_trade_no,
        order.payer_openid,
        "JSAPI",
        "REFUND",
        "OTHERS",
        "CNY",
        "0.00",
        "0.00",
        refund.refund_id,
        refund.out_refund_no,
        yuan(refund.amount),
        "0.00",
        "ORIGINAL",
        refund.status,
        order.description,
        order.attach or "",
        f"{refund_fee / 100:.5f}",
        "0.60%",
        "0.00",
        yuan(refund.amount),
        "",
    ]
    return _line(fields), 0, refund.amount, refund_fee


def has_trades(state: PayState, day: date) -> bool:
    return bool(_entries(state, day, "ALL"))


def _entries(state: PayState, day: date, bill_type: str) -> list[tuple[float, tuple[str, int, int, int]]]:
    entries = []
    for order in state.orders.values():
        if bill_type in ("ALL", "SUCCESS") and order.success_at is not None and _local(order.success_at).date() == day:
            entries.append((order.success_at, _payment_line(state, order)))
        for refund in order.refunds:  # a refund is on the bill of the day its money went back
            at = refund.success_at
            if bill_type in ("ALL", "REFUND") and at is not None and _local(at).date() == day:
                entries.append((at, _refund_line(state, order, refund)))
    entries.sort(key=lambda entry: entry[0])
    return entries


def trade_bill(state: PayState, day: date, bill_type: str = "ALL") -> str:
    """The bill's text (UTF-8, lines ending in CRLF as WeChat's files do)."""
    entries = _entries(state, day, bill_type)
    paid = sum(e[1][1] for e in entries)
    refunded = sum(e[1][2] for e in entries)
    fees = sum(e[1][3] for e in entries)
    lines = [HEADER, *(e[1][0] for e in entries), SUMMARY_HEADER]
    lines.append(
        _line([str(len(entries)), yuan(paid), yuan(refunded), "0.00", f"{fees / 100:.5f}", yuan(paid), yuan(refunded)])
    )
    return "\r\n".join(lines) + "\r\n"
