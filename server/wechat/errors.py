"""The one error type WeChat calls raise, whatever went wrong underneath."""

from __future__ import annotations

#: errcodes callers commonly branch on.
BUSY = -1
INVALID_CREDENTIAL = 40001
INVALID_OPENID = 40003
INVALID_APPID = 40013
INVALID_CODE = 40029
INVALID_TEMPLATE = 40037
INVALID_SCENE = 40169
ACCESS_TOKEN_EXPIRED = 42001
SUBSCRIPTION_REFUSED = 43101
TEMPLATE_RATE_LIMITED = 45009
CODE2SESSION_RATE_LIMITED = 45011
INVALID_ARGUMENT = 47003


class WeChatError(Exception):
    """WeChat answered with an error code (or could not be asked at all, see subclass)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(errcode, errmsg)
        self.errcode = errcode
        self.errmsg = errmsg

    def __str__(self) -> str:
        return f"WeChat error {self.errcode}: {self.errmsg}"


#: WeChat did not do it, and asking again later may work: "system busy" and the rate limits.
RETRY_LATER = frozenset({BUSY, TEMPLATE_RATE_LIMITED, CODE2SESSION_RATE_LIMITED})


class WeChatUnavailable(WeChatError):
    """WeChat could not be reached, timed out, failed at HTTP level, was busy (-1) or rate-limited us.

    Retrying later may succeed: the request itself was not judged wrong. ``uncertain`` is true when
    WeChat may have carried it out all the same (we stopped waiting for its answer, or a gateway failed
    after passing it on): a call with an effect, such as sending a message, must then not be repeated.
    """

    def __init__(self, errcode: int, errmsg: str, *, uncertain: bool = False) -> None:
        super().__init__(errcode, errmsg)
        self.uncertain = uncertain
