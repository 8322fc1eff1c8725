"""WeChat Pay v3 for the dues: the adapter (``client``), its settings, errors and the trade bill parser."""

from server.wechat.pay.bill import TradeBill, TradeBillRow, TradeBillSummary, parse_trade_bill
from server.wechat.pay.client import Notification, Refund, Transaction, WeChatPayClient
from server.wechat.pay.errors import InvalidNotification, WeChatPayError, WeChatPayUnavailable
from server.wechat.pay.settings import PaySettings

__all__ = [
    "InvalidNotification",
    "Notification",
    "PaySettings",
    "Refund",
    "TradeBill",
    "TradeBillRow",
    "TradeBillSummary",
    "Transaction",
    "WeChatPayClient",
    "WeChatPayError",
    "WeChatPayUnavailable",
    "parse_trade_bill",
]
