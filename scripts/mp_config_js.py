"""Write miniprogram/config.js from a deployment's mp_config file: `make mp-config MP_CONFIG=mp_config/x.json`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from server import mp_config

TARGET = mp_config.PROJECT_ROOT / "miniprogram" / "config.js"


def render(config: dict) -> str:
    client = {
        "apiBase": config["server_url"].rstrip("/"),
        "subscribeTemplates": {purpose: tpl["template_id"] for purpose, tpl in config["subscribe_templates"].items()},
    }
    body = json.dumps(client, ensure_ascii=False, indent=2)
    return f"// Written by `make mp-config` from mp_config/; edit that file, not this one.\nmodule.exports = {body};\n"


def main() -> None:
    TARGET.write_text(render(mp_config.load(os.environ.get("MP_CONFIG") or None)), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
