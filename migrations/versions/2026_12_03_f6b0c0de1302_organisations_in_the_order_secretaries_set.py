"""organisations: a position among siblings that secretaries set, and the tree order kept as a key

Until now lists sorted organisations by their id path, which puts "第二项目部" before "机关" whenever
it happened to get a smaller id under another parent, and gave secretaries no say. ``sort_order``
(already there, always 0) becomes the position among siblings, backfilled in creation order (id order;
positions already set, as the bench data has, are kept), and ``tree_key`` materialises the positions
from the root down, so one ORDER BY lists the tree depth-first. The backfill runs in Python, level by
level, so it reads the same on SQLite and PostgreSQL (8,000 organisations take well under a second).
Nothing here rebuilds the table (SQLite's batch mode would, and the members' foreign keys forbid
dropping it with rows in): the column keeps an empty server default, as ``attendances.flags`` does.

Revision ID: f6b0c0de1302
Revises: f5b0c0de1502
Create Date: 2026-12-03 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "f6b0c0de1302"
down_revision = "f5b0c0de1502"
branch_labels = None
depends_on = None

DIGITS = 6  # server/orgs/models.py POSITION_DIGITS, copied: a migration does not import the app

orgs = sa.table(
    "organisations",
    sa.column("id", sa.Integer),
    sa.column("parent_id", sa.Integer),
    sa.column("sort_order", sa.Integer),
    sa.column("tree_key", sa.String),
)


def _backfill() -> None:
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(orgs.c.id, orgs.c.parent_id).order_by(orgs.c.sort_order, orgs.c.id)
    ).all()
    children: dict[int | None, list[int]] = {}
    for org_id, parent_id in rows:
        children.setdefault(parent_id, []).append(org_id)
    updates = []
    level = [(None, "")]
    while level:
        below = []
        for parent_id, parent_key in level:
            for position, org_id in enumerate(children.get(parent_id, [])):
                key = f"{parent_key}{position:0{DIGITS}d}"
                updates.append({"b_id": org_id, "b_position": position, "b_key": key})
                below.append((org_id, key))
        level = below
    if updates:
        connection.execute(
            orgs.update()
            .where(orgs.c.id == sa.bindparam("b_id"))
            .values(sort_order=sa.bindparam("b_position"), tree_key=sa.bindparam("b_key")),
            updates,
        )


def upgrade():
    key_type = sa.String(length=255).with_variant(sa.String(length=255, collation="C"), "postgresql")
    with op.batch_alter_table("organisations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tree_key", key_type, nullable=False, server_default=""))
    _backfill()
    op.create_index(op.f("ix_organisations_tree_key"), "organisations", ["tree_key"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_organisations_tree_key"), table_name="organisations")
    op.execute("ALTER TABLE organisations DROP COLUMN tree_key")  # SQLite 3.35+ and PostgreSQL alike
