"""dues refunds: WeChat's own outcomes ABNORMAL and CLOSED instead of one "failed"

An ABNORMAL refund is not over (WeChat holds the money until it is settled on the merchant platform,
then reports SUCCESS or CLOSED); a CLOSED one returned nothing. A "failed" refund of before is CLOSED:
its months were already let go.

Revision ID: d0e5c0de1004
Revises: d0e5c0de1003
Create Date: 2026-12-02 09:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "d0e5c0de1004"
down_revision = "d0e5c0de1003"
branch_labels = None
depends_on = None

CONSTRAINT = "ck_dues_refunds_dues_refund_status"


def _allow(values: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{value}'" for value in values)
    with op.batch_alter_table("dues_refunds", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f(CONSTRAINT), type_="check")
        batch_op.create_check_constraint(batch_op.f(CONSTRAINT), f"status IN ({listed})")


def upgrade():
    _allow(("processing", "success", "failed", "abnormal", "closed"))
    op.execute(sa.text("UPDATE dues_refunds SET status = 'closed' WHERE status = 'failed'"))
    _allow(("processing", "success", "abnormal", "closed"))


def downgrade():
    _allow(("processing", "success", "failed", "abnormal", "closed"))
    op.execute(sa.text("UPDATE dues_refunds SET status = 'failed' WHERE status IN ('abnormal', 'closed')"))
    _allow(("processing", "success", "failed"))
