"""HTTP edge: the OpenAPI-documented API object and the handlers that give every error one shape."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_smorest import Api, Blueprint
from flask_wtf.csrf import CSRFError
from marshmallow import Schema, fields
from redis.exceptions import RedisError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from server.errors import AppError
from server.schema_fields import MAX_RECORD_ID
from server.wechat.errors import WeChatError, WeChatUnavailable

log = logging.getLogger(__name__)

# Marshmallow speaks English; members and secretaries read Chinese.
_MESSAGES = {
    "Missing data for required field.": "此项必填",
    "Unknown field.": "不支持的字段",
    "Field may not be null.": "此项不能为空",
    "Not a valid string.": "应为文本",
    "Not a valid integer.": "应为整数",
    "Not a valid number.": "应为数字",
    "Not a valid boolean.": "应为是或否",
    "Not a valid date.": "日期格式应为 YYYY-MM-DD",
    "Not a valid datetime.": "时间格式不正确",
    "Not a valid time.": "时间格式应为 HH:MM",
    "Not a valid utf-8 string.": "文本编码不正确",
    "Special numeric values (nan or infinity) are not permitted.": "应为有限的数字",
    "Number too large.": "数字太大",
    "Invalid input type.": "数据类型不正确",
    "Invalid value.": "取值不正确",
    "Not a valid list.": "应为列表",
    "Not a valid mapping type.": "应为对象",
}
_PATTERNS = [
    (re.compile(r"Longer than maximum length (\d+)\."), "不能超过 {0} 个字符"),
    (re.compile(r"Shorter than minimum length (\d+)\."), "不能少于 {0} 个字符"),
    (re.compile(r"Length must be between (\d+) and (\d+)\."), "长度应在 {0} 到 {1} 个字符之间"),
    (re.compile(r"Must be one of: .*"), "取值不在允许范围内"),
    (re.compile(r"Must be greater than or equal to (\S+) and less than or equal to (\S+)\."), "应在 {0} 到 {1} 之间"),
    (re.compile(r"Must be greater than or equal to (\S+)\."), "不能小于 {0}"),
    (re.compile(r"Must be less than or equal to (\S+)\."), "不能大于 {0}"),
]

_STATUS_ERRORS = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthorized", "请先登录"),
    403: ("forbidden", "没有权限执行此操作"),
    404: ("not_found", "请求的内容不存在"),
    405: ("method_not_allowed", "不支持的请求方式"),
    413: ("payload_too_large", "上传的内容太大"),
    415: ("unsupported_media_type", "请求内容类型不正确，应为 JSON"),
    422: ("invalid_input", "提交的内容有误，请检查后重试"),
    429: ("rate_limited", "操作过于频繁，请稍后再试"),
    500: ("server_error", "服务器出错了，请稍后再试"),
}


def translate(messages: Any) -> Any:
    """Translate marshmallow's nested error messages into Chinese, keeping their structure."""
    if isinstance(messages, dict):
        return {key: translate(value) for key, value in messages.items()}
    if isinstance(messages, list):
        return [translate(value) for value in messages]
    if not isinstance(messages, str):
        return messages
    if messages in _MESSAGES:
        return _MESSAGES[messages]
    for pattern, template in _PATTERNS:
        if match := pattern.fullmatch(messages):
            return template.format(*match.groups())
    return messages


def _is_api_request() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(code: str, message: str, status: int, fields: Any = None, headers=None):
    if _is_api_request():
        body: dict[str, Any] = {"code": code, "message": message}
        if fields:
            body["fields"] = fields
        response = jsonify({"error": body})
    else:
        response = render_template("error.html", code=code, message=message, status=status)
    return response, status, headers or {}


#: where webargs says it read the arguments from
_LOCATIONS = {"json", "query", "form", "json_or_form", "headers", "cookies", "files", "path"}


def _without_location(messages: Any) -> Any:
    """{"query": {"year": [...]}} → {"year": [...]}: one location is all a request has here."""
    if isinstance(messages, dict) and len(messages) == 1 and next(iter(messages)) in _LOCATIONS:
        return next(iter(messages.values()))
    return messages


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"description": "stable machine code, e.g. invite_code_expired"})
    message = fields.String(required=True, metadata={"description": "in Chinese, for the member to read"})
    field_errors = fields.Dict(
        data_key="fields", metadata={"description": "what is wrong with each field of the input, when it was refused"}
    )


class ErrorSchema(Schema):
    """The one shape of every error answer (see ``error_response``)."""

    error = fields.Nested(ErrorDetailSchema, required=True)


