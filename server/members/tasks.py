"""Background jobs of the member register."""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from server.audit.context import Actor, acting_as
from server.auth.models import AdminUser
from server.db import db
from server.errors import AppError
from server.members import imports
from server.tasks import job

log = logging.getLogger(__name__)


@job()
def run_member_import(import_id: int) -> None:
    """Check and import an uploaded register; progress and errors are kept on the import row."""
    record = imports.claim(import_id)
    if record is None:
        return  # already taken or handled: a retried or duplicated job does nothing
    admin = db.session.get(AdminUser, record.created_by_id) if record.created_by_id else None
    actor = Actor("admin", admin.id, admin.display_name) if admin else Actor("system", None, "系统")
    with acting_as(actor):
        try:
            rows = imports.validate_rows(record)
            if rows is not None:
                imports.insert_members(record, rows)
        except AppError as exc:
            imports.fail(import_id, exc.message)
        except IntegrityError:
            # Checked rows can still clash with a member registered meanwhile (the ID card is unique).
            log.warning("member import %s clashed with the register", import_id, exc_info=True)
            imports.fail(
                import_id, "导入时名册中已有相同的记录（可能刚有人登记了相同的身份证号），没有导入任何数据，请重新上传"
            )
        except Exception:
            log.exception("member import %s failed", import_id)
            imports.fail(import_id, "导入时发生意外错误，没有导入任何数据，请稍后重试或联系管理员")
