"""political birthdays: one greeting per member and year (the unique key makes the daily job exactly-once),
and the members a birthday 主题党日 celebrates

Revision ID: f5b0c0de1503
Revises: f5b0c0de1500
Create Date: 2026-12-02 00:35:39.174606

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f5b0c0de1503"
down_revision = "f5b0c0de1500"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "birthday_greetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("join_date", sa.Date(), nullable=False),
        sa.Column("years", sa.Integer(), nullable=False),
        sa.Column("greeted_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("years >= 1", name=op.f("ck_birthday_greetings_years_positive")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_birthday_greetings_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_birthday_greetings")),
        sa.UniqueConstraint("member_id", "year", name="uq_birthday_greetings_member_year"),
    )
    with op.batch_alter_table("birthday_greetings", schema=None) as batch_op:
        batch_op.create_index("ix_birthday_greetings_undelivered", ["delivered_at", "id"], unique=False)

    op.create_table(
        "birthday_invitations",
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_birthday_invitations_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_birthday_invitations_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("meeting_id", "member_id", name=op.f("pk_birthday_invitations")),
    )
    with op.batch_alter_table("birthday_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_birthday_invitations_member_id"), ["member_id"], unique=False)


def downgrade():
    # Dropping a table drops its indexes; no batch operation, so SQLite does not copy anything.
    op.drop_table("birthday_invitations")
    op.drop_table("birthday_greetings")
