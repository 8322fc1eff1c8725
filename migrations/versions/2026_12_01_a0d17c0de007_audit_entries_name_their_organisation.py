"""audit: give earlier entries the organisation they were written without

Leave decisions, attendance marked by hand, minutes amendments and WeChat bindings were audited
without an organisation whenever the related row had not been loaded, so only the superadmin could
see them. The application now reads the organisation from columns; this fills in the entries written
before, from the row they name (or, for a row since deleted, the key kept in the entry itself).
Bindings and invite codes take their member's branch as it is now. Data only: no schema change.

Revision ID: a0d17c0de007
Revises: 4253a202ed4f
Create Date: 2026-12-01 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a0d17c0de007"
down_revision = "c4ec1c0de005"  # data only: last, after the schema changes of this release
branch_labels = None
depends_on = None

# entity type -> (its table, its foreign key, the table that key points at, that table's organisation column)
_ROUTES = {
    "attendance": ("attendances", "meeting_id", "meetings", "organiser_org_id"),
    "leave_request": ("leave_requests", "meeting_id", "meetings", "organiser_org_id"),
    "minutes_amendment": ("minutes_amendments", "minutes_id", "minutes", "org_id"),
    "wechat_binding": ("wechat_bindings", "member_id", "members", "org_id"),
    "invite_code": ("invite_codes", "member_id", "members", "org_id"),
}

audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("entity_type", sa.String),
    sa.column("entity_id", sa.Integer),
    sa.column("org_id", sa.Integer),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
)


def _through_the_row(bind, entity_type, table, key, parent, org_column) -> None:
    row = sa.table(table, sa.column("id"), sa.column(key))
    target = sa.table(parent, sa.column("id"), sa.column(org_column))
    org = (
        sa.select(target.c[org_column])
        .select_from(row.join(target, target.c.id == row.c[key]))
        .where(row.c.id == audit_log.c.entity_id)
        .scalar_subquery()
    )
    bind.execute(
        sa.update(audit_log)
        .where(audit_log.c.org_id.is_(None), audit_log.c.entity_type == entity_type)
        .values(org_id=org)
    )


def _through_the_entry(bind, entity_type, key, parent, org_column) -> None:
    """Rows deleted since: the entry's own snapshot still names the meeting, minutes or member."""
    target = sa.table(parent, sa.column("id"), sa.column(org_column))
    orphans = bind.execute(
        sa.select(audit_log.c.id, audit_log.c.before, audit_log.c.after).where(
            audit_log.c.org_id.is_(None), audit_log.c.entity_type == entity_type
        )
    ).all()
    for entry_id, before, after in orphans:
        parent_id = (after or {}).get(key) or (before or {}).get(key)
        if parent_id is None:
            continue
        org_id = bind.execute(sa.select(target.c[org_column]).where(target.c.id == parent_id)).scalar()
        if org_id is not None:
            bind.execute(sa.update(audit_log).where(audit_log.c.id == entry_id).values(org_id=org_id))


def upgrade():
    bind = op.get_bind()
    for entity_type, (table, key, parent, org_column) in _ROUTES.items():
        _through_the_row(bind, entity_type, table, key, parent, org_column)
        _through_the_entry(bind, entity_type, key, parent, org_column)


def downgrade():
    # Nothing to undo: the organisations filled in are true, and the old code reads them as well.
    pass
