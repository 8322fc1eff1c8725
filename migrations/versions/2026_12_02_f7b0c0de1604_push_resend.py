"""inbox pushes: ``resend``, a push left in doubt by a worker that died, sent again because its member had one consent

The status is a string guarded by a CHECK constraint; this adds the value (server/inbox/push.py says when it is
used and why sending it again cannot push anyone twice).

Revision ID: f7b0c0de1604
Revises: f5b0c0de1501
Create Date: 2026-12-02 09:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "f7b0c0de1604"
down_revision = "f5b0c0de1501"
branch_labels = None
depends_on = None

BEFORE = ("pending", "sending", "sent", "no_quota", "uncertain", "failed", "cancelled")
AFTER = BEFORE + ("resend",)


def _allow(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table("inbox_pushes", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_inbox_pushes_push_status"), type_="check")
        batch_op.create_check_constraint(batch_op.f("ck_inbox_pushes_push_status"), f"status IN ({listed})")


def upgrade():
    _allow(AFTER)


def downgrade():
    op.execute("UPDATE inbox_pushes SET status = 'uncertain' WHERE status = 'resend'")
    _allow(BEFORE)
