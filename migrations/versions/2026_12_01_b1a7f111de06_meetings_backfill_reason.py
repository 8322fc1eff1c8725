"""meetings: backfill_reason, for a meeting held on paper and recorded afterwards (补录)

Revision ID: b1a7f111de06
Revises: 4253a202ed4f
Create Date: 2026-12-01 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b1a7f111de06'
down_revision = '4253a202ed4f'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backfill_reason', sa.String(length=200), nullable=True))
        batch_op.create_check_constraint(
            batch_op.f('ck_meetings_backfill_reason_not_blank'),
            'backfill_reason IS NULL OR length(trim(backfill_reason)) >= 2',
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_meetings_backfill_over_when_entered'),
            'backfill_reason IS NULL OR (ends_at <= created_at AND checkin_closes_at <= created_at)',
        )


def downgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_meetings_backfill_over_when_entered'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_meetings_backfill_reason_not_blank'), type_='check')
        batch_op.drop_column('backfill_reason')
