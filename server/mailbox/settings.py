"""The mailbox settings of an organisation: the time within which letters should be answered (a committee
or general branch sets it for everything below it; the nearest setting above a letter's organisation wins)
and whether a branch's board shows posts only after the secretary approved them."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from server.auth.models import AdminUser, Role
from server.auth.scope import require_org
from server.db import db
from server.errors import AppError
from server.mailbox.models import MailboxSettings
from server.orgs.models import Organisation, OrgKind

#: days to answer a letter when no organisation above it has set any
DEFAULT_REPLY_DAYS = 7
REPLY_DAYS_RANGE = range(1, 91)
ONLY_COMMITTEES = "回复时限由党委或党总支设定"
BAD_REPLY_DAYS = "回复时限应为 1 至 90 天"
ONLY_BRANCH_BOARDS = "留言板设在党支部，请选择一个党支部"


def path_ids(org: Organisation) -> list[int]:
    """The organisation's ancestors and itself, from the root down."""
    return [int(part) for part in (org.path or "").strip("/").split("/") if part]


def _rows(org_ids: list[int]) -> dict[int, MailboxSettings]:
    rows = db.session.scalars(sa.select(MailboxSettings).where(MailboxSettings.org_id.in_(org_ids)))
    return {row.org_id: row for row in rows}


def reply_days(org: Organisation, rows: dict[int, MailboxSettings] | None = None) -> int:
    """Days within which a letter to ``org`` should be answered: the nearest setting on its path, or the default."""
    ids = path_ids(org)
    rows = _rows(ids) if rows is None else rows
    for org_id in reversed(ids):
        row = rows.get(org_id)
        if row is not None and row.reply_days is not None:
            return row.reply_days
    return DEFAULT_REPLY_DAYS


def all_reply_days() -> dict[int, int]:
    """Every organisation that set a reply time, with it (few rows: committees and general branches)."""
    rows = db.session.execute(
        sa.select(MailboxSettings.org_id, MailboxSettings.reply_days).where(MailboxSettings.reply_days.is_not(None))
    ).all()
    return {org_id: days for org_id, days in rows}


def premoderated(branch_id: int) -> bool:
    return bool(
        db.session.scalar(sa.select(MailboxSettings.board_premoderation).where(MailboxSettings.org_id == branch_id))
    )


def _row(org: Organisation) -> MailboxSettings:
    row = db.session.get(MailboxSettings, org.id)
    if row is None:
        row = MailboxSettings(org_id=org.id, board_premoderation=False)
        db.session.add(row)
    return row


@dataclass(frozen=True)
class Saved:
    reply_days: int | None
    board_premoderation: bool


def set_reply_days(admin: AdminUser, org: Organisation, days: int | None) -> MailboxSettings:
    """A committee's or general branch's reply time for letters to it and below (None: inherit again)."""
    require_org(admin, org, write=True)
    if admin.role not in (Role.ORG_ADMIN, Role.SUPERADMIN) or org.kind not in (
        OrgKind.COMMITTEE,
        OrgKind.GENERAL_BRANCH,
    ):
        raise AppError("reply_days_not_here", ONLY_COMMITTEES)
    if days is not None and days not in REPLY_DAYS_RANGE:
        raise AppError("bad_reply_days", BAD_REPLY_DAYS, status=422, fields={"reply_days": [BAD_REPLY_DAYS]})
    row = _row(org)
    row.reply_days = days
    db.session.flush()
    return row


def set_premoderation(admin: AdminUser, branch: Organisation, on: bool) -> MailboxSettings:
    require_org(admin, branch, write=True)
    if branch.kind is not OrgKind.BRANCH:
        raise AppError("not_a_branch", ONLY_BRANCH_BOARDS)
    row = _row(branch)
    row.board_premoderation = on
    db.session.flush()
    return row
