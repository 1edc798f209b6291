"""documents that correct charges (issue 10): the numbering of documents per kind and year

``document_counter`` (kind, year) → the last number given; :mod:`app.services.documents.numbering`
takes the next one under a row lock, in the transaction that saves the document, so two users
never get the same number and a rolled-back save gives its number back.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 03:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "document_counter",
        sa.Column("kind", sa.String(30), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("last", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade():
    op.drop_table("document_counter")
