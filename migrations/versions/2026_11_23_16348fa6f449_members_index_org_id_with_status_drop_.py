"""members: index org_id with status, drop the plain org_id index

Revision ID: 16348fa6f449
Revises: 515e8d304c61
Create Date: 2026-11-23 10:13:20.357907

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '16348fa6f449'
down_revision = '515e8d304c61'
branch_labels = None
depends_on = None


def upgrade():
    # The new index first, so member queries always have one leading with org_id.
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index('ix_members_org_status', ['org_id', 'status'], unique=False)
        batch_op.drop_index(batch_op.f('ix_members_org_id'))


def downgrade():
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_org_id'), ['org_id'], unique=False)
        batch_op.drop_index('ix_members_org_status')
