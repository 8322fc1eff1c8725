"""WeChat Pay v3 (api.mch.weixin.qq.com) for one merchant, and the phone's ``wx.requestPayment``.

Every request must carry a valid ``Authorization: WECHATPAY2-SHA256-RSA2048 …`` signed with the
merchant's key (serial and mchid checked, timestamp within 5 minutes); every answer is signed with the
platform key in the ``Wechatpay-*`` headers, as WeChat does, except the bill file itself (WeChat gives
its SHA1 in the bill answer instead). Errors are HTTP 4xx/5xx with ``{"code", "message"}``.

``/_phone/pay`` is not WeChat: it plays the member who taps 支付 in ``wx.requestPayment`` with the
parameters our server handed the mini-program, after checking their ``paySign`` like WeChat does.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import secrets
import time
from datetime import date, datetime
from typing import Any

from flask import Blueprint, Response, request

from server.wechat.emulator.paybill import has_trades, trade_bill
from server.wechat.emulator.paynotify import BEIJING, verify
from server.wechat.emulator.paystate import PayError, PayState
from server.wechat.emulator.state import Delay, EmulatorError, HttpFailure, get_state

bp = Blueprint("wechat_pay", __name__)
phone_bp = Blueprint("wechat_pay_phone", __name__, url_prefix="/_phone")

#: Requests signed more than this many seconds away from WeChat's clock are refused.
REQUEST_MAX_SKEW = 300
_AUTH = re.compile(r'(\w+)="([^"]*)"')


def pay_state() -> PayState:
    return get_state().pay


def _json(payload: Any, status: int = 200) -> Response:
    body = "" if payload is None else json.dumps(payload, ensure_ascii=False)
    return Response(body, status=status, content_type="application/json; charset=utf-8")


@bp.errorhandler(PayError)
def _on_pay_error(exc: PayError) -> Response:
    return _json({"code": exc.code, "message": exc.message}, exc.status)


@bp.before_request
def _check_request() -> Response | None:
    step = get_state().next_step(request.path)
    if isinstance(step, Delay):
        time.sleep(step.seconds)
    elif isinstance(step, HttpFailure):
        return Response(f"<html><body>{step.status}</body></html>", status=step.status, content_type="text/html")
    elif isinstance(step, EmulatorError):
        raise PayError(500, "SYSTEM_ERROR", step.errmsg)
    _verify_authorization(pay_state())
    return None


@bp.after_request
def _sign_answer(response: Response) -> Response:
    if response.mimetype == "application/json" and "Wechatpay-Signature" not in response.headers:
        for name, value in pay_state().signed_headers(response.get_data(as_text=True)).items():
            response.headers[name] = value
    response.headers["Request-ID"] = f"08{secrets.token_hex(16).upper()}"
    return response


def _verify_authorization(state: PayState) -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, params = header.partition(" ")
    fields = dict(_AUTH.findall(params))
    if scheme != "WECHATPAY2-SHA256-RSA2048" or not all(
        k in fields for k in ("mchid", "nonce_str", "signature", "timestamp", "serial_no")
    ):
        raise PayError(401, "SIGN_ERROR", "Authorization 头缺失或格式错误")
    if fields["mchid"] != state.mchid:
        raise PayError(401, "SIGN_ERROR", "商户号与签名不匹配")
    if fields["serial_no"] != state.merchant_serial:
        raise PayError(401, "SIGN_ERROR", "商户证书序列号有误")
    # Against the wall clock, not the advanced one: our client signs with the machine's own time.
    wall = get_state().clock()
    if not fields["timestamp"].isdigit() or abs(int(fields["timestamp"]) - wall) > REQUEST_MAX_SKEW:
        raise PayError(401, "SIGN_ERROR", "签名时间戳已过期")
    uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not uri:
        query = request.query_string.decode()
        uri = request.path + (f"?{query}" if query else "")
    body = request.get_data(as_text=True)
    message = f"{request.method}\n{uri}\n{fields['timestamp']}\n{fields['nonce_str']}\n{body}\n"
    if not verify(state.merchant_public_key, message, fields["signature"]):
        raise PayError(401, "SIGN_ERROR", "签名错误")


def _body() -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise PayError(400, "PARAM_ERROR", "请求体须为 JSON 对象")
    return body


def _check_mchid(value: Any) -> None:
    if value != pay_state().mchid:
        raise PayError(400, "PARAM_ERROR", "mchid 与请求商户号不一致")


@bp.post("/v3/pay/transactions/jsapi")
def jsapi() -> Response:
    return _json({"prepay_id": pay_state().create_order(_body())})


@bp.get("/v3/pay/transactions/out-trade-no/<out_trade_no>")
def query(out_trade_no: str) -> Response:
    _check_mchid(request.args.get("mchid"))
    return _json(pay_state().order(out_trade_no).as_transaction())


@bp.get("/v3/pay/transactions/id/<transaction_id>")
def query_by_id(transaction_id: str) -> Response:
    _check_mchid(request.args.get("mchid"))
    state = pay_state()
    order = next((o for o in list(state.orders.values()) if o.transaction_id == transaction_id), None)
    if order is None:
        raise PayError(404, "ORDER_NOT_EXIST", "订单不存在")
    return _json(order.as_transaction())


@bp.post("/v3/pay/transactions/out-trade-no/<out_trade_no>/close")
def close(out_trade_no: str) -> Response:
    _check_mchid(_body().get("mchid"))
    pay_state().close(out_trade_no)
    return _json(None, 204)


@bp.post("/v3/refund/domestic/refunds")
def refund() -> Response:
    return _json(pay_state().refund(_body()))


@bp.get("/v3/refund/domestic/refunds/<out_refund_no>")
def query_refund(out_refund_no: str) -> Response:
    state = pay_state()
    found = state.refunds.get(out_refund_no)
    if found is None:
        raise PayError(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
    return _json(state.refund_view(found))


@bp.get("/v3/bill/tradebill")
def tradebill() -> Response:
    state = pay_state()
    try:
        day = date.fromisoformat(request.args.get("bill_date", ""))
    except ValueError:
        raise PayError(400, "PARAM_ERROR", "bill_date 格式须为 yyyy-MM-dd") from None
    bill_type = request.args.get("bill_type", "ALL")
    tar_type = request.args.get("tar_type")
    if bill_type not in ("ALL", "SUCCESS", "REFUND") or tar_type not in (None, "GZIP"):
        raise PayError(400, "PARAM_ERROR", "bill_type 或 tar_type 取值有误")
    if day >= datetime.fromtimestamp(state.now(), BEIJING).date():
        raise PayError(400, "INVALID_REQUEST", "只能下载当日之前的账单")
    if not has_trades(state, day):
        raise PayError(400, "NO_STATEMENT_EXIST", "账单文件不存在")
    text = trade_bill(state, day, bill_type).encode("utf-8")
    token = secrets.token_urlsafe(24)
    state.bill_files[token] = gzip.compress(text) if tar_type == "GZIP" else text
    return _json(
        {
            "hash_type": "SHA1",
            "hash_value": hashlib.sha1(text).hexdigest(),
            "download_url": f"{request.host_url.rstrip('/')}/v3/billdownload/file?token={token}",
        }
    )


@bp.get("/v3/billdownload/file")
def billdownload() -> Response:
    content = pay_state().bill_files.pop(request.args.get("token", ""), None)  # one download per link
    if content is None:
        raise PayError(400, "INVALID_REQUEST", "下载链接已失效")
    # The file is not JSON and not signed: the caller checks it against hash_value.
    return Response(content, content_type="application/octet-stream")


# -- the member's phone --------------------------------------------------------


class _PhoneFail(Exception):
    pass


@phone_bp.errorhandler(_PhoneFail)
def _on_fail(exc: _PhoneFail) -> tuple[Response, int]:
    return _json({"errMsg": f"requestPayment:fail {exc.args[0]}"}), 400


@phone_bp.post("/pay")
def phone_pay() -> Response:
    """``wx.requestPayment(params)`` by ``user``; ``"action": "cancel"`` plays the member who backs out."""
    state = pay_state()
    body = request.get_json(force=True, silent=True) or {}
    params = {k: body.get(k) for k in ("timeStamp", "nonceStr", "package", "signType", "paySign")}
    if not all(isinstance(v, str) and v for v in params.values()):
        raise _PhoneFail("parameter error: timeStamp, nonceStr, package, signType and paySign are required")
    if params["signType"] != "RSA":
        raise _PhoneFail("invalid signType")
    message = f"{state.appid}\n{params['timeStamp']}\n{params['nonceStr']}\n{params['package']}\n"
    if not verify(state.merchant_public_key, message, params["paySign"]):
        raise _PhoneFail("支付验证签名失败")
    if not params["package"].startswith("prepay_id="):
        raise _PhoneFail("package 格式错误")
    if body.get("action") == "cancel":
        raise _PhoneFail("cancel")
    user = body.get("user")
    openid = get_state().openid(user) if isinstance(user, str) and user else body.get("openid")
    try:
        order = state.pay(params["package"].removeprefix("prepay_id="), openid if isinstance(openid, str) else None)
    except PayError as exc:
        raise _PhoneFail(exc.message) from None
    return _json({"errMsg": "requestPayment:ok", "transaction_id": order.transaction_id})
