"""Recording members' answers to the subscribe dialog, and keeping the counts true as reminders go out.

Every change is one statement that reads and writes the row at once (an upsert, or an UPDATE computing
from the row's own value), so two taps at once, or a tap while a reminder goes out, never lose a count:
PostgreSQL locks the row for the second writer, SQLite lets one writer at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from server.db import db, utcnow
from server.errors import AppError
from server.mp_config import PURPOSES
from server.subscriptions.models import Choice, Subscription
from server.wechat import subscribe

#: how a member reads each purpose (the mini-program's utils/subscribe.js has the same words)
PURPOSE_TITLES = {
    "meeting_reminder": "会议提醒",
    "dues_reminder": "党费缴纳提醒",
    "quiz_open": "答题开始提醒",
    "newspaper_issue": "手机报推送",
    "political_birthday": "政治生日祝福",
    "letter_reply": "信箱回复提醒",
    "notice": "通知公告提醒",
}
#: keys of the dialog's answer that are not templates: ignored, so the answer may be sent as WeChat gave it
_NOT_TEMPLATES = frozenset({"errMsg"})
UNKNOWN_TEMPLATE = "不是本小程序的消息提醒，请更新小程序后重试"

_table = Subscription.__table__
_COLUMNS = ("member_id", "template_id", "openid", "remaining", "last_choice", "last_choice_at", "updated_at")
# A consent given from another WeChat (the member bound a new one) starts the count again.
_RECORD = sa.text(
    f"INSERT INTO member_subscriptions ({', '.join(_COLUMNS)}) "
    f"VALUES ({', '.join(':' + c for c in _COLUMNS)}) "
    "ON CONFLICT (member_id, template_id) DO UPDATE SET "
    "remaining = CASE WHEN member_subscriptions.openid = excluded.openid "
    "THEN member_subscriptions.remaining + excluded.remaining ELSE excluded.remaining END, "
    "refused_at = CASE WHEN member_subscriptions.openid = excluded.openid "
    "THEN member_subscriptions.refused_at ELSE NULL END, "
    "openid = excluded.openid, last_choice = excluded.last_choice, "
    "last_choice_at = excluded.last_choice_at, updated_at = excluded.updated_at"
).bindparams(*(sa.bindparam(c, type_=_table.c[c].type) for c in _COLUMNS))


def deployment_templates() -> list[tuple[str, str]]:
    """(purpose, template id) of each purpose this deployment's mp_config has a template for, in product order."""
    found = ((purpose, subscribe.template(purpose)) for purpose in PURPOSES)
    return [(purpose, tpl["template_id"]) for purpose, tpl in found if tpl]


def record_choices(member_id: int, openid: str, results: Mapping[str, Any], now: datetime | None = None) -> None:
    """Record what the member chose for each template in one dialog; each accept is one more message.

    Template ids this deployment does not have are refused (422, nothing recorded); answers other than
    accept, reject, ban and filter are ignored, as WeChat may add kinds we do not know.
    """
    known = {template_id for _, template_id in deployment_templates()}
    unknown = [key for key in results if key not in known and key not in _NOT_TEMPLATES]
    if unknown:
        fields = {"results": {key[:128]: [UNKNOWN_TEMPLATE] for key in unknown[:10]}}
        raise AppError("unknown_template", UNKNOWN_TEMPLATE, status=422, fields=fields)
    now = now or utcnow()
    for template_id, value in results.items():
        if template_id in _NOT_TEMPLATES or value not in Choice._value2member_map_:
            continue
        choice = Choice(value)
        params = {"member_id": member_id, "template_id": template_id, "openid": openid}
        params |= {"remaining": int(choice is Choice.ACCEPT), "last_choice": choice}
        db.session.execute(_RECORD, params | {"last_choice_at": now, "updated_at": now})


def status_label(remaining: int) -> str:
    return f"还可提醒 {remaining} 次" if remaining > 0 else "未开启"


def summary(member_id: int, openid: str) -> list[dict[str, Any]]:
    """Each purpose of the deployment as the member should see it: from the WeChat they use now."""
    rows = {
        row.template_id: row
        for row in db.session.scalars(sa.select(Subscription).where(Subscription.member_id == member_id))
    }
    listed = []
    for purpose, template_id in deployment_templates():
        row = rows.get(template_id)
        mine = row is not None and row.openid == openid
        remaining = row.remaining if mine else 0
        listed.append(
            {
                "purpose": purpose,
                "title": PURPOSE_TITLES[purpose],
                "template_id": template_id,
                "remaining": remaining,
                "status_label": status_label(remaining),
                "last_choice": row.last_choice if mine else None,
                "last_choice_at": row.last_choice_at if mine else None,
                "refused_at": row.refused_at if mine else None,
            }
        )
    return listed


def _row(member_id: int, template_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(Subscription.member_id == member_id, Subscription.template_id == template_id)


def used_one(member_id: int, openid: str, template_id: str) -> None:
    """A message went out (or may have): one consent fewer. Never below zero: WeChat may have had one we
    did not hear of (the tap's report was lost), and it is used now."""
    db.session.execute(
        sa.update(Subscription)
        .where(_row(member_id, template_id), Subscription.openid == openid, Subscription.remaining > 0)
        .values(remaining=Subscription.remaining - 1, updated_at=utcnow())
    )


def consent_gone(member_id: int, template_id: str, now: datetime | None = None) -> None:
    """WeChat refused for want of consent (43101): whatever we counted, there is none left."""
    now = now or utcnow()
    db.session.execute(
        sa.update(Subscription).where(_row(member_id, template_id)).values(remaining=0, refused_at=now, updated_at=now)
    )
