"""The trade bill as WeChat writes it, and our parser of it."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from flask import Flask, request

from server.wechat.emulator.paybill import HEADER, SUMMARY_HEADER
from server.wechat.emulator.testing import flask_transport
from server.wechat.pay import parse_trade_bill
from server.wechat.pay.bill import fen

BEIJING = timezone(timedelta(hours=8))

SAMPLE = (
    "\ufeff" + HEADER + "\r\n"
    "`2026-11-30 09:15:02,`wx_test_appid,`1900000109,`0,`,`4200002026113012345678901234,`DUES202611300001,"
    "`oM4HI4BUIXW7L6H2BC7lCfDIJ29f,`JSAPI,`SUCCESS,`OTHERS,`CNY,`30.50,`0.00,`0,`0,`0.00,`0.00,`,`,`党费,`o=1,"
    "`0.18000,`0.60%,`30.50,`0.00,`\r\n"
    "`2026-11-30 10:00:00,`wx_test_appid,`1900000109,`0,`,`4200002026113012345678901234,`DUES202611300001,"
    "`oM4HI4BUIXW7L6H2BC7lCfDIJ29f,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50300000000000000000000001,`RF1,"
    "`10.20,`0.00,`ORIGINAL,`SUCCESS,`党费,`o=1,`-0.06000,`0.60%,`0.00,`10.20,`\r\n" + SUMMARY_HEADER + "\r\n"
    "`2,`30.50,`10.20,`0.00,`0.12000,`30.50,`10.20\r\n"
)


def test_a_bill_in_wechats_layout_parses_to_fen():
    bill = parse_trade_bill(SAMPLE)
    payment, refund = bill.rows
    assert (payment.trade_state, payment.settled_fen, payment.out_refund_no) == ("SUCCESS", 3050, "")
    assert payment.trade_time == datetime(2026, 11, 30, 9, 15, 2, tzinfo=BEIJING)
    assert (refund.trade_state, refund.refund_fen, refund.out_refund_no) == ("REFUND", 1020, "RF1")
    assert refund.settled_fen == 0
    assert bill.summary is not None and (bill.summary.count, bill.summary.settled_fen) == (2, 3050)
    assert bill.summary.refunded_fen == 1020 and payment.fields["费率"] == "0.60%"


@pytest.mark.parametrize(
    "broken",
    [
        SAMPLE.replace("`2,`30.50", "`3,`30.50"),  # summary count disagrees
        SAMPLE.replace("`2,`30.50", "`2,`30.51"),  # summary total disagrees
        SAMPLE.replace(",`10.20,`0.00,`0.12000", ",`10.21,`0.00,`0.12000"),  # refund total disagrees
        SAMPLE.replace(SUMMARY_HEADER, "合计"),  # no summary
        "<html>502 Bad Gateway</html>",
        SAMPLE.replace("`30.50,`0.00,`0,", "`30.5O,`0.00,`0,"),  # not an amount
    ],
)
def test_a_bill_that_does_not_add_up_is_refused(broken):
    with pytest.raises(ValueError):
        parse_trade_bill(broken)


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.00", 0), ("0.01", 1), ("0.20", 20), ("30.5", 3050), ("12345678.90", 1234567890), ("-0.06", -6)],
)
def test_yuan_become_fen_exactly(text, value):
    assert fen(text) == value


@pytest.mark.parametrize("text", ["", "1.234", "1,00", "abc", "1e3"])
def test_other_text_is_not_an_amount(text):
    with pytest.raises(ValueError):
        fen(text)


def test_the_emulators_file_is_gzip_with_backquoted_fields_and_its_sha1(emulator, wechatpay):
    prepay_id = wechatpay.create_jsapi_order(
        out_trade_no="DUES202612000001",
        description="党费",
        amount_fen=1234,
        payer_openid=emulator.openid("alice"),
        time_expire=datetime.now(UTC) + timedelta(minutes=30),
    )
    emulator.confirm_payment(prepay_id)
    day = datetime.fromtimestamp(emulator.state.now(), BEIJING).date()
    emulator.advance(86400)
    status, answer = wechatpay._pay.trade_bill(bill_date=day.isoformat(), tar_type="GZIP")
    assert status == 200
    link = json.loads(answer)
    _, content = wechatpay._pay.download_bill(link["download_url"])
    text = gzip.decompress(content)
    assert hashlib.sha1(text).hexdigest() == link["hash_value"] and link["hash_type"] == "SHA1"
    lines = text.decode().split("\r\n")
    assert lines[0] == HEADER and lines[2] == SUMMARY_HEADER and lines[3].startswith("`1,`12.34,")
    assert lines[1].startswith("`") and ",`DUES202612000001," in lines[1]
    # A download link works once, like WeChat's short-lived links.
    status, _ = wechatpay._pay.download_bill(link["download_url"])
    assert status == 400


def test_notifications_can_be_routed_into_a_flask_app(emulator, wechatpay):
    app = Flask("notify_target")
    seen = []

    @app.post("/api/wechatpay/notify")
    def notify():
        seen.append(wechatpay.verify_notification(request.headers, request.get_data()))
        return "", 204

    emulator.use_transport(flask_transport(app))
    prepay_id = wechatpay.create_jsapi_order(
        out_trade_no="DUES202612000001",
        description="党费",
        amount_fen=50,
        payer_openid=emulator.openid("alice"),
        time_expire=datetime.now(UTC) + timedelta(minutes=30),
    )
    emulator.confirm_payment(prepay_id)
    (attempt,) = emulator.deliver_due()
    assert attempt.status == 204 and attempt.acknowledged
    assert seen[0].transaction.total_fen == 50
