"""background work that survives a killed worker: heartbeats, task state (issue 8 item 2)

* ``billing_chunk``: the chunks of buildings of a run, each with its attempts and the moment
  it was done — a chunk delivered twice (``acks_late``) adds to the progress once;
* ``import_record.heartbeat_at``: moved on while a process checks or writes the file; a
  record whose heartbeat went silent is swept (``app.services.imports.records.sweep_orphans``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 00:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'billing_chunk',
        sa.Column('run_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('buildings', sa.JSON(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['run_id'], ['billing_run.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('run_id', 'seq'),
    )
    # a plain ADD COLUMN on both databases (no batch copy of the table)
    op.add_column('import_record', sa.Column('heartbeat_at', sa.DateTime(), nullable=True))


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table('import_record', schema=None) as batch_op:
            batch_op.drop_column('heartbeat_at')
    else:
        op.drop_column('import_record', 'heartbeat_at')
    op.drop_table('billing_chunk')
