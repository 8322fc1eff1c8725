"""learning points and quizzes (issue 12): the points ledger; question banks and questions, quizzes
and the banks they draw from, attempts with their items, the wrong-answer book

Revision ID: f0a1c0de1201
Revises: e1a0c0de1101
Create Date: 2026-12-01 21:16:09.083943

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f0a1c0de1201'
down_revision = 'e1a0c0de1101'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('points_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Enum('practice', 'exam', 'contest', 'reading', name='points_source', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('ref', sa.String(length=64), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('earned_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=100), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('points > 0', name=op.f('ck_points_entries_points_positive')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_points_entries_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_points_entries')),
    sa.UniqueConstraint('member_id', 'source', 'ref', name='points_entries_once_per_thing')
    )
    with op.batch_alter_table('points_entries', schema=None) as batch_op:
        batch_op.create_index('ix_points_entries_member_day', ['member_id', 'earned_on', 'source', 'points'], unique=False)

    op.create_table('question_banks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=500), server_default='', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(trim(name)) > 0', name=op.f('ck_question_banks_name_not_blank')),
    sa.ForeignKeyConstraint(['created_by_id'], ['admin_users.id'], name=op.f('fk_question_banks_created_by_id_admin_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_question_banks_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question_banks')),
    sa.UniqueConstraint('org_id', 'name', name='question_banks_one_name_per_org')
    )
    with op.batch_alter_table('question_banks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_banks_org_id'), ['org_id'], unique=False)

    op.create_table('quizzes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('practice', 'exam', 'contest', name='quiz_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=1000), server_default='', nullable=False),
    sa.Column('draw_count', sa.Integer(), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('time_limit_s', sa.Integer(), nullable=True),
    sa.Column('attempts_allowed', sa.Integer(), nullable=True),
    sa.Column('pass_mark', sa.Integer(), nullable=True),
    sa.Column('shuffle_options', sa.Boolean(), nullable=False),
    sa.Column('per_question_s', sa.Integer(), nullable=True),
    sa.Column('reveal', sa.Enum('after_submit', 'after_close', name='quiz_reveal', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', 'closed', name='quiz_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('points_per_correct', sa.Integer(), server_default='0', nullable=False),
    sa.Column('pass_points', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind <> 'contest' OR per_question_s IS NOT NULL", name=op.f('ck_quizzes_contest_has_per_question')),
    sa.CheckConstraint("kind <> 'exam' OR (time_limit_s IS NOT NULL AND closes_at IS NOT NULL)", name=op.f('ck_quizzes_exam_timed')),
    sa.CheckConstraint('attempts_allowed IS NULL OR attempts_allowed >= 1', name=op.f('ck_quizzes_attempts_positive')),
    sa.CheckConstraint('closes_at IS NULL OR closes_at > opens_at', name=op.f('ck_quizzes_closes_after_opening')),
    sa.CheckConstraint('draw_count >= 1 AND draw_count <= 200', name=op.f('ck_quizzes_draw_count_in_range')),
    sa.CheckConstraint('pass_mark IS NULL OR (pass_mark >= 0 AND pass_mark <= 100)', name=op.f('ck_quizzes_pass_mark_percent')),
    sa.CheckConstraint('per_question_s IS NULL OR per_question_s >= 5', name=op.f('ck_quizzes_per_question_at_least_5s')),
    sa.CheckConstraint('points_per_correct >= 0 AND pass_points >= 0', name=op.f('ck_quizzes_points_not_negative')),
    sa.CheckConstraint('time_limit_s IS NULL OR time_limit_s > 0', name=op.f('ck_quizzes_time_limit_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['admin_users.id'], name=op.f('fk_quizzes_created_by_id_admin_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_quizzes_org_id_organisations'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quizzes'))
    )
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.create_index('ix_quizzes_org_status', ['org_id', 'status'], unique=False)

    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('single', 'multiple', 'true_false', name='question_kind', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('stem', sa.String(length=1000), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.Column('explanation', sa.String(length=2000), server_default='', nullable=False),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(trim(stem)) > 0', name=op.f('ck_questions_stem_not_blank')),
    sa.ForeignKeyConstraint(['bank_id'], ['question_banks.id'], name=op.f('fk_questions_bank_id_question_banks'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index('ix_questions_bank_active', ['bank_id', 'active'], unique=False)

    op.create_table('quiz_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('quiz_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('seed', sa.BigInteger(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('in_progress', 'submitted', name='attempt_status', native_enum=False, create_constraint=True, length=24), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.Enum('member', 'timeout', name='attempt_closed_by', native_enum=False, create_constraint=True, length=24), nullable=True),
    sa.Column('correct_count', sa.Integer(), nullable=True),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('points_awarded', sa.Integer(), server_default='0', nullable=False),
    sa.Column('elapsed_ms', sa.Integer(), nullable=True),
    sa.CheckConstraint("(status = 'in_progress') = (submitted_at IS NULL AND closed_by IS NULL AND score IS NULL)", name=op.f('ck_quiz_attempts_submitted_is_scored')),
    sa.CheckConstraint('deadline_at > started_at', name=op.f('ck_quiz_attempts_deadline_after_start')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_quiz_attempts_number_positive')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_quiz_attempts_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_quiz_attempts_org_id_organisations'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_quiz_attempts_quiz_id_quizzes'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_attempts')),
    sa.UniqueConstraint('quiz_id', 'member_id', 'number', name='quiz_attempts_one_per_number')
    )
    with op.batch_alter_table('quiz_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_quiz_attempts_member', ['member_id', 'quiz_id'], unique=False)
        batch_op.create_index('ix_quiz_attempts_open_deadline', ['deadline_at'], unique=False, sqlite_where=sa.text("status = 'in_progress'"), postgresql_where=sa.text("status = 'in_progress'"))
        batch_op.create_index('ix_quiz_attempts_quiz_score', ['quiz_id', 'status', 'score'], unique=False)
        batch_op.create_index('uq_quiz_attempts_one_open', ['quiz_id', 'member_id'], unique=True, sqlite_where=sa.text("status = 'in_progress'"), postgresql_where=sa.text("status = 'in_progress'"))

    op.create_table('quiz_banks',
    sa.Column('quiz_id', sa.Integer(), nullable=False),
    sa.Column('bank_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['question_banks.id'], name=op.f('fk_quiz_banks_bank_id_question_banks'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['quiz_id'], ['quizzes.id'], name=op.f('fk_quiz_banks_quiz_id_quizzes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('quiz_id', 'bank_id', name=op.f('pk_quiz_banks'))
    )
    with op.batch_alter_table('quiz_banks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_banks_bank_id'), ['bank_id'], unique=False)

    op.create_table('quiz_attempt_items',
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('option_order', sa.JSON(), nullable=False),
    sa.Column('given', sa.JSON(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('correct', sa.Boolean(), nullable=True),
    sa.Column('ms_taken', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['attempt_id'], ['quiz_attempts.id'], name=op.f('fk_quiz_attempt_items_attempt_id_quiz_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_quiz_attempt_items_question_id_questions'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('attempt_id', 'position', name=op.f('pk_quiz_attempt_items'))
    )
    with op.batch_alter_table('quiz_attempt_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_attempt_items_question_id'), ['question_id'], unique=False)

    op.create_table('wrong_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('times_wrong', sa.Integer(), nullable=False),
    sa.Column('last_wrong_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('times_wrong >= 1', name=op.f('ck_wrong_answers_times_wrong_positive')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_wrong_answers_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['question_id'], ['questions.id'], name=op.f('fk_wrong_answers_question_id_questions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wrong_answers')),
    sa.UniqueConstraint('member_id', 'question_id', name='wrong_answers_once_per_question')
    )
    with op.batch_alter_table('wrong_answers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wrong_answers_question_id'), ['question_id'], unique=False)



def downgrade():
    # Dropping a table drops its indexes with it: no batch operation (a table copy on SQLite) is needed.
    for table in (
        'wrong_answers',
        'quiz_attempt_items',
        'quiz_banks',
        'quiz_attempts',
        'questions',
        'quizzes',
        'question_banks',
        'points_entries',
    ):
        op.drop_table(table)
