"""The emulator's Pay v3 at HTTP level: what it refuses, and that it signs every answer."""

from __future__ import annotations

import json
import time

import requests
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from wechatpayv3.utils import build_authorization, load_private_key, rsa_sign, rsa_verify

from server.wechat.pay.settings import TEST_MERCHANT_PRIVATE_KEY_FILE, TEST_PLATFORM_PUBLIC_KEY_FILE

PATH = "/v3/pay/transactions/out-trade-no/DUES202612000001?mchid=1900000109"


def authorization(emulator, method: str, path: str, body: str = "", **changes: str) -> str:
    values = {"mchid": emulator.pay.mchid, "serial_no": emulator.pay.merchant_serial} | changes
    key = load_private_key(TEST_MERCHANT_PRIVATE_KEY_FILE.read_text())
    return build_authorization(path, method, values["mchid"], values["serial_no"], key, data=body or None)


def platform_signed(response: requests.Response) -> bool:
    key = load_pem_public_key(TEST_PLATFORM_PUBLIC_KEY_FILE.read_bytes())
    h = response.headers
    return rsa_verify(h["Wechatpay-Timestamp"], h["Wechatpay-Nonce"], response.text, h["Wechatpay-Signature"], key)


def test_an_unsigned_request_is_refused_and_the_refusal_is_signed(emulator):
    response = requests.get(emulator.base_url + PATH, timeout=5)
    assert response.status_code == 401 and response.json()["code"] == "SIGN_ERROR"
    assert platform_signed(response)
    assert response.headers["Wechatpay-Serial"] == emulator.pay.platform_public_key_id


def test_a_signed_request_gets_a_signed_answer(emulator):
    headers = {"Authorization": authorization(emulator, "GET", PATH), "Accept": "application/json"}
    response = requests.get(emulator.base_url + PATH, headers=headers, timeout=5)
    assert response.status_code == 404 and response.json() == {"code": "ORDER_NOT_EXIST", "message": "订单不存在"}
    assert platform_signed(response)


def test_a_body_changed_after_signing_is_refused(emulator):
    path = "/v3/pay/transactions/out-trade-no/DUES202612000001/close"
    signed = json.dumps({"mchid": emulator.pay.mchid})
    headers = {"Authorization": authorization(emulator, "POST", path, signed), "Content-Type": "application/json"}
    response = requests.post(emulator.base_url + path, data=json.dumps({"mchid": "1"}), headers=headers, timeout=5)
    assert response.status_code == 401 and response.json()["code"] == "SIGN_ERROR"


def test_a_request_signed_with_an_old_timestamp_is_refused(emulator):
    key = load_private_key(TEST_MERCHANT_PRIVATE_KEY_FILE.read_text())
    stamp, nonce = str(int(time.time()) - 600), "0123456789ABCDEF"
    signature = rsa_sign(key, f"GET\n{PATH}\n{stamp}\n{nonce}\n\n")
    headers = {
        "Authorization": f'WECHATPAY2-SHA256-RSA2048 mchid="{emulator.pay.mchid}",nonce_str="{nonce}",'
        f'signature="{signature}",timestamp="{stamp}",serial_no="{emulator.pay.merchant_serial}"'
    }
    response = requests.get(emulator.base_url + PATH, headers=headers, timeout=5)
    assert response.status_code == 401 and "过期" in response.json()["message"]
