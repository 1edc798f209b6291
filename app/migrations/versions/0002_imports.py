"""imports: the record of every import (who, when, which file, counts, rejected-row report)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 03:34:18.913075

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=False),
    sa.Column('file_size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=128), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('total_rows', sa.Integer(), nullable=True),
    sa.Column('created', sa.Integer(), nullable=True),
    sa.Column('updated', sa.Integer(), nullable=True),
    sa.Column('unchanged', sa.Integer(), nullable=True),
    sa.Column('rejected', sa.Integer(), nullable=True),
    sa.Column('progress_done', sa.Integer(), nullable=False),
    sa.Column('progress_total', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('warnings', sa.JSON(), nullable=True),
    sa.Column('problems', sa.JSON(), nullable=True),
    sa.Column('problems_truncated', sa.Boolean(), nullable=False),
    sa.Column('sample', sa.JSON(), nullable=True),
    sa.Column('task_id', sa.String(length=50), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.CheckConstraint("status IN ('uploaded', 'checking', 'ready', 'checked', 'rejected', 'failed', 'committing', 'committed', 'cancelled')", name='ck_import_record_status'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('import_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_record_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_record_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_record_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_record_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('import_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_record_user_id'))
        batch_op.drop_index(batch_op.f('ix_import_record_sha256'))
        batch_op.drop_index(batch_op.f('ix_import_record_kind'))
        batch_op.drop_index(batch_op.f('ix_import_record_created_at'))

    op.drop_table('import_record')
