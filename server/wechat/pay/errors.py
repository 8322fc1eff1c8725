"""What WeChat Pay calls raise; nothing from requests or wechatpayv3 leaves the adapter."""

from __future__ import annotations

#: Pay v3 error codes callers branch on.
ORDER_NOT_EXIST = "ORDER_NOT_EXIST"
ORDERPAID = "ORDERPAID"
ORDER_CLOSED = "ORDER_CLOSED"
OUT_TRADE_NO_USED = "OUT_TRADE_NO_USED"
NOT_ENOUGH = "NOT_ENOUGH"
NO_STATEMENT_EXIST = "NO_STATEMENT_EXIST"
RESOURCE_NOT_EXISTS = "RESOURCE_NOT_EXISTS"
#: Our own codes for failures that are not an answer from WeChat.
UNREACHABLE = "UNREACHABLE"
TIMEOUT = "TIMEOUT"
BAD_ANSWER = "BAD_ANSWER"

#: WeChat's codes for "not done, try again later".
RETRY_LATER = frozenset({"SYSTEM_ERROR", "FREQUENCY_LIMITED", "BANK_ERROR", "SYSTEMERROR"})


class WeChatPayError(Exception):
    """WeChat Pay refused the request: HTTP ``status`` and its ``code`` / ``message``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return f"WeChat Pay error {self.status} {self.code}: {self.message}"


class WeChatPayUnavailable(WeChatPayError):
    """WeChat Pay could not be asked, did not answer in time, failed (5xx, SYSTEM_ERROR) or answered
    with a signature we cannot verify. Retrying later may work.

    ``uncertain``: WeChat may have carried out the request all the same (we stopped waiting, or the
    answer was lost): query before acting as if an order or refund was not created.
    """

    def __init__(self, status: int, code: str, message: str, *, uncertain: bool) -> None:
        super().__init__(status, code, message)
        self.uncertain = uncertain


class InvalidNotification(Exception):
    """A payment or refund notification we must not believe. Answer it with a 4xx and change nothing.

    ``reason`` is one of ``signature_type``, ``serial``, ``timestamp`` (missing, stale or from the future),
    ``signature``, ``malformed`` (not the JSON envelope WeChat sends) or ``decrypt`` (wrong APIv3 key or
    tampered ciphertext).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason, detail)
        self.reason = reason
        self.detail = detail

    def __str__(self) -> str:
        return f"invalid notification ({self.reason}){': ' + self.detail if self.detail else ''}"