#: What any API route may answer, besides its own success (and 422, documented where a route reads input):
#: a refusal with its reason, no or a dead token, a scope it may not touch, a record that does not exist,
#: a conflict with data saved meanwhile, too many tries.
SHARED_ERRORS = (400, 401, 403, 404, 409, 429)


class ApiBlueprint(Blueprint):
    """flask-smorest's Blueprint, documenting on each of its routes the errors every API route may answer."""

    def arguments(self, schema, *args, **kwargs):
        """As flask-smorest's, with a schema class made into its instance once: webargs would make a new one
        on every request (0.05 ms for an answer's three fields, more for larger schemas: every field is
        copied and bound), and our schemas keep no state between loads."""
        return super().arguments(schema() if isinstance(schema, type) else schema, *args, **kwargs)

    @staticmethod
    def _prepare_response_doc(doc, doc_info, *, api, spec, **kwargs):
        responses = doc_info.setdefault("response", {}).setdefault("responses", {})
        for status in SHARED_ERRORS:
            responses.setdefault(status, [HTTPStatus(status).name])  # the Api's shared response of that name
        return Blueprint._prepare_response_doc(doc, doc_info, api=api, spec=spec, **kwargs)


def service_unavailable():
    """Redis (admin sessions) cannot be reached: 503, without touching the session that failed.

    The page is standalone: the admin layout reads the session (CSRF token, flashed messages) and would
    fail again. Members' API calls carry bearer tokens and do not need Redis (see README, "When a
    server fails").
    """
    code, message = "service_unavailable", "服务暂时不可用，请稍后再试"
    headers = {"Retry-After": "30"}
    if _is_api_request():
        return error_response(code, message, 503, headers=headers)
    return render_template("unavailable.html", code=code, message=message), 503, headers


def wechat_failure(error: WeChatError):
    """WeChat failed where no service translated it (a secretary's poster): Chinese, and never a 500."""
    log.warning("WeChat failed: %s", error)
    if isinstance(error, WeChatUnavailable):
        return error_response("wechat_unavailable", "微信服务暂时不可用，请稍后再试", 503)
    return error_response("wechat_error", f"微信接口出错（{error.errcode}），请稍后再试", 502)


class EDangwuApi(Api):
    """flask-smorest's Api, answering every HTTP error in our one shape and documenting that shape."""

    ERROR_SCHEMA = ErrorSchema
    # No catch-all "default" response: a status a route does not declare is a break of the contract.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def handle_http_exception(self, error: HTTPException):
        # Flask hands an error raised outside a view (opening or saving the session) to the 500 handler.
        if isinstance(getattr(error, "original_exception", None), RedisError):
            return service_unavailable()
        code, message = _STATUS_ERRORS.get(error.code or 500, ("error", error.description or "出错了"))
        data = getattr(error, "data", None) or {}
        fields = None
        if "messages" in data:
            # webargs: {"json": {...}} or {"query": {...}}; the location is noise for the user.
            fields = translate(_without_location(data["messages"]))
        if error.code == 400 and "Invalid JSON" in str(data.get("messages", "")) + str(error.description):
            code, message, fields = "malformed_json", "请求内容不是有效的 JSON", None
        return error_response(code, message, error.code or 500, fields, data.get("headers"))


class RecordIdConverter(IntegerConverter):
    """``<int:...>`` in every route: a number no row can have as its id matches no route (404), instead of
    reaching the database, which fails on it (and the OpenAPI document states the bound)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_RECORD_ID, signed=False) -> None:
        super().__init__(map, fixed_digits, min, max, signed)


def install_url_converters(app: Flask) -> None:
    """Before any route is added: routes bind their converters when they are added."""
    app.url_map.converters["int"] = RecordIdConverter


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def handle_app_error(error: AppError):
        return error_response(error.code, error.message, error.status, error.fields)

    @app.errorhandler(CSRFError)
    def handle_csrf_error(error: CSRFError):
        return error_response("csrf_failed", "页面已过期，请刷新后重试", 400)

    @app.errorhandler(RateLimitExceeded)
    def handle_rate_limited(error: RateLimitExceeded):
        return error_response("rate_limited", "操作过于频繁，请稍后再试", 429)

    @app.errorhandler(RedisError)
    def handle_redis_down(error: RedisError):
        log.error("Redis failed: %s", error)
        return service_unavailable()

    app.register_error_handler(WeChatError, wechat_failure)
