"""billing: claim acts, area changes, meter volumes, billing runs and their drafts, closing
balances, and the change log the triggers write (billing.md §8–10)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 04:10:00

The change log: after billing has started (a ``billing_building`` row exists), every INSERT,
UPDATE or DELETE of a row the billing engine reads adds a ``billing_change`` row — the
building it concerns (empty = every building) and the first day it can affect (empty = all
time). An UPDATE that changes no column the engine reads adds nothing. The triggers are
generated from ``TRACKED`` for SQLite (trigger bodies) and PostgreSQL (one PL/pgSQL
function per table), so the two stay the same.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

GLOBAL = "SELECT CAST(NULL AS INTEGER) AS building_id"
VIA_METER = "SELECT building_id FROM meter WHERE id = {r}.meter_id"
VIA_PREMISE = "SELECT building_id FROM premise WHERE id = {r}.premise_id"
VIA_ACCOUNT = ("SELECT p.building_id FROM account a JOIN premise p ON p.id = a.premise_id "
               "WHERE a.id = {r}.account_id")
ACT_BUILDINGS = (
    "SELECT t.building_id FROM claim_act_target t WHERE t.act_id = {r}.id AND t.building_id IS NOT NULL "
    "UNION SELECT p.building_id FROM claim_act_target t JOIN account a ON a.id = t.account_id "
    "JOIN premise p ON p.id = a.premise_id WHERE t.act_id = {r}.id "
    "UNION SELECT CAST(NULL AS INTEGER) FROM claim_act_target t WHERE t.act_id = {r}.id AND t.network_node_id IS NOT NULL"
)
TARGET_BUILDINGS = (
    "SELECT {r}.building_id AS building_id WHERE {r}.building_id IS NOT NULL "
    "UNION SELECT p.building_id FROM account a JOIN premise p ON p.id = a.premise_id WHERE a.id = {r}.account_id "
    "UNION SELECT CAST(NULL AS INTEGER) WHERE {r}.network_node_id IS NOT NULL"
)

# table: (buildings it concerns, the row's first day (None = all time), date columns — a
# change affects from the earlier of the old and new value —, other columns the engine
# reads — a change affects from the row's first day —, events, row filter)
TRACKED = {
    "reading": (VIA_METER, "{r}.date", ["date"], ["meter_id", "value", "source"], "IUD", None),
    "meter": ("SELECT {r}.building_id AS building_id", "{r}.installed_on",
              ["installed_on", "removed_on", "next_verification"],
              ["meter_type_id", "premise_id", "building_id", "initial_reading", "final_reading"], "IUD", None),
    "group_meter_premise": (VIA_METER, None, [], ["meter_id", "premise_id"], "IUD", None),
    "registration": (VIA_PREMISE, "{r}.date_from", ["date_from", "date_to"], ["kind", "premise_id", "resident_id"],
                     "IUD", None),
    "premise": ("SELECT {r}.building_id AS building_id", None, [],
                ["building_id", "number", "kind", "total_area", "heated_area", "heating", "gas_category"], "IUD", None),
    "area_change": (VIA_PREMISE, "{r}.valid_from", ["valid_from"], ["premise_id", "total_area", "heated_area"],
                    "IUD", None),
    "account": (VIA_PREMISE, "{r}.opened_on", ["opened_on", "closed_on"], ["premise_id", "account_number"],
                "IUD", None),
    "account_service": (VIA_ACCOUNT, "{r}.date_from", ["date_from", "date_to"],
                        ["account_id", "service_id", "quantity"], "IUD", None),
    "beneficiary": ("SELECT DISTINCT p.building_id FROM registration g JOIN premise p ON p.id = g.premise_id "
                    "WHERE g.resident_id = {r}.resident_id", "{r}.date_from", ["date_from", "date_to"],
                    ["resident_id", "category_id", "entitled"], "IUD", None),
    "benefit_category": (GLOBAL, None, [], ["pct"], "U", None),
    "tariff": (GLOBAL, "{r}.valid_from", ["valid_from"], ["service_id", "price"], "IUD", None),
    "norm": (GLOBAL, "{r}.valid_from", ["valid_from"], ["service_id", "norm_per_person"], "IUD", None),
    "setting": (GLOBAL, "{r}.valid_from", ["valid_from"], ["key", "value"], "IUD",
                "({r}.key = 'min_persons_for_norm' OR {r}.key LIKE 'social_norm.%')"),
    "service": (GLOBAL, None, [], ["code", "method", "resource", "area_basis", "quantity_precision"], "U", None),
    "meter_type": (GLOBAL, None, [], ["resource", "digits"], "U", None),
    "building": ("SELECT {r}.id AS building_id", None, [],
                 ["code", "imbalance_key", "heat_system_share", "heat_common_share", "heat_min_share",
                  "network_node_id"], "U", None),
    "network_node": (GLOBAL, None, [], ["parent_id"], "U", None),
    "claim_act": (ACT_BUILDINGS, "{r}.date_from", ["date_from", "date_to"],
                  ["service_id", "kind", "reduction_pct", "status"], "IUD", "{r}.status = 'approved'"),
    "claim_act_target": (TARGET_BUILDINGS, "(SELECT date_from FROM claim_act WHERE id = {r}.act_id)", [],
                         ["act_id", "building_id", "network_node_id", "account_id"], "IUD",
                         "(SELECT status FROM claim_act WHERE id = {r}.act_id) = 'approved'"),
}
STARTED = "EXISTS (SELECT 1 FROM billing_building)"


def _least(dialect, a, b):
    if dialect == "postgresql":
        return f"LEAST({a}, {b})"
    return f"coalesce(min({a}, {b}), {a}, {b})"


def _differs(dialect, column):
    op_ = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return f"OLD.{column} {op_} NEW.{column}"


def _inserts(dialect, table, event):
    """The INSERT … SELECT statements that log one row event, each with its condition."""
    buildings, start, dates, others, _events, row_filter = TRACKED[table]
    null_day = "CAST(NULL AS DATE)" if dialect == "postgresql" else "NULL"

    def first_day(r):
        return start.format(r=r) if start else null_day

    def insert(rows, day, condition=None):
        sql = (f"INSERT INTO billing_change (building_id, day, source) SELECT b.building_id, {day}, '{table}' "
               f"FROM ({rows}) AS b")
        return sql, condition

    if event in ("INSERT", "DELETE"):
        r = "NEW" if event == "INSERT" else "OLD"
        condition = row_filter.format(r=r) if row_filter else None
        return [insert(buildings.format(r=r), first_day(r), condition)]
    both = f"{buildings.format(r='OLD')} UNION {buildings.format(r='NEW')}"
    result = []
    scope = f"({row_filter.format(r='OLD')} OR {row_filter.format(r='NEW')})" if row_filter else None
    for column in dates:
        condition = _differs(dialect, column) + (f" AND {scope}" if scope else "")
        result.append(insert(both, _least(dialect, f"OLD.{column}", f"NEW.{column}"), condition))
    if others:
        changed = " OR ".join(_differs(dialect, c) for c in others)
        condition = f"({changed})" + (f" AND {scope}" if scope else "")
        day = _least(dialect, first_day("OLD"), first_day("NEW")) if start else null_day
        result.append(insert(both, day, condition))
    return result


def _sqlite_triggers():
    for table, spec in TRACKED.items():
        for letter, event in (("I", "INSERT"), ("U", "UPDATE"), ("D", "DELETE")):
            if letter not in spec[4]:
                continue
            statements = []
            for sql, condition in _inserts("sqlite", table, event):
                statements.append(f"{sql} WHERE {condition};" if condition else f"{sql};")
            yield (f"CREATE TRIGGER billing_change_{table}_{event.lower()} AFTER {event} ON {table} "
                   f"WHEN {STARTED} BEGIN\n" + "\n".join(statements) + "\nEND;")


def _postgresql_functions():
    for table, spec in TRACKED.items():
        branches = []
        for letter, event in (("I", "INSERT"), ("U", "UPDATE"), ("D", "DELETE")):
            if letter not in spec[4]:
                continue
            statements = []
            for sql, condition in _inserts("postgresql", table, event):
                statements.append(f"IF {condition} THEN {sql}; END IF;" if condition else f"{sql};")
            branches.append(f"IF TG_OP = '{event}' THEN\n" + "\n".join(statements) + "\nEND IF;")
        events = " OR ".join(e for letter, e in (("I", "INSERT"), ("U", "UPDATE"), ("D", "DELETE"))
                             if letter in spec[4])
        yield f"""
            CREATE OR REPLACE FUNCTION billing_change_{table}() RETURNS trigger AS $$
            BEGIN
                IF NOT {STARTED} THEN RETURN NULL; END IF;
                {chr(10).join(branches)}
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql;
        """
        yield (f"CREATE TRIGGER billing_change_{table} AFTER {events} ON {table} "
               f"FOR EACH ROW EXECUTE FUNCTION billing_change_{table}();")


def create_change_triggers():
    bind = op.get_bind()
    statements = _postgresql_functions() if bind.dialect.name == "postgresql" else _sqlite_triggers()
    for sql in statements:
        op.execute(sql)


def drop_change_triggers():
    bind = op.get_bind()
    for table, spec in TRACKED.items():
        if bind.dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS billing_change_{table} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS billing_change_{table}()")
        else:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS billing_change_{table}_{event}")


def upgrade():
    op.create_table('billing_change',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('day', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True,  # ids are positions in the log: never reused after a purge
    )
    with op.batch_alter_table('billing_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_change_building_id'), ['building_id'], unique=False)

    op.create_table('billing_lock',
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('holder', sa.String(length=10), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('acquired_by', sa.String(length=100), nullable=True),
    sa.Column('acquired_at', sa.DateTime(), nullable=False),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('period')
    )
    op.create_table('claim_act',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=50), nullable=False),
    sa.Column('act_date', sa.Date(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reduction_pct', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('date_from', sa.Date(), nullable=False),
    sa.Column('date_to', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('approved_by', sa.String(length=100), nullable=True),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('not_provided', 'poor_quality')", name='ck_claim_act_kind'),
    sa.CheckConstraint("status IN ('draft', 'approved')", name='ck_claim_act_status'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('number')
    )
    with op.batch_alter_table('claim_act', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_act_service_id'), ['service_id'], unique=False)

    op.create_table('billing_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_by', sa.String(length=100), nullable=True),
    sa.Column('started_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('task_id', sa.String(length=50), nullable=True),
    sa.Column('buildings_total', sa.Integer(), nullable=False),
    sa.Column('buildings_done', sa.Integer(), nullable=False),
    sa.Column('chunks_total', sa.Integer(), nullable=False),
    sa.Column('chunks_done', sa.Integer(), nullable=False),
    sa.Column('accounts', sa.Integer(), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('warnings', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=True),
    sa.CheckConstraint("status IN ('running', 'done', 'failed')", name='ck_billing_run_status'),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('billing_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_run_period'), ['period'], unique=False)

    op.create_table('billing_warning',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('target_period', sa.String(length=7), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('premise_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('meter_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('billing_warning', schema=None) as batch_op:
        batch_op.create_index('ix_billing_warning_period_building', ['period', 'building_id'], unique=False)

    op.create_table('area_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('premise_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('total_area', sa.Numeric(precision=16, scale=4), nullable=False),
    sa.Column('heated_area', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('document', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['premise_id'], ['premise.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('premise_id', 'valid_from', name='uq_area_change_premise_from')
    )
    with op.batch_alter_table('area_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_change_premise_id'), ['premise_id'], unique=False)

    op.create_table('billing_building',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=True),
    sa.Column('change_mark', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('computed_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('accounts', sa.Integer(), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('warnings', sa.Integer(), nullable=False),
    sa.Column('charged', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('recalculated', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('recalculated_from', sa.String(length=7), nullable=True),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], ),
    sa.ForeignKeyConstraint(['run_id'], ['billing_run.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('period', 'building_id', name='uq_billing_building')
    )
    with op.batch_alter_table('billing_building', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_building_building_id'), ['building_id'], unique=False)

    op.create_table('charge_line',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('target_period', sa.String(length=7), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('detail_kind', sa.String(length=20), nullable=True),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('date_from', sa.Date(), nullable=True),
    sa.Column('date_to', sa.Date(), nullable=True),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('base_quantity', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('quantity', sa.Numeric(precision=16, scale=4), nullable=True),
    sa.Column('price', sa.Numeric(precision=14, scale=5), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('method', sa.String(length=20), nullable=True),
    sa.Column('source', sa.String(length=20), nullable=True),
    sa.Column('reduction', sa.Numeric(precision=9, scale=6), nullable=True),
    sa.Column('beneficiary_id', sa.Integer(), nullable=True),
    sa.Column('explanation', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('charge', 'imbalance', 'benefit', 'recalculation')", name='ck_charge_line_kind'),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('charge_line', schema=None) as batch_op:
        batch_op.create_index('ix_charge_line_account_period', ['account_id', 'period'], unique=False)
        batch_op.create_index('ix_charge_line_period_building', ['period', 'building_id'], unique=False)

    op.create_table('claim_act_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('act_id', sa.Integer(), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('network_node_id', sa.Integer(), nullable=True),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(CASE WHEN building_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN network_node_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN account_id IS NULL THEN 0 ELSE 1 END) = 1', name='ck_claim_act_target_one'),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['act_id'], ['claim_act.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], ),
    sa.ForeignKeyConstraint(['network_node_id'], ['network_node.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('claim_act_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claim_act_target_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_act_target_act_id'), ['act_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_act_target_building_id'), ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_act_target_network_node_id'), ['network_node_id'], unique=False)

    op.create_table('closing_balance',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('closing_balance', schema=None) as batch_op:
        batch_op.create_index('ix_closing_balance_account', ['account_id', 'period'], unique=False)
        batch_op.create_index('ix_closing_balance_period', ['period'], unique=False)

    op.create_table('meter_month',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('meter_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('volume', sa.Numeric(precision=16, scale=4), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('reading_date', sa.Date(), nullable=True),
    sa.Column('start_value', sa.Numeric(precision=16, scale=3), nullable=True),
    sa.Column('end_value', sa.Numeric(precision=16, scale=3), nullable=True),
    sa.ForeignKeyConstraint(['meter_id'], ['meter.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('meter_id', 'period', name='uq_meter_month')
    )
    op.create_table('meter_month_draft',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('building_id', sa.Integer(), nullable=False),
    sa.Column('meter_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('volume', sa.Numeric(precision=16, scale=4), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('reading_date', sa.Date(), nullable=True),
    sa.Column('start_value', sa.Numeric(precision=16, scale=3), nullable=True),
    sa.Column('end_value', sa.Numeric(precision=16, scale=3), nullable=True),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], ),
    sa.ForeignKeyConstraint(['meter_id'], ['meter.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('meter_id', 'period', name='uq_meter_month_draft')
    )
    with op.batch_alter_table('meter_month_draft', schema=None) as batch_op:
        batch_op.create_index('ix_meter_month_draft_building', ['building_id'], unique=False)

    op.create_table('payment_posting',
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('advance', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('spread', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payment.id'], ),
    sa.PrimaryKeyConstraint('payment_id')
    )
    op.create_table('subsidy_posting',
    sa.Column('subsidy_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.ForeignKeyConstraint(['subsidy_id'], ['subsidy.id'], ),
    sa.PrimaryKeyConstraint('subsidy_id')
    )
    # A recalculation entry says which kind of the target period it corrects. ADD COLUMN
    # rewrites no row, so the journal's UPDATE/DELETE guards are not disturbed.
    op.add_column('journal_entry', sa.Column('detail_kind', sa.String(length=20), nullable=True))
    create_change_triggers()


def downgrade():
    drop_change_triggers()
    # Not a batch (table copy) on SQLite: that would drop the journal's guard triggers.
    op.execute("ALTER TABLE journal_entry DROP COLUMN detail_kind")
    op.drop_table('subsidy_posting')
    op.drop_table('payment_posting')
    with op.batch_alter_table('meter_month_draft', schema=None) as batch_op:
        batch_op.drop_index('ix_meter_month_draft_building')

    op.drop_table('meter_month_draft')
    op.drop_table('meter_month')
    with op.batch_alter_table('closing_balance', schema=None) as batch_op:
        batch_op.drop_index('ix_closing_balance_period')
        batch_op.drop_index('ix_closing_balance_account')

    op.drop_table('closing_balance')
    with op.batch_alter_table('claim_act_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_act_target_network_node_id'))
        batch_op.drop_index(batch_op.f('ix_claim_act_target_building_id'))
        batch_op.drop_index(batch_op.f('ix_claim_act_target_act_id'))
        batch_op.drop_index(batch_op.f('ix_claim_act_target_account_id'))

    op.drop_table('claim_act_target')
    with op.batch_alter_table('charge_line', schema=None) as batch_op:
        batch_op.drop_index('ix_charge_line_period_building')
        batch_op.drop_index('ix_charge_line_account_period')

    op.drop_table('charge_line')
    with op.batch_alter_table('billing_building', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_building_building_id'))

    op.drop_table('billing_building')
    with op.batch_alter_table('area_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_change_premise_id'))

    op.drop_table('area_change')
    with op.batch_alter_table('billing_warning', schema=None) as batch_op:
        batch_op.drop_index('ix_billing_warning_period_building')

    op.drop_table('billing_warning')
    with op.batch_alter_table('billing_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_run_period'))

    op.drop_table('billing_run')
    with op.batch_alter_table('claim_act', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claim_act_service_id'))

    op.drop_table('claim_act')
    op.drop_table('billing_lock')
    with op.batch_alter_table('billing_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_change_building_id'))

    op.drop_table('billing_change')
