"""check-in: strict mode (现场核验), flags and coordinates on attendance, refusals counted per member

Revision ID: c4ec1c0de005
Revises: 4253a202ed4f
Create Date: 2026-12-01 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4ec1c0de005'
down_revision = 'fa017c0de010'  # after job leases
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('strict_checkin', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.add_column(sa.Column('geo_lat', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('geo_lng', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('flags', sa.String(length=100), server_default='', nullable=False))
        batch_op.create_index(
            'ix_attendances_meeting_location',
            ['meeting_id', 'geo_lat', 'geo_lng'],
            unique=False,
            postgresql_where=sa.text('geo_lat IS NOT NULL'),
            sqlite_where=sa.text('geo_lat IS NOT NULL'),
        )

    with op.batch_alter_table('checkin_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_checkin_attempts_member', ['member_id', 'meeting_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('checkin_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_checkin_attempts_member')

    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_index('ix_attendances_meeting_location')
        batch_op.drop_column('flags')
        batch_op.drop_column('geo_lng')
        batch_op.drop_column('geo_lat')

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_column('strict_checkin')
