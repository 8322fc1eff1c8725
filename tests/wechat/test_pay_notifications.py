"""Payment and refund notifications: what WeChat sends, what our adapter believes, and WeChat's retries."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from server.wechat.emulator.paynotify import RETRY_SCHEDULE
from server.wechat.emulator.testing import pay_settings_for, running_emulator
from server.wechat.pay import InvalidNotification, WeChatPayClient

NO = "DUES202612000001"


@pytest.fixture
def paid(wechatpay, emulator):
    """An order of 1500 fen paid by alice; its notification queued, not yet sent."""
    prepay_id = wechatpay.create_jsapi_order(
        out_trade_no=NO,
        description="党费",
        amount_fen=1500,
        payer_openid=emulator.openid("alice"),
        time_expire=datetime.now(UTC) + timedelta(minutes=30),
        attach="bills=1,2,3",
    )
    return emulator.confirm_payment(prepay_id, "alice")


def test_the_payment_notification_is_signed_encrypted_and_believed(wechatpay, emulator, receiver, paid):
    (attempt,) = emulator.deliver_due()
    assert attempt.acknowledged
    ((headers, body),) = receiver.received
    assert headers["Wechatpay-Serial"] == emulator.pay.platform_public_key_id
    assert headers["Wechatpay-Signature-Type"] == "WECHATPAY2-SHA256-RSA2048"
    assert b"1500" not in body and b"alice" not in body  # the resource travels encrypted
    notification = wechatpay.verify_notification(headers, body)
    assert notification.event_type == "TRANSACTION.SUCCESS"
    transaction = notification.transaction
    assert transaction is not None and notification.refund is None
    assert (transaction.out_trade_no, transaction.trade_state, transaction.total_fen) == (NO, "SUCCESS", 1500)
    assert transaction.transaction_id == paid.transaction_id and transaction.attach == "bills=1,2,3"
    assert emulator.notifications(NO)[0].acknowledged


def test_headers_are_read_whatever_their_case(wechatpay, emulator, receiver, paid):
    emulator.deliver_due()
    headers, body = receiver.received[0]
    lowered = {k.lower(): v for k, v in headers.items()}
    assert wechatpay.verify_notification(lowered, body.decode()).transaction.total_fen == 1500


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("signature", "signature"),  # body changed after WeChat signed it
        ("forged_key", "signature"),  # signed by someone else's key under our platform key id
        ("serial", "serial"),  # another platform key id
        ("stale", "timestamp"),  # 10 minutes old, correctly signed
        ("future", "timestamp"),  # 10 minutes ahead, correctly signed
        ("ciphertext", "decrypt"),  # one byte of the ciphertext flipped, the envelope re-signed
        ("no_signature_type", "signature_type"),
    ],
)
def test_a_tampered_notification_is_refused(wechatpay, emulator, receiver, paid, how, reason):
    attempt = emulator.send_tampered(NO, how)
    assert attempt.kind == "tampered"
    headers, body = receiver.received[-1]
    with pytest.raises(InvalidNotification) as refused:
        wechatpay.verify_notification(headers, body)
    assert refused.value.reason == reason
    assert not emulator.notifications(NO)[0].acknowledged  # a tampered copy never settles the real one


def test_a_replay_is_refused_once_older_than_five_minutes(wechatpay, emulator, receiver, paid):
    (first,) = emulator.deliver_due()
    emulator.replay(first)
    # Within 5 minutes a replay is just a duplicate: valid, and the handler must apply it idempotently.
    assert wechatpay.verify_notification(*receiver.received[-1]).id == emulator.notifications(NO)[0].id
    emulator.advance(301)
    emulator.replay(first)
    signed = ("Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature")
    (old_headers, old_body), (headers, body) = receiver.received[0], receiver.received[-1]
    assert body == old_body and all(headers[k] == old_headers[k] for k in signed)  # the old delivery again
    with pytest.raises(InvalidNotification) as refused:
        wechatpay.verify_notification(*receiver.received[-1])
    assert refused.value.reason == "timestamp"


def test_a_merchant_with_another_apiv3_key_cannot_read_it(emulator, receiver, paid):
    emulator.deliver_due()
    other = WeChatPayClient(
        pay_settings_for(emulator, receiver.url, apiv3_key="0123456789abcdef0123456789abcdef"),
        clock=emulator.state.now,
    )
    with pytest.raises(InvalidNotification) as refused:
        other.verify_notification(*receiver.received[0])
    assert refused.value.reason == "decrypt"


@pytest.mark.parametrize("body", ["", "not json", '{"resource_type": "plain", "resource": {}}'])
def test_a_correctly_signed_body_that_is_not_a_notification_is_malformed(wechatpay, emulator, paid, body):
    headers = emulator.pay.signed_headers(body)
    with pytest.raises(InvalidNotification) as refused:
        wechatpay.verify_notification(headers, body)
    assert refused.value.reason == "malformed"


def test_a_validly_signed_notification_may_still_disagree_with_our_order(wechatpay, emulator, receiver, paid):
    # The adapter proves who sent it; comparing with our order is the notify handler's job.
    emulator.send_altered(NO, amount={"total": 1, "payer_total": 1, "currency": "CNY"})
    assert wechatpay.verify_notification(*receiver.received[-1]).transaction.total_fen == 1


def test_wechat_retries_on_its_schedule_until_we_answer_success(wechatpay, emulator, receiver, paid):
    receiver.answers = [500] * 6  # fail the first attempt and five retries, then answer 200
    emulator.deliver_due()
    for number, wait in enumerate(RETRY_SCHEDULE[:6], start=2):
        emulator.advance(wait - 1)
        assert emulator.deliver_due() == []  # not a second early
        emulator.advance(1)
        (attempt,) = emulator.deliver_due()
        assert len(receiver.received) == number
        assert attempt.acknowledged == (number == 7)
    note = emulator.notifications(NO)[0]
    assert note.acknowledged and note.next_due is None
    # Each retry is signed afresh (so the last is fresh and believed); the event id stays the same.
    assert len({h["Wechatpay-Nonce"] for h, _ in receiver.received}) == 7
    assert wechatpay.verify_notification(*receiver.received[-1]).id == note.id
    emulator.advance(86400)
    assert emulator.deliver_due() == []


def test_wechat_gives_up_after_about_24_hours_of_failures(emulator, receiver, paid):
    receiver.answers = [503] * 100
    emulator.deliver_due()
    for wait in RETRY_SCHEDULE:
        emulator.advance(wait)
        assert len(emulator.deliver_due()) == 1
    assert len(receiver.received) == 1 + len(RETRY_SCHEDULE) == 16
    assert 24 * 3600 <= sum(RETRY_SCHEDULE) <= 25 * 3600
    emulator.advance(7 * 86400)
    assert emulator.deliver_due() == []
    assert not emulator.notifications(NO)[0].acknowledged


def test_no_answer_at_all_counts_as_a_failure(emulator, paid):
    emulator.use_transport(lambda url, headers, body, timeout: (_ for _ in ()).throw(TimeoutError("no answer")))
    (attempt,) = emulator.deliver_due()
    assert attempt.status is None and not attempt.acknowledged
    assert emulator.notifications(NO)[0].next_due == pytest.approx(emulator.state.now() + RETRY_SCHEDULE[0], abs=1)


def test_held_notifications_go_out_when_released(emulator, receiver, paid):
    emulator.hold_notifications()
    emulator.advance(60)
    assert emulator.deliver_due() == [] and receiver.received == []
    emulator.hold_notifications(False)
    assert len(emulator.deliver_due()) == 1 and len(receiver.received) == 1


def test_deliver_now_and_duplicates_all_arrive_valid(wechatpay, emulator, receiver, paid):
    assert emulator.deliver_now(NO).acknowledged
    sequential = emulator.deliver_duplicates(NO, 3)
    concurrent = emulator.deliver_duplicates(NO, 8, concurrent=True)
    assert len(sequential) == 3 and len(concurrent) == 8 and len(receiver.received) == 12
    assert {wechatpay.verify_notification(h, b).transaction.out_trade_no for h, b in receiver.received} == {NO}
    assert emulator.deliver_due() == []  # acknowledged: nothing left on the schedule


def test_the_standalone_emulator_sends_notifications_by_itself(receiver):
    with running_emulator(deliver_notifications=True) as emulator:
        client = WeChatPayClient(pay_settings_for(emulator, receiver.url))
        prepay_id = client.create_jsapi_order(
            out_trade_no=NO,
            description="党费",
            amount_fen=20,
            payer_openid=emulator.openid("alice"),
            time_expire=datetime.now(UTC) + timedelta(minutes=30),
        )
        assert emulator.request_payment("alice", client.payment_params(prepay_id))["errMsg"] == "requestPayment:ok"
        deadline = time.monotonic() + 5
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.02)
        assert client.verify_notification(*receiver.received[0]).transaction.total_fen == 20
