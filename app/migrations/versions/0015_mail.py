"""mail delivery log, mail settings (issue 9 §3)

* ``mail_delivery`` — one message per (kind, account, period), UNIQUE, with its status, attempts,
  next attempt, our Message-ID and the server's reply, the last error;
* ``mail_lock`` — one sender per kind and period, with its heartbeat;
* ``mail_settings`` — the SMTP server as the «Розсилка» screen sets it (one row).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 03:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KINDS = "'invoice', 'reminder'"
STATUSES = "'queued', 'sending', 'sent', 'retry', 'failed', 'skipped', 'unknown'"


def upgrade():
    op.create_table(
        'mail_delivery',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('account_id', sa.Integer(), sa.ForeignKey('account.id', name='fk_mail_delivery_account'),
                  nullable=False),
        sa.Column('period', sa.String(7), nullable=False),
        sa.Column('recipient', sa.String(254), nullable=False),
        sa.Column('status', sa.String(10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime()),
        sa.Column('message_id', sa.String(250)),
        sa.Column('server_reply', sa.String(500)),
        sa.Column('error', sa.Text()),
        sa.Column('error_code', sa.Integer()),
        sa.Column('queued_at', sa.DateTime(), nullable=False),
        sa.Column('queued_by', sa.String(100)),
        sa.Column('sent_at', sa.DateTime()),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('claimed_by', sa.String(100)),
        sa.Column('claimed_at', sa.DateTime()),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'account_id', 'period', name='uq_mail_delivery'),
        sa.CheckConstraint(f"kind IN ({KINDS})", name='ck_mail_delivery_kind'),
        sa.CheckConstraint(f"status IN ({STATUSES})", name='ck_mail_delivery_status'),
    )
    op.create_index('ix_mail_delivery_work', 'mail_delivery', ['kind', 'period', 'status'])
    op.create_index('ix_mail_delivery_account_id', 'mail_delivery', ['account_id'])
    op.create_table(
        'mail_lock',
        sa.Column('kind', sa.String(20), nullable=False),
        sa.Column('period', sa.String(7), nullable=False),
        sa.Column('holder', sa.String(100), nullable=False),
        sa.Column('acquired_by', sa.String(100)),
        sa.Column('acquired_at', sa.DateTime(), nullable=False),
        sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'period'),
    )
    op.create_table(
        'mail_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('server', sa.String(250)),
        sa.Column('port', sa.Integer()),
        sa.Column('security', sa.String(10)),
        sa.Column('username', sa.String(250)),
        sa.Column('password', sa.String(250)),
        sa.Column('sender', sa.String(254)),
        sa.Column('bounce_address', sa.String(254)),
        sa.Column('rate_per_minute', sa.Integer()),
        sa.Column('enabled', sa.Boolean()),
        sa.Column('updated_at', sa.DateTime()),
        sa.Column('updated_by', sa.String(100)),
        sa.PrimaryKeyConstraint('id'),
        sa.CheckConstraint("security IN ('none', 'starttls', 'ssl')", name='ck_mail_settings_security'),
    )


def downgrade():
    op.drop_table('mail_settings')
    op.drop_table('mail_lock')
    op.drop_index('ix_mail_delivery_account_id', table_name='mail_delivery')
    op.drop_index('ix_mail_delivery_work', table_name='mail_delivery')
    op.drop_table('mail_delivery')
