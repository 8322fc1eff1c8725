"""Per-deployment WeChat settings (``mp_config/<deployment>.json``), checked when the server starts.

The file names the mini-program (app id, the server address it talks to) and the subscribe-message
templates with the mapping from our message fields to each template's keywords. Secrets (app secret,
pay keys) never live here: they come from the environment.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from marshmallow import Schema, ValidationError, fields, validate, validates

from server.config import PROJECT_ROOT

DEFAULT_PATH = PROJECT_ROOT / "mp_config" / "demo.json"
KEYWORD_RE = re.compile(
    r"^(thing|time|date|phrase|character_string|number|amount|name|letter|symbol|phone_number|car_number)\d+$"
)
#: purposes the product sends messages for; a deployment maps each to one of its templates
PURPOSES = ("meeting_reminder", "dues_reminder", "quiz_open", "newspaper_issue", "political_birthday", "letter_reply")
PURPOSES = (*PURPOSES, "notice")
#: hosts where a plain-http check-in link is allowed: the embedded demo on one laptop, never a phone's network
LOOPBACK_HOSTS = ("127.0.0.1", "localhost")


class TemplateSchema(Schema):
    template_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    page = fields.String(required=True, validate=validate.Regexp(r"^pages/[\w/-]+$"))
    #: template keyword → our field, e.g. {"thing1": "meeting_title", "time2": "starts_at"}
    fields_ = fields.Dict(
        data_key="fields", keys=fields.String(), values=fields.String(), required=True, validate=validate.Length(min=1)
    )

    @validates("fields_")
    def _keywords(self, value: dict[str, str], **_: Any) -> None:
        bad = [key for key in value if not KEYWORD_RE.match(key)]
        if bad:
            raise ValidationError(f"not WeChat template keywords: {', '.join(bad)}")


class MpConfigSchema(Schema):
    app_id = fields.String(required=True, validate=validate.Regexp(r"^wx\w{6,30}$"))
    server_url = fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    #: the projected check-in QR encodes ``<checkin_link_prefix>?c=M7.<signed>``; the same prefix is
    #: registered in the WeChat console (扫普通链接二维码打开小程序) so WeChat's scanner opens the meeting page
    checkin_link_prefix = fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    subscribe_templates = fields.Dict(
        keys=fields.String(validate=validate.OneOf(PURPOSES)), values=fields.Nested(TemplateSchema), load_default=dict
    )

    @validates("checkin_link_prefix")
    def _link_prefix(self, value: str, **_: Any) -> None:
        """WeChat opens only https links; the link carries its own ``?c=``, so the prefix has no query."""
        parts = urlsplit(value)
        if parts.query or parts.fragment or value.endswith("?"):
            raise ValidationError("must not contain a query or fragment: the link adds ?c=<code>")
        if not parts.path.strip("/"):
            raise ValidationError("needs a path, e.g. https://dangwu.example.cn/m/checkin")
        if parts.scheme != "https" and parts.hostname not in LOOPBACK_HOSTS:
            raise ValidationError("must be https (http only for the demo on 127.0.0.1)")


class MpConfigError(RuntimeError):
    pass


def load(path: Path | str | None = None) -> dict[str, Any]:
    """Read and check a deployment's file; any problem stops the server with a message naming it."""
    path = Path(path or DEFAULT_PATH)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return MpConfigSchema().load(raw)
    except FileNotFoundError as exc:
        raise MpConfigError(f"mini-program config {path} does not exist (set MP_CONFIG)") from exc
    except json.JSONDecodeError as exc:
        raise MpConfigError(f"mini-program config {path} is not valid JSON: {exc}") from exc
    except ValidationError as exc:
        raise MpConfigError(f"mini-program config {path} is invalid: {exc.messages}") from exc


def emulator_templates(config: dict[str, Any]) -> dict[str, list[str]]:
    """What the WeChat emulator needs to know: each template id and its keywords."""
    return {tpl["template_id"]: list(tpl["fields_"]) for tpl in config["subscribe_templates"].values()}
