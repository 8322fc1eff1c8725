"""inbox: three more kinds of item — a secretary's notice, a reply to a member's letter, a political birthday

The inbox and its pushes store the kind as a string guarded by a CHECK constraint; the features that
deliver these kinds add their own tables in the migrations after this one.

Revision ID: f5b0c0de1500
Revises: f0a1c0de1201
Create Date: 2026-12-02 01:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "f5b0c0de1500"
down_revision = "f0a1c0de1201"
branch_labels = None
depends_on = None

TABLES = ("inbox_items", "inbox_pushes")
BEFORE = ("newspaper",)
AFTER = ("newspaper", "notice", "letter", "birthday")


def _allow(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{value}'" for value in values)
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f"ck_{table}_inbox_kind"), type_="check")
            batch_op.create_check_constraint(batch_op.f(f"ck_{table}_inbox_kind"), f"kind IN ({listed})")


def upgrade():
    _allow(AFTER)


def downgrade():
    for table in TABLES:
        op.execute(f"DELETE FROM {table} WHERE kind NOT IN ('newspaper')")
    _allow(BEFORE)
