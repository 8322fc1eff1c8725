"""members' consent to subscribe messages: one row per member and template, with what is left

Revision ID: b9c0de000901
Revises: a0d17c0de007
Create Date: 2026-12-01 17:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "b9c0de000901"
down_revision = "a0d17c0de007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "member_subscriptions",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.String(length=128), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column(
            "last_choice",
            sa.Enum("accept", "reject", "ban", "filter", name="subscribe_choice", native_enum=False,
                    create_constraint=True, length=24),
            nullable=True,
        ),
        sa.Column("last_choice_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("remaining >= 0", name=op.f("ck_member_subscriptions_remaining_not_negative")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_member_subscriptions_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("member_id", "template_id", name=op.f("pk_member_subscriptions")),
    )


def downgrade():
    op.drop_table("member_subscriptions")
