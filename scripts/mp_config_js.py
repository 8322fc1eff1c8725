"""Write miniprogram/config.js from a deployment's mp_config file: `make mp-config MP_CONFIG=mp_config/x.json`.

For a release (any deployment but the demo) the checks in scripts/mp_release.py run first, and the
deployment's app id is written into miniprogram/project.config.json too.
"""

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


def main() -> int:
    """Write config.js; for any deployment but the demo, only once the release checks pass
    (scripts/mp_release.py), and then the app id in project.config.json as well."""
    from scripts import mp_release

    deployment = Path(os.environ.get("MP_CONFIG") or mp_config.DEFAULT_PATH)
    try:
        done = mp_release.prepare(deployment)
    except (mp_config.MpConfigError, mp_release.ReleaseRefused) as exc:
        print(exc, file=sys.stderr)
        return 1
    print("\n".join(done))
    return 0


if __name__ == "__main__":
    sys.exit(main())
