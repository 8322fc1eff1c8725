"""Our WeChat Pay v3 adapter against the emulator on a socket: every call, its refusals and failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from server.wechat.emulator.testing import RunningEmulator, pay_settings_for
from server.wechat.pay import WeChatPayClient, WeChatPayError, WeChatPayUnavailable

BEIJING = timezone(timedelta(hours=8))


def expiry(minutes: int = 30) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def place(wechatpay: WeChatPayClient, emulator: RunningEmulator, no: str = "DUES202612000001", fen: int = 1500, **kw):
    return wechatpay.create_jsapi_order(
        out_trade_no=no,
        description=kw.pop("description", "党费 2026年10月—12月"),
        amount_fen=fen,
        payer_openid=kw.pop("openid", emulator.openid("alice")),
        time_expire=kw.pop("time_expire", expiry()),
        **kw,
    )


def test_an_order_is_placed_paid_on_the_phone_and_reported_paid(wechatpay, emulator):
    prepay_id = place(wechatpay, emulator, attach="order=7")
    before = wechatpay.query_order("DUES202612000001")
    assert (before.trade_state, before.total_fen, before.transaction_id) == ("NOTPAY", 1500, None)

    params = wechatpay.payment_params(prepay_id)
    assert set(params) == {"timeStamp", "nonceStr", "package", "signType", "paySign"}
    assert params["package"] == f"prepay_id={prepay_id}" and params["signType"] == "RSA"
    answer = emulator.request_payment("alice", params)
    assert answer["errMsg"] == "requestPayment:ok"

    after = wechatpay.query_order("DUES202612000001")
    assert after.trade_state == "SUCCESS"
    assert after.transaction_id == answer["transaction_id"]
    assert (after.total_fen, after.payer_total_fen, after.attach) == (1500, 1500, "order=7")
    assert after.payer_openid == emulator.openid("alice")
    assert after.success_time is not None and after.success_time.tzinfo is not None


def test_the_phone_refuses_parameters_we_did_not_sign(wechatpay, emulator):
    params = wechatpay.payment_params(place(wechatpay, emulator))
    forged = {**params, "package": "prepay_id=wx_someone_elses"}
    assert emulator.request_payment("alice", forged)["errMsg"].startswith("requestPayment:fail")
    assert wechatpay.query_order("DUES202612000001").trade_state == "NOTPAY"


def test_a_member_who_cancels_or_another_member_pays_nothing(wechatpay, emulator):
    params = wechatpay.payment_params(place(wechatpay, emulator))
    assert emulator.request_payment("alice", params, cancel=True)["errMsg"] == "requestPayment:fail cancel"
    assert emulator.request_payment("bob", params)["errMsg"].startswith("requestPayment:fail")
    assert wechatpay.query_order("DUES202612000001").trade_state == "NOTPAY"
    assert emulator.notifications() == []


def test_placing_the_same_order_again_returns_its_prepay_id_and_other_content_is_refused(wechatpay, emulator):
    first = place(wechatpay, emulator)
    assert place(wechatpay, emulator) == first
    with pytest.raises(WeChatPayError) as refused:
        place(wechatpay, emulator, fen=1600)
    assert (refused.value.status, refused.value.code) == (403, "OUT_TRADE_NO_USED")


def test_a_paid_order_cannot_be_placed_again(wechatpay, emulator):
    emulator.confirm_payment(place(wechatpay, emulator), "alice")
    with pytest.raises(WeChatPayError) as refused:
        place(wechatpay, emulator)
    assert refused.value.code == "ORDERPAID"


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"mchid": "1999999999"}, "MCH_NOT_EXISTS"),
        ({"appid": "wx_other_app"}, "APPID_MCHID_NOT_MATCH"),
        ({"amount": {"total": 0, "currency": "CNY"}}, "PARAM_ERROR"),
        ({"amount": {"total": -100, "currency": "CNY"}}, "PARAM_ERROR"),
        ({"amount": {"total": 1.5, "currency": "CNY"}}, "PARAM_ERROR"),
        ({"payer": {"openid": "not an openid"}}, "PARAM_ERROR"),
        ({"notify_url": "https://example.com/notify?x=1"}, "PARAM_ERROR"),
        ({"notify_url": "http://example.com/notify"}, "PARAM_ERROR"),  # WeChat wants https
        ({"time_expire": "2020-01-01T00:00:00+08:00"}, "PARAM_ERROR"),
        ({"time_expire": "tomorrow"}, "PARAM_ERROR"),
        ({"out_trade_no": "短"}, "PARAM_ERROR"),
    ],
)
def test_the_emulator_refuses_orders_wechat_would_refuse(wechatpay, emulator, changes, code):
    # Straight through wechatpayv3, so the request is signed as ours but the adapter's own checks are bypassed.
    params = {
        "description": "党费",
        "out_trade_no": "DUES202612000009",
        "amount": {"total": 100, "currency": "CNY"},
        "payer": {"openid": emulator.openid("alice")},
        "time_expire": expiry().isoformat(timespec="seconds"),
        "notify_url": "https://dangwu.example.com/api/wechatpay/notify",
    } | changes
    status, body = wechatpay._pay.pay(**params)
    assert status == 400 and f'"code": "{code}"' in body
    assert emulator.pay.orders == {}


def test_the_adapter_refuses_a_non_positive_amount_or_naive_expiry_before_asking(wechatpay, emulator):
    with pytest.raises(ValueError):
        place(wechatpay, emulator, fen=0)
    with pytest.raises(ValueError):
        place(wechatpay, emulator, time_expire=datetime.now())
    assert emulator.calls("/v3/pay/transactions/jsapi") == 0


def test_an_unknown_order_is_order_not_exist(wechatpay):
    with pytest.raises(WeChatPayError) as missing:
        wechatpay.query_order("DUES_NOT_PLACED")
    assert (missing.value.status, missing.value.code) == (404, "ORDER_NOT_EXIST")
    assert not isinstance(missing.value, WeChatPayUnavailable)


def test_a_closed_order_cannot_be_paid_and_a_paid_one_cannot_be_closed(wechatpay, emulator):
    params = wechatpay.payment_params(place(wechatpay, emulator, no="DUES202612000001"))
    wechatpay.close_order("DUES202612000001")
    wechatpay.close_order("DUES202612000001")  # again: accepted, as on WeChat
    assert wechatpay.query_order("DUES202612000001").trade_state == "CLOSED"
    assert "订单已关闭" in emulator.request_payment("alice", params)["errMsg"]

    emulator.confirm_payment(place(wechatpay, emulator, no="DUES202612000002"))
    with pytest.raises(WeChatPayError) as paid:
        wechatpay.close_order("DUES202612000002")
    assert paid.value.code == "ORDERPAID"


def test_a_payment_racing_the_close_ends_paid_and_notified(wechatpay, emulator):
    prepay_id = place(wechatpay, emulator)
    wechatpay.close_order("DUES202612000001")
    emulator.confirm_payment(prepay_id, "alice", even_if_closed=True)
    assert wechatpay.query_order("DUES202612000001").trade_state == "SUCCESS"
    assert [n.event_type for n in emulator.notifications("DUES202612000001")] == ["TRANSACTION.SUCCESS"]


def test_an_order_past_its_expiry_cannot_be_paid(wechatpay, emulator):
    params = wechatpay.payment_params(place(wechatpay, emulator, time_expire=expiry(5)))
    emulator.advance(6 * 60)
    assert "订单已过期" in emulator.request_payment("alice", params)["errMsg"]
    assert wechatpay.query_order("DUES202612000001").trade_state == "NOTPAY"  # until we close it


def test_refunds_part_by_part_up_to_the_amount_paid(wechatpay, emulator, receiver):
    emulator.confirm_payment(place(wechatpay, emulator, fen=1500))
    refund = wechatpay.refund(
        out_trade_no="DUES202612000001", out_refund_no="RF0001", refund_fen=500, total_fen=1500, reason="多缴一个月"
    )
    assert (refund.status, refund.refund_fen, refund.total_fen) == ("PROCESSING", 500, 1500)
    assert refund.out_trade_no == "DUES202612000001" and refund.refund_id

    again = wechatpay.refund(out_trade_no="DUES202612000001", out_refund_no="RF0001", refund_fen=500, total_fen=1500)
    assert again.refund_id == refund.refund_id  # the same out_refund_no is the same refund
    assert wechatpay.query_refund("RF0001").status == "SUCCESS"
    assert wechatpay.query_order("DUES202612000001").trade_state == "REFUND"

    with pytest.raises(WeChatPayError) as too_much:
        wechatpay.refund(out_trade_no="DUES202612000001", out_refund_no="RF0002", refund_fen=1001, total_fen=1500)
    assert too_much.value.code == "NOT_ENOUGH"
    with pytest.raises(WeChatPayError) as wrong_total:
        wechatpay.refund(out_trade_no="DUES202612000001", out_refund_no="RF0003", refund_fen=100, total_fen=1400)
    assert wrong_total.value.code == "INVALID_REQUEST"
    wechatpay.refund(out_trade_no="DUES202612000001", out_refund_no="RF0004", refund_fen=1000, total_fen=1500)

    emulator.deliver_due()
    refunds = [wechatpay.verify_notification(h, b) for h, b in receiver.received]
    refunds = [n.refund for n in refunds if n.event_type == "REFUND.SUCCESS"]
    assert sorted((r.out_refund_no, r.refund_fen, r.status) for r in refunds) == [
        ("RF0001", 500, "SUCCESS"),
        ("RF0004", 1000, "SUCCESS"),
    ]


def test_an_unpaid_order_cannot_be_refunded(wechatpay, emulator):
    place(wechatpay, emulator)
    with pytest.raises(WeChatPayError) as refused:
        wechatpay.refund(out_trade_no="DUES202612000001", out_refund_no="RF0001", refund_fen=100, total_fen=1500)
    assert refused.value.code == "INVALID_REQUEST"
    with pytest.raises(WeChatPayError) as missing:
        wechatpay.query_refund("RF0001")
    assert missing.value.code == "RESOURCE_NOT_EXISTS"


def test_the_days_trade_bill_lists_payments_and_refunds_in_fen(wechatpay, emulator):
    emulator.confirm_payment(place(wechatpay, emulator, no="DUES202612000001", fen=1500, attach="o=1"))
    emulator.confirm_payment(place(wechatpay, emulator, no="DUES202612000002", fen=20, openid=emulator.openid("bob")))
    place(wechatpay, emulator, no="DUES202612000003", fen=999)  # never paid: not on the bill
    wechatpay.refund(out_trade_no="DUES202612000001", out_refund_no="RF0001", refund_fen=500, total_fen=1500)
    day = datetime.fromtimestamp(emulator.state.now(), BEIJING).date()

    with pytest.raises(WeChatPayError) as too_early:
        wechatpay.trade_bill(day)  # WeChat has no bill for a day not yet over
    assert too_early.value.code == "INVALID_REQUEST"

    emulator.advance(86400)
    bill = wechatpay.trade_bill(day)
    paid = {r.out_trade_no: r.settled_fen for r in bill.rows if r.trade_state == "SUCCESS"}
    assert paid == {"DUES202612000001": 1500, "DUES202612000002": 20}
    (refund,) = [r for r in bill.rows if r.trade_state == "REFUND"]
    assert (refund.out_trade_no, refund.out_refund_no, refund.refund_fen) == ("DUES202612000001", "RF0001", 500)
    assert bill.summary is not None
    assert (bill.summary.count, bill.summary.settled_fen, bill.summary.refunded_fen) == (3, 1520, 500)
    first = next(r for r in bill.rows if r.out_trade_no == "DUES202612000001" and r.trade_state == "SUCCESS")
    assert first.attach == "o=1" and first.description == "党费 2026年10月—12月"
    assert first.trade_time.date() == day

    assert wechatpay.trade_bill(day - timedelta(days=1)).rows == []  # a day without trades


def test_refunds_only_and_payments_only_bills(wechatpay, emulator):
    emulator.confirm_payment(place(wechatpay, emulator))
    wechatpay.refund(out_trade_no="DUES202612000001", out_refund_no="RF0001", refund_fen=100, total_fen=1500)
    day = datetime.fromtimestamp(emulator.state.now(), BEIJING).date()
    emulator.advance(86400)
    assert [r.trade_state for r in wechatpay.trade_bill(day, "SUCCESS").rows] == ["SUCCESS"]
    assert [r.trade_state for r in wechatpay.trade_bill(day, "REFUND").rows] == ["REFUND"]


def _other_key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    return private, key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


@pytest.mark.parametrize(
    "changes",
    [
        {"merchant_private_key": _other_key()[0]},
        {"merchant_serial": "0000000000000000000000000000000000000000"},
        {"mchid": "1999999999"},
    ],
    ids=["other-key", "other-serial", "other-mchid"],
)
def test_requests_not_signed_by_our_merchant_key_are_refused(emulator, receiver, changes):
    client = WeChatPayClient(pay_settings_for(emulator, receiver.url, **changes))
    with pytest.raises(WeChatPayError) as refused:
        client.query_order("DUES202612000001")
    assert (refused.value.status, refused.value.code) == (401, "SIGN_ERROR")


def test_an_answer_not_signed_by_the_platform_key_is_not_believed(emulator, receiver):
    client = WeChatPayClient(pay_settings_for(emulator, receiver.url, platform_public_key=_other_key()[1]))
    with pytest.raises(WeChatPayUnavailable) as unsure:
        place(client, emulator)
    assert unsure.value.code == "BAD_ANSWER" and unsure.value.uncertain  # the order may exist all the same
    assert "DUES202612000001" in emulator.pay.orders


def test_a_slow_answer_times_out_and_the_order_may_exist(emulator, receiver):
    client = WeChatPayClient(pay_settings_for(emulator, receiver.url, read_timeout=0.3))
    emulator.delay_next("/v3/pay/transactions/jsapi", 1.0)
    with pytest.raises(WeChatPayUnavailable) as slow:
        place(client, emulator)
    assert slow.value.code == "TIMEOUT" and slow.value.uncertain
    emulator.delay_next("/v3/pay/transactions/out-trade-no/DUES202612000001", 1.0)
    with pytest.raises(WeChatPayUnavailable) as slow_query:
        client.query_order("DUES202612000001")
    assert slow_query.value.code == "TIMEOUT" and not slow_query.value.uncertain  # a query changes nothing


def test_wechat_unreachable_is_certain_to_have_done_nothing(emulator, receiver):
    client = WeChatPayClient(pay_settings_for(emulator, receiver.url, api_base="http://127.0.0.1:9"))
    with pytest.raises(WeChatPayUnavailable) as down:
        place(client, emulator)
    assert down.value.code == "UNREACHABLE" and not down.value.uncertain


def test_a_failing_gateway_or_system_error_is_retry_later(wechatpay, emulator):
    emulator.fail_next_http("/v3/pay/transactions/jsapi", 502)
    with pytest.raises(WeChatPayUnavailable) as gateway:
        place(wechatpay, emulator)
    assert gateway.value.status == 502 and gateway.value.uncertain
    emulator.fail_next("/v3/pay/transactions/out-trade-no/DUES202612000001", errmsg="系统繁忙")
    with pytest.raises(WeChatPayUnavailable) as busy:
        wechatpay.query_order("DUES202612000001")
    assert (busy.value.status, busy.value.code) == (500, "SYSTEM_ERROR")


def test_the_gateway_is_set_once_on_the_library(wechatpay, emulator):
    assert wechatpay._pay._core._gate_way == emulator.base_url
