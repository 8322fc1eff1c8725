"""accounts: failed logins counted by the throttle, not the account; phones remember the password epoch

admin_users.failed_logins goes: failures are counted per account and address in the rate limiter's
storage (server/auth/throttle.py), so a stranger can no longer lock an account. locked_until stays,
now set only by an operator. member_sessions.admin_epoch records the linked admin account's password
epoch at login; the phone acts with the account's powers only while it still matches.

Not additive (a column is dropped): stop the web and workers of the old release before `db upgrade`.

Revision ID: acc0c0de0008
Revises: 4253a202ed4f
Create Date: 2026-12-01 09:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "acc0c0de0008"
down_revision = "b1a7f111de06"  # after 补录
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("admin_users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_admin_users_failed_logins_not_negative"), type_="check")
        batch_op.drop_column("failed_logins")
    with op.batch_alter_table("member_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("admin_epoch", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("member_sessions", schema=None) as batch_op:
        batch_op.drop_column("admin_epoch")
    with op.batch_alter_table("admin_users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_check_constraint(
            batch_op.f("ck_admin_users_failed_logins_not_negative"), sa.text("failed_logins >= 0")
        )
