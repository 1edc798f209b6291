"""reading reminders, mail templates, online readings (issue 9 §4)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 03:20:00

* ``mail_template``: the edited subject and body of a kind of message in a language;
* ``online_throttle``: the public readings page's requests counted per link and per address;
* the reading source ``online`` (``ck_reading_source``) and the audit source ``online``
  (``ck_audit_log_source``).

On SQLite a CHECK constraint changes only with a copy of the table (``batch_alter_table``),
and the copy drops the table's triggers: ``reading`` has the change log's
(``billing_change_reading_*``, migration 0003), ``audit_log`` the guards that make it
append-only (migration 0008). They are read from ``sqlite_master`` before the copy and created
again after it, exactly as they were.
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

READING_OLD = ("inspector", "resident", "import", "estimate")
READING_NEW = READING_OLD + ("online",)
AUDIT_OLD = ("web", "api", "import", "cli", "task", "system")
AUDIT_NEW = AUDIT_OLD + ("online",)


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _replace_check(table, name, column, values):
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.drop_constraint(name, table, type_="check")
        op.create_check_constraint(name, table, _in(column, values))
        return
    triggers = [row[0] for row in bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t AND sql IS NOT NULL"),
        {"t": table})]
    with op.batch_alter_table(table, recreate="always") as batch:
        batch.drop_constraint(name, type_="check")
        batch.create_check_constraint(name, _in(column, values))
    for sql in triggers:
        op.execute(sql)


def upgrade():
    op.create_table(
        'mail_template',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('lang', sa.String(length=2), nullable=False),
        sa.Column('subject', sa.String(length=250), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('changed_by', sa.String(length=100), nullable=True),
        sa.Column('changed_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=True),
        sa.CheckConstraint("kind IN ('invoice', 'reminder')", name='ck_mail_template_kind'),
        sa.CheckConstraint("lang IN ('uk', 'en')", name='ck_mail_template_lang'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'lang', name='uq_mail_template_kind_lang'),
    )
    op.create_table(
        'online_throttle',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.CheckConstraint("kind IN ('link', 'ip')", name='ck_online_throttle_kind'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'key', 'window_start', name='uq_online_throttle_window'),
    )
    op.create_index('ix_online_throttle_window_start', 'online_throttle', ['window_start'], unique=False)
    _replace_check("reading", "ck_reading_source", "source", READING_NEW)
    _replace_check("audit_log", "ck_audit_log_source", "source", AUDIT_NEW)


def downgrade():
    # the online readings stay readings (entered by the resident); the audit rows stay, from the system
    op.execute("UPDATE reading SET source = 'resident' WHERE source = 'online'")
    _replace_check("reading", "ck_reading_source", "source", READING_OLD)
    if op.get_bind().dialect.name == "postgresql":
        # the append-only guard refuses UPDATE: the old check is added NOT VALID (old rows kept)
        op.drop_constraint("ck_audit_log_source", "audit_log", type_="check")
        op.execute(f"ALTER TABLE audit_log ADD CONSTRAINT ck_audit_log_source CHECK ({_in('source', AUDIT_OLD)}) "
                   "NOT VALID")
    else:
        _replace_check_sqlite_audit_down()
    op.drop_index('ix_online_throttle_window_start', table_name='online_throttle')
    op.drop_table('online_throttle')
    op.drop_table('mail_template')


def _replace_check_sqlite_audit_down():
    """SQLite: rows from ``online`` would fail the old check in the copy; they are copied as
    ``system`` (the guard triggers are not on the copy being filled)."""
    bind = op.get_bind()
    triggers = [row[0] for row in bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log' "
                "AND sql IS NOT NULL"))]
    for name in [row[0] for row in bind.execute(
            sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"))]:
        op.execute(f"DROP TRIGGER {name}")
    op.execute("UPDATE audit_log SET source = 'system' WHERE source = 'online'")
    with op.batch_alter_table("audit_log", recreate="always") as batch:
        batch.drop_constraint("ck_audit_log_source", type_="check")
        batch.create_check_constraint("ck_audit_log_source", _in("source", AUDIT_OLD))
    for sql in triggers:
        op.execute(sql)
