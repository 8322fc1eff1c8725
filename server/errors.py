"""One error shape for the whole API, with a stable machine code and a Chinese message.

    {"error": {"code": "invite_code_expired", "message": "邀请码已过期，请联系支部书记重新发放", "fields": {...}}}

Domain services raise :class:`AppError` (or a subclass) and know nothing of HTTP; the handlers
here turn it into a response. Admin pages get the same message rendered as HTML.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    """A failure the user can understand and act on."""

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        fields: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status


class NotFound(AppError):
    status = 404

    def __init__(self, message: str = "记录不存在", code: str = "not_found") -> None:
        super().__init__(code, message)


class PermissionDenied(AppError):
    status = 403

    def __init__(self, message: str = "无权访问该组织的数据", code: str = "forbidden") -> None:
        super().__init__(code, message)


class Unauthorized(AppError):
    status = 401

    def __init__(self, message: str = "请先登录", code: str = "unauthorized") -> None:
        super().__init__(code, message)


class ValidationFailed(AppError):
    status = 422

    def __init__(self, fields: dict[str, Any], message: str = "提交的内容有误，请检查后重试") -> None:
        super().__init__("invalid_input", message, fields=fields)
