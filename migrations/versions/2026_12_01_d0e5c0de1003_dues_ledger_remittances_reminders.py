"""party dues ledger: remittances up the tree (append-only, corrected by reversal) and the monthly
arrears reminder's claims (one per member and month)

Revision ID: d0e5c0de1003
Revises: d0e5c0de1002
Create Date: 2026-12-01 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd0e5c0de1003'
down_revision = 'd0e5c0de1002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dues_remittances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('from_org_id', sa.Integer(), nullable=False),
    sa.Column('to_org_id', sa.Integer(), nullable=False),
    sa.Column('first_month', sa.Date(), nullable=False),
    sa.Column('last_month', sa.Date(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('reverses_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), server_default='', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_fen <> 0', name=op.f('ck_dues_remittances_amount_not_zero')),
    sa.CheckConstraint('from_org_id <> to_org_id', name=op.f('ck_dues_remittances_not_to_itself')),
    sa.CheckConstraint('last_month >= first_month', name=op.f('ck_dues_remittances_months_in_order')),
    sa.ForeignKeyConstraint(['created_by_id'], ['admin_users.id'], name=op.f('fk_dues_remittances_created_by_id_admin_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['from_org_id'], ['organisations.id'], name=op.f('fk_dues_remittances_from_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reverses_id'], ['dues_remittances.id'], name=op.f('fk_dues_remittances_reverses_id_dues_remittances'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['to_org_id'], ['organisations.id'], name=op.f('fk_dues_remittances_to_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dues_remittances')),
    sa.UniqueConstraint('reverses_id', name=op.f('uq_dues_remittances_reverses_id'))
    )
    with op.batch_alter_table('dues_remittances', schema=None) as batch_op:
        batch_op.create_index('ix_dues_remittances_from_month', ['from_org_id', 'last_month'], unique=False)
        batch_op.create_index('ix_dues_remittances_to_month', ['to_org_id', 'last_month'], unique=False)

    op.create_table('dues_reminders',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('streak', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.Enum('sending', 'sent', 'not_subscribed', 'failed', 'uncertain', 'no_wechat', name='dues_reminder_outcome', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_dues_reminders_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'month', name=op.f('pk_dues_reminders'))
    )


def downgrade():
    op.drop_table('dues_reminders')
    with op.batch_alter_table('dues_remittances', schema=None) as batch_op:
        batch_op.drop_index('ix_dues_remittances_to_month')
        batch_op.drop_index('ix_dues_remittances_from_month')
    op.drop_table('dues_remittances')
