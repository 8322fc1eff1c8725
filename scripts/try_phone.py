"""Play a member's phone against a running server and emulator: wx.login, bind with an invite code, read the profile.

.venv/bin/flask --app wsgi issue-invite 1          # prints the code for member 1
.venv/bin/python scripts/try_phone.py --invite ABCD2345 --name 张三
"""

from __future__ import annotations

import argparse
import json

import requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="http://127.0.0.1:5000")
    parser.add_argument("--emulator", default="http://127.0.0.1:8900")
    parser.add_argument("--user", default="demo-phone-1", help="which simulated WeChat user")
    parser.add_argument("--invite", required=True)
    parser.add_argument("--name", required=True)
    args = parser.parse_args()

    code = requests.post(f"{args.emulator}/_phone/login", json={"user": args.user}, timeout=5).json()["code"]
    login = requests.post(f"{args.server}/api/auth/login", json={"code": code}, timeout=5).json()
    print("login:", json.dumps(login, ensure_ascii=False))
    token = login.get("token")
    if not login.get("bound"):
        bind = requests.post(
            f"{args.server}/api/auth/bind/invite",
            json={"bind_ticket": login["bind_ticket"], "invite_code": args.invite, "name": args.name},
            timeout=5,
        ).json()
        print("bind:", json.dumps(bind, ensure_ascii=False))
        token = bind.get("token")
    me = requests.get(f"{args.server}/api/me", headers={"Authorization": f"Bearer {token}"}, timeout=5).json()
    print("me:", json.dumps(me, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
