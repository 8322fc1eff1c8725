"""Background jobs of the member register."""

from __future__ import annotations

import logging
from datetime import datetime

from huey import crontab
from sqlalchemy.exc import IntegrityError

from server.audit.context import Actor, acting_as
from server.auth.models import AdminUser
from server.db import db, utcnow
from server.errors import AppError
from server.members import imports
from server.members.models import MemberImport
from server.tasks import enqueue_after_commit, job, periodic_job

log = logging.getLogger(__name__)


@job()
def run_member_import(import_id: int) -> None:
    """Check and import an uploaded register; progress and errors are kept on the import row."""
    record = imports.claim(import_id)
    if record is None:
        return  # already taken or handled: a retried or duplicated job does nothing
    try:
        _import(record)
    except imports.LeaseLost:
        # This worker was presumed dead and the import given to another: its work was rolled back.
        log.warning("member import %s was taken over by another worker; this attempt stops", import_id)


def _import(record: MemberImport) -> None:
    import_id = record.id  # the row may be unreadable in a failed transaction below
    admin = db.session.get(AdminUser, record.created_by_id) if record.created_by_id else None
    actor = Actor("admin", admin.id, admin.display_name) if admin else Actor("system", None, "系统")
    with acting_as(actor):
        try:
            rows = imports.validate_rows(record)
            if rows is not None:
                imports.insert_members(record, rows)
        except imports.LeaseLost:
            raise
        except AppError as exc:
            imports.fail(record, exc.message)
        except IntegrityError:
            # Checked rows can still clash with a member registered meanwhile (the ID card is unique).
            log.warning("member import %s clashed with the register", import_id, exc_info=True)
            imports.fail(
                record, "导入时名册中已有相同的记录（可能刚有人登记了相同的身份证号），没有导入任何数据，请重新上传"
            )
        except Exception:
            log.exception("member import %s failed", import_id)
            imports.fail(record, "导入时发生意外错误，没有导入任何数据，请稍后重试或联系管理员")


def requeue_stalled_imports(now: datetime | None = None) -> list[int]:
    """Queue again the imports whose job was lost (never taken, or its worker died); their ids."""
    import_ids = imports.release_stalled(now or utcnow())
    for import_id in import_ids:
        log.warning("member import %s was lost by the queue or its worker: queued again", import_id)
        enqueue_after_commit(run_member_import, import_id)
    db.session.commit()
    return import_ids


@periodic_job(crontab(minute="*"))
def sweep_member_imports() -> None:
    """Every minute: give back to the queue the imports no worker is looking after."""
    requeue_stalled_imports()
