"""Each committee's rules for notices in its subtree: above which audience size a notice needs review by a
higher admin, and how many notices one account may send a day.

The rules live in ``notice_settings`` keyed by organisation; the nearest organisation on the path from the
sending organisation up to the root that has a row decides (a committee's row covers every branch below
it unless a general branch sets its own). The daily limit falls back to the deployment's
``NOTICE_DAILY_LIMIT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from server.auth.models import AdminUser
from server.auth.scope import require_org
from server.db import db, utcnow
from server.errors import AppError
from server.notices.models import Notice, NoticeSettings
from server.orgs.models import Organisation
from server.timezone import display_zone


@dataclass(frozen=True)
class Rules:
    review_above: int | None
    daily_limit: int
    #: the organisation whose row decided, None for the deployment's defaults
    source_org_id: int | None


def _ancestor_ids(org: Organisation) -> list[int]:
    """The organisation and those above it, nearest first."""
    return [int(part) for part in reversed((org.path or "").strip("/").split("/")) if part]


def for_org(org: Organisation) -> Rules:
    ids = _ancestor_ids(org)
    rows = {
        row.org_id: row for row in db.session.scalars(sa.select(NoticeSettings).where(NoticeSettings.org_id.in_(ids)))
    }
    default = current_app.config["NOTICE_DAILY_LIMIT"]
    review_above, daily_limit, source = None, None, None
    for org_id in ids:  # nearest first: each rule from the nearest row that sets it
        row = rows.get(org_id)
        if row is None:
            continue
        source = source or org_id
        if review_above is None and row.review_above is not None:
            review_above = row.review_above
        if daily_limit is None and row.daily_limit is not None:
            daily_limit = row.daily_limit
    return Rules(review_above, daily_limit or default, source)


def settings_row(org: Organisation) -> NoticeSettings | None:
    return db.session.get(NoticeSettings, org.id)


def save(admin: AdminUser, org: Organisation, review_above: int | None, daily_limit: int | None) -> NoticeSettings:
    """Set the rules of ``org``'s subtree; only an admin above branch level sets them for what they administer."""
    require_org(admin, org, write=True)
    row = settings_row(org) or NoticeSettings(org_id=org.id)
    row.review_above, row.daily_limit = review_above, daily_limit
    db.session.add(row)
    db.session.flush()
    return row


def _day_start(now: datetime) -> datetime:
    """The start of today in Beijing time, as UTC: the limit is per calendar day as a secretary counts it."""
    local = now.astimezone(display_zone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(now.tzinfo)


def sent_today(admin: AdminUser, now: datetime) -> int:
    start = _day_start(now)
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Notice)
            .where(
                Notice.author_id == admin.id, Notice.created_at >= start, Notice.created_at < start + timedelta(days=1)
            )
        )
        or 0
    )


def check_daily_limit(admin: AdminUser, org: Organisation, now: datetime | None = None) -> None:
    now = now or utcnow()
    limit = for_org(org).daily_limit
    if sent_today(admin, now) >= limit:
        message = f"每个账号每天最多发送 {limit} 条通知，今天的条数已用完，请明天再发；如确有急事，请联系上级组织"
        raise AppError("notice_daily_limit", message, status=429)
