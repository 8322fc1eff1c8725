"""the members' mailbox (书记信箱 / 党委信箱): letters, their authors kept apart for abuse handling only, the
branch message board (留言板) and each organisation's mailbox settings (reply time, board moderation)

Revision ID: f5b0c0de1502
Revises: f5b0c0de1503
Create Date: 2026-12-02 00:36:11.886759

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f5b0c0de1502"
down_revision = "f5b0c0de1503"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "mailbox_settings",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("reply_days", sa.Integer(), nullable=True),
        sa.Column("board_premoderation", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reply_days IS NULL OR reply_days BETWEEN 1 AND 90", name=op.f("ck_mailbox_settings_reply_days_range")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_mailbox_settings_org_id_organisations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_mailbox_settings")),
    )
    op.create_table(
        "board_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.String(length=500), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "visible",
                "hidden",
                name="board_post_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moderated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("length(trim(body)) > 0", name=op.f("ck_board_posts_body_not_blank")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_board_posts_member_id_members"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["admin_users.id"],
            name=op.f("fk_board_posts_moderator_id_admin_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_board_posts_org_id_organisations"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_posts")),
    )
    with op.batch_alter_table("board_posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_board_posts_member_id"), ["member_id"], unique=False)
        batch_op.create_index("ix_board_posts_org_status_created", ["org_id", "status", "created_at"], unique=False)

    op.create_table(
        "letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column(
            "addressee",
            sa.Enum(
                "secretary", "committee", name="letter_addressee", native_enum=False, create_constraint=True, length=24
            ),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("signed_member_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "received",
                "in_hand",
                "replied",
                name="letter_status",
                native_enum=False,
                create_constraint=True,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handler_id", sa.Integer(), nullable=True),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replier_id", sa.Integer(), nullable=True),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status <> 'replied' OR (replied_at IS NOT NULL AND reply <> '')", name=op.f("ck_letters_replied_has_reply")
        ),
        sa.CheckConstraint(
            "NOT anonymous OR signed_member_id IS NULL", name=op.f("ck_letters_anonymous_has_no_signature")
        ),
        sa.CheckConstraint("length(trim(body)) > 0", name=op.f("ck_letters_body_not_blank")),
        sa.CheckConstraint("length(trim(subject)) > 0", name=op.f("ck_letters_subject_not_blank")),
        sa.ForeignKeyConstraint(
            ["handler_id"], ["admin_users.id"], name=op.f("fk_letters_handler_id_admin_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_letters_org_id_organisations"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["replier_id"], ["admin_users.id"], name=op.f("fk_letters_replier_id_admin_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["signed_member_id"], ["members.id"], name=op.f("fk_letters_signed_member_id_members"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters")),
    )
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.create_index("ix_letters_org_status_received", ["org_id", "status", "received_at"], unique=False)
        batch_op.create_index("ix_letters_status_flagged", ["status", "overdue_at"], unique=False)

    op.create_table(
        "letter_authors",
        sa.Column("letter_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["letter_id"], ["letters.id"], name=op.f("fk_letter_authors_letter_id_letters"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_letter_authors_member_id_members"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("letter_id", name=op.f("pk_letter_authors")),
    )
    with op.batch_alter_table("letter_authors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_letter_authors_member_id"), ["member_id"], unique=False)


def downgrade():
    with op.batch_alter_table("letter_authors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_letter_authors_member_id"))

    op.drop_table("letter_authors")
    with op.batch_alter_table("letters", schema=None) as batch_op:
        batch_op.drop_index("ix_letters_status_flagged")
        batch_op.drop_index("ix_letters_org_status_received")

    op.drop_table("letters")
    with op.batch_alter_table("board_posts", schema=None) as batch_op:
        batch_op.drop_index("ix_board_posts_org_status_created")
        batch_op.drop_index(batch_op.f("ix_board_posts_member_id"))

    op.drop_table("board_posts")
    op.drop_table("mailbox_settings")
