"""Release check of the mini-program: is miniprogram/ ready to upload for a deployment's mp_config file?

`make mp-release MP_CONFIG=mp_config/<deployment>.json` checks without writing anything; `make mp-config`
runs the same checks before it writes miniprogram/config.js and, for a release, the app id in
miniprogram/project.config.json. The demo deployment (mp_config/demo.json) is exempt: it runs against the
embedded server on http://127.0.0.1 under WeChat DevTools' test app id.

A release is refused, with what to change, when:
- project.config.json's "appid" is DevTools' "touristappid" or not the deployment's app_id;
- project.config.json's "setting" has "urlCheck": false (DevTools would call servers that are not the
  mini-program's registered request domains, hiding what the released app cannot reach);
- server_url, or checkin_link_prefix when the deployment has one, is not an https:// address
  (WeChat only lets a released mini-program call, and only opens it from, registered HTTPS domains);
- miniprogram/config.js was written for another deployment (checked by `make mp-release` only).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.mp_config_js import render
from server import mp_config

MINIPROGRAM = mp_config.PROJECT_ROOT / "miniprogram"
TOURIST_APPID = "touristappid"
#: the addresses in a deployment's file that a released mini-program uses, and why each must be HTTPS
HTTPS_KEYS = {
    "server_url": "a released mini-program may only call https:// addresses registered as its request domains",
    "checkin_link_prefix": "WeChat opens the mini-program from a scanned link only when it is an https:// "
    "address registered under 扫普通链接二维码打开小程序",
}


class ReleaseRefused(Exception):
    def __init__(self, deployment: Path, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"Refusing to release the mini-program for {shown(deployment)}; change this first:\n{lines}")


def shown(path: Path) -> str:
    """A path as the operator typed it: relative to the project when it is inside it."""
    path = Path(path).resolve()
    return str(path.relative_to(mp_config.PROJECT_ROOT)) if path.is_relative_to(mp_config.PROJECT_ROOT) else str(path)


def is_demo(deployment: Path) -> bool:
    return Path(deployment).resolve() == mp_config.DEFAULT_PATH.resolve()


def address_problems(deployment: Path) -> list[str]:
    """server_url and checkin_link_prefix must be https:// addresses (read from the file as written)."""
    raw = json.loads(Path(deployment).read_text(encoding="utf-8"))
    problems = []
    for key, why in HTTPS_KEYS.items():
        if key not in raw:
            continue
        value = str(raw[key])
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname:
            host = parts.hostname or "your.domain"
            problems.append(
                f'{shown(deployment)}: "{key}" is "{value}"; {why}: set "{key}" to an https:// address, '
                f'such as "https://{host}{parts.path}"'
            )
    return problems


def project_problems(deployment: Path, app_id: str, miniprogram: Path, *, check_appid: bool) -> list[str]:
    project_file = miniprogram / "project.config.json"
    project = json.loads(project_file.read_text(encoding="utf-8"))
    problems = []
    appid = project.get("appid")
    write_it = f"run `make mp-config MP_CONFIG={shown(deployment)}`, which writes it"
    if check_appid and appid == TOURIST_APPID:
        problems.append(
            f'{shown(project_file)}: "appid" is "{TOURIST_APPID}", WeChat DevTools\' test id, which cannot be '
            f'uploaded: set it to "{app_id}" (app_id in {shown(deployment)}); {write_it}'
        )
    elif check_appid and appid != app_id:
        problems.append(
            f'{shown(project_file)}: "appid" is "{appid}" but {shown(deployment)} is for app_id "{app_id}": set '
            f'"appid" to "{app_id}" ({write_it}), or correct app_id if the deployment file is wrong'
        )
    if project.get("setting", {}).get("urlCheck") is False:
        problems.append(
            f'{shown(project_file)}: "setting" has "urlCheck": false, so DevTools calls servers that are not the '
            'registered request domains: set "urlCheck": true (a developer who needs http://127.0.0.1 sets it '
            "false in miniprogram/project.private.config.json, which is not committed)"
        )
    return problems


def check(deployment: Path, miniprogram: Path = MINIPROGRAM) -> list[str]:
    """Everything a release needs, without writing anything; [] when ready (always for the demo)."""
    if is_demo(deployment):
        return []
    config = mp_config.load(deployment)
    problems = address_problems(deployment)
    problems += project_problems(deployment, config["app_id"], miniprogram, check_appid=True)
    client = miniprogram / "config.js"
    if not client.exists() or client.read_text(encoding="utf-8") != render(config):
        problems.append(
            f"{shown(client)} was not written from {shown(deployment)}: run "
            f"`make mp-config MP_CONFIG={shown(deployment)}`"
        )
    return problems


def write_appid(project_file: Path, app_id: str) -> None:
    """Set "appid", keeping the rest of the file as it is written (a one-line diff)."""
    text = project_file.read_text(encoding="utf-8")
    updated, count = re.subn(r'("appid"\s*:\s*)"[^"]*"', lambda m: f'{m.group(1)}"{app_id}"', text, count=1)
    if not count:
        project = json.loads(text)
        project["appid"] = app_id
        updated = json.dumps(project, ensure_ascii=False, indent=2) + "\n"
    project_file.write_text(updated, encoding="utf-8")


def prepare(deployment: Path, miniprogram: Path = MINIPROGRAM) -> list[str]:
    """`make mp-config`: refuse an unready release before writing anything, then write config.js (and the
    app id for a release). Returns what was done, one line each."""
    config = mp_config.load(deployment)
    release = not is_demo(deployment)
    if release:
        problems = address_problems(deployment)
        problems += project_problems(deployment, config["app_id"], miniprogram, check_appid=False)
        if problems:
            raise ReleaseRefused(deployment, problems)
    client = miniprogram / "config.js"
    client.write_text(render(config), encoding="utf-8")
    done = [f"wrote {shown(client)}"]
    if release:
        project_file = miniprogram / "project.config.json"
        write_appid(project_file, config["app_id"])
        done.append(f'wrote "appid": "{config["app_id"]}" into {shown(project_file)}')
        left = check(deployment, miniprogram)
        if left:
            raise ReleaseRefused(deployment, left)
        done.append(f"{shown(deployment)}: ready to upload")
    return done


def deployment_from_env() -> Path:
    return Path(os.environ.get("MP_CONFIG") or mp_config.DEFAULT_PATH)


def main(argv: list[str] | None = None) -> int:
    """`make mp-release`: check only. Exit status 1 and the list of changes when not ready."""
    deployment = deployment_from_env()
    try:
        problems = check(deployment)
    except mp_config.MpConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    if problems:
        print(ReleaseRefused(deployment, problems), file=sys.stderr)
        return 1
    if is_demo(deployment):
        print(f"{shown(deployment)} is the demo deployment: release checks do not apply")
    else:
        print(f"{shown(deployment)}: ready to upload")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
