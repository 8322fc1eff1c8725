"""the dashboard's summary: each large subtree's figures of the month, counted by the periodic job, so the
committee's 首页 reads them instead of counting 140,000 members, bills and check-ins while it waits; and
the month's bills per organisation read from an index alone (the job's count of the whole tree)

Revision ID: f7b0c0de1601
Revises: f7b0c0de1604
Create Date: 2026-12-02 08:20:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "f7b0c0de1601"
down_revision = "f7b0c0de1604"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "dashboard_counts",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("counted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["organisations.id"], name=op.f("fk_dashboard_counts_org_id_organisations"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_dashboard_counts")),
    )
    # Built without holding writes back (CONCURRENTLY on PostgreSQL, outside the migration's transaction): at
    # 140,000 members the table has millions of bills, and a payment notification must not wait for it.
    with op.get_context().autocommit_block():
        op.create_index(
            "ix_dues_bills_month_org",
            "dues_bills",
            ["month", "org_id", "status", "amount_fen"],
            unique=False,
            postgresql_concurrently=True,
        )


def downgrade():
    op.drop_index("ix_dues_bills_month_org", table_name="dues_bills")
    op.drop_table("dashboard_counts")
