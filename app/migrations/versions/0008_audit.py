"""the audit log (issue 8 item 7): ``audit_log``, append-only

Who created, changed or deleted which registry record, when, from where (web, api, import,
cli, task), with {field: [old, new]}. Database triggers refuse UPDATE and DELETE of its rows
(and TRUNCATE on PostgreSQL), as they do for the journal (migration 0001).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:00:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

AUDIT_GUARD_MESSAGE = "audit log entries are never updated or deleted"


def upgrade():
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=100), nullable=True),
        sa.Column('source', sa.String(length=10), nullable=False),
        sa.Column('table_name', sa.String(length=64), nullable=False),
        sa.Column('record_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=10), nullable=False),
        sa.Column('changes', sa.Text(), nullable=False),
        sa.CheckConstraint("source IN ('web', 'api', 'import', 'cli', 'task', 'system')", name='ck_audit_log_source'),
        sa.CheckConstraint("action IN ('insert', 'update', 'delete')", name='ck_audit_log_action'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_audit_log_record', 'audit_log', ['table_name', 'record_id'], unique=False)
    op.create_index('ix_audit_log_at', 'audit_log', ['at'], unique=False)
    op.create_index('ix_audit_log_username', 'audit_log', ['username'], unique=False)
    protect_audit_log()


def protect_audit_log():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE OR REPLACE FUNCTION audit_log_immutable() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{AUDIT_GUARD_MESSAGE}';
            END;
            $$ LANGUAGE plpgsql;
        """)
        op.execute("CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_immutable()")
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER audit_log_no_{action.lower()} BEFORE {action} ON audit_log
                BEGIN
                    SELECT RAISE(ABORT, '{AUDIT_GUARD_MESSAGE}');
                END;
            """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_immutable()")
    op.drop_index('ix_audit_log_username', table_name='audit_log')
    op.drop_index('ix_audit_log_at', table_name='audit_log')
    op.drop_index('ix_audit_log_record', table_name='audit_log')
    op.drop_table('audit_log')
