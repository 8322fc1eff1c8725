"""members' inbox and its pushes (shared by the newspaper and later notices); the mobile newspaper:
issues, articles, audiences, reads, likes, forwards and opens of forwards

Revision ID: e1a0c0de1101
Revises: d0e5c0de1004
Create Date: 2026-12-01 21:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1a0c0de1101'
down_revision = 'd0e5c0de1004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inbox_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('newspaper', name='inbox_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_inbox_items_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_items')),
    sa.UniqueConstraint('member_id', 'kind', 'ref_id', name='uq_inbox_items_member_kind_ref')
    )
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_items_kind_ref', ['kind', 'ref_id'], unique=False)
        batch_op.create_index('ix_inbox_items_member_delivered', ['member_id', 'delivered_at', 'id'], unique=False)

    op.create_table('inbox_pushes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('newspaper', name='inbox_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('ref_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.String(length=128), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'no_quota', 'uncertain', 'failed', 'cancelled', name='push_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('errcode', sa.Integer(), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_inbox_pushes_attempts_not_negative')),
    sa.CheckConstraint('round >= 0', name=op.f('ck_inbox_pushes_round_not_negative')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_inbox_pushes_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_pushes')),
    sa.UniqueConstraint('member_id', 'kind', 'ref_id', 'round', name='uq_inbox_pushes_member_kind_ref_round')
    )
    with op.batch_alter_table('inbox_pushes', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_pushes_batch', ['kind', 'ref_id', 'round', 'status', 'id'], unique=False)
        batch_op.create_index('ix_inbox_pushes_status_updated', ['status', 'updated_at'], unique=False)

    op.create_table('news_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=60), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'approved', 'published', 'withdrawn', name='news_issue_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('reviewer_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_note', sa.String(length=500), nullable=False),
    sa.Column('publish_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status <> 'published' OR published_at IS NOT NULL", name=op.f('ck_news_issues_published_has_time')),
    sa.CheckConstraint('length(trim(title)) > 0', name=op.f('ck_news_issues_title_not_blank')),
    sa.CheckConstraint('number > 0', name=op.f('ck_news_issues_number_positive')),
    sa.CheckConstraint('reviewer_id IS NULL OR reviewer_id <> author_id', name=op.f('ck_news_issues_not_reviewed_by_author')),
    sa.ForeignKeyConstraint(['author_id'], ['admin_users.id'], name=op.f('fk_news_issues_author_id_admin_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_news_issues_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['reviewer_id'], ['admin_users.id'], name=op.f('fk_news_issues_reviewer_id_admin_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_issues')),
    sa.UniqueConstraint('org_id', 'number', name='uq_news_issues_org_number')
    )
    with op.batch_alter_table('news_issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_news_issues_org_id'), ['org_id'], unique=False)
        batch_op.create_index('ix_news_issues_status_publish_at', ['status', 'publish_at'], unique=False)

    op.create_table('news_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('summary', sa.String(length=200), nullable=False),
    sa.Column('cover', sa.String(length=64), nullable=True),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(trim(title)) > 0', name=op.f('ck_news_articles_title_not_blank')),
    sa.ForeignKeyConstraint(['issue_id'], ['news_issues.id'], name=op.f('fk_news_articles_issue_id_news_issues'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_articles')),
    sa.UniqueConstraint('issue_id', 'position', name='uq_news_articles_issue_position')
    )
    op.create_table('news_audiences',
    sa.Column('issue_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('narrowing', sa.Enum('all', 'probationary', 'secretaries', 'group', name='news_narrowing', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.ForeignKeyConstraint(['issue_id'], ['news_issues.id'], name=op.f('fk_news_audiences_issue_id_news_issues'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_news_audiences_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('issue_id', 'org_id', name=op.f('pk_news_audiences'))
    )
    op.create_table('news_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('liked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['news_articles.id'], name=op.f('fk_news_reads_article_id_news_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_news_reads_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_reads')),
    sa.UniqueConstraint('member_id', 'article_id', name='uq_news_reads_member_article')
    )
    with op.batch_alter_table('news_reads', schema=None) as batch_op:
        batch_op.create_index('ix_news_reads_article', ['article_id'], unique=False)

    op.create_table('news_shares',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('sharer_id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('shared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['news_articles.id'], name=op.f('fk_news_shares_article_id_news_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sharer_id'], ['members.id'], name=op.f('fk_news_shares_sharer_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_shares')),
    sa.UniqueConstraint('token', name=op.f('uq_news_shares_token'))
    )
    with op.batch_alter_table('news_shares', schema=None) as batch_op:
        batch_op.create_index('ix_news_shares_article', ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_news_shares_sharer_id'), ['sharer_id'], unique=False)

    op.create_table('news_share_opens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('share_id', sa.Integer(), nullable=False),
    sa.Column('opener_member_id', sa.Integer(), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['opener_member_id'], ['members.id'], name=op.f('fk_news_share_opens_opener_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['share_id'], ['news_shares.id'], name=op.f('fk_news_share_opens_share_id_news_shares'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_news_share_opens')),
    sa.UniqueConstraint('share_id', 'opener_member_id', name='uq_news_share_opens_share_opener')
    )


def downgrade():
    op.drop_table('news_share_opens')
    with op.batch_alter_table('news_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_news_shares_sharer_id'))
        batch_op.drop_index('ix_news_shares_article')

    op.drop_table('news_shares')
    with op.batch_alter_table('news_reads', schema=None) as batch_op:
        batch_op.drop_index('ix_news_reads_article')

    op.drop_table('news_reads')
    op.drop_table('news_audiences')
    op.drop_table('news_articles')
    with op.batch_alter_table('news_issues', schema=None) as batch_op:
        batch_op.drop_index('ix_news_issues_status_publish_at')
        batch_op.drop_index(batch_op.f('ix_news_issues_org_id'))

    op.drop_table('news_issues')
    with op.batch_alter_table('inbox_pushes', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_pushes_status_updated')
        batch_op.drop_index('ix_inbox_pushes_batch')

    op.drop_table('inbox_pushes')
    with op.batch_alter_table('inbox_items', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_items_member_delivered')
        batch_op.drop_index('ix_inbox_items_kind_ref')

    op.drop_table('inbox_items')
