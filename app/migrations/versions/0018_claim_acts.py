"""claim acts, the network scheme and outages (issue 10 items 1–2)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 03:40:00

* ``claim_act``: the consumer's claim (notified_at, claimant, what, where), the provider's
  visit, the signatures, the outage flag, who drafted and who cancelled; the status
  ``cancelled`` and the visit codes (CHECK constraints). SQLite changes a CHECK only by a batch
  copy of the table, which drops its triggers: the change log's (migration 0003) are created
  again, and foreign keys are off during the copy (dropping the old table would otherwise
  delete every act's coverage through ``ON DELETE CASCADE``).
* ``network_node.meter_id``: the node's own meter (the network's losses).
* ``public_holiday``: the public holidays the claim acts' deadlines skip.
"""
from alembic import op
import sqlalchemy as sa

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

STATUS_OLD = "status IN ('draft', 'approved')"
STATUS_NEW = "status IN ('draft', 'approved', 'cancelled')"
VISIT = "visit IN ('came', 'absent', 'refused')"
COLUMNS = (
    ("notified_at", sa.DateTime()), ("deadline", sa.Date()), ("claimant_name", sa.String(250)), ("claimant_contacts", sa.String(250)),
    ("claimant_account_id", sa.Integer()), ("claim_text", sa.Text()), ("place", sa.String(250)),
    ("visit", sa.String(10)), ("visited_at", sa.DateTime()), ("representative", sa.String(250)),
    ("witnesses", sa.Text()), ("created_by", sa.String(100)), ("cancelled_by", sa.String(100)),
    ("cancelled_at", sa.DateTime()),
)


def _claim_act_triggers(create: bool):
    """Drop (``create``: and create again) the change log's triggers on SQLite that name
    ``claim_act``: its own and ``claim_act_target``'s (SQLite checks them when the copy is
    renamed)."""
    m0003 = _load_0003()
    for table in ("claim_act", "claim_act_target"):
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS billing_change_{table}_{event}")
    if create:
        for sql in m0003._sqlite_triggers():
            if " ON claim_act WHEN " in sql or " ON claim_act_target WHEN " in sql:
                op.execute(sql)


def _load_0003():
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).with_name("0003_billing.py")
    spec = importlib.util.spec_from_file_location("oblik_migration_0003", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NODE_METER_LOG = ("INSERT INTO billing_change (building_id, day, source) SELECT building_id, {null_day}, "
                  "'network_node' FROM meter WHERE id IN ({ids})")


def _node_meter_triggers(dialect):
    """A meter linked to a node (or unlinked) is no longer (or again) a house meter of its
    building for the billing engine: the change log records its building (as 0003 does)."""
    started = "EXISTS (SELECT 1 FROM billing_building)"
    if dialect == "postgresql":
        log = NODE_METER_LOG.format(null_day="CAST(NULL AS DATE)", ids="OLD.meter_id, NEW.meter_id")
        ins = NODE_METER_LOG.format(null_day="CAST(NULL AS DATE)", ids="NEW.meter_id")
        dele = NODE_METER_LOG.format(null_day="CAST(NULL AS DATE)", ids="OLD.meter_id")
        yield f"""
            CREATE OR REPLACE FUNCTION billing_change_node_meter() RETURNS trigger AS $$
            BEGIN
                IF NOT {started} THEN RETURN NULL; END IF;
                IF TG_OP = 'INSERT' THEN {ins}; END IF;
                IF TG_OP = 'DELETE' THEN {dele}; END IF;
                IF TG_OP = 'UPDATE' AND OLD.meter_id IS DISTINCT FROM NEW.meter_id THEN {log}; END IF;
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql;
        """
        yield ("CREATE TRIGGER billing_change_node_meter AFTER INSERT OR UPDATE OR DELETE ON network_node "
               "FOR EACH ROW EXECUTE FUNCTION billing_change_node_meter();")
        return
    yield (f"CREATE TRIGGER billing_change_node_meter_insert AFTER INSERT ON network_node "
           f"WHEN {started} AND NEW.meter_id IS NOT NULL BEGIN "
           f"{NODE_METER_LOG.format(null_day='NULL', ids='NEW.meter_id')}; END;")
    yield (f"CREATE TRIGGER billing_change_node_meter_delete AFTER DELETE ON network_node "
           f"WHEN {started} AND OLD.meter_id IS NOT NULL BEGIN "
           f"{NODE_METER_LOG.format(null_day='NULL', ids='OLD.meter_id')}; END;")
    yield (f"CREATE TRIGGER billing_change_node_meter_update AFTER UPDATE ON network_node "
           f"WHEN {started} AND OLD.meter_id IS NOT NEW.meter_id BEGIN "
           f"{NODE_METER_LOG.format(null_day='NULL', ids='OLD.meter_id, NEW.meter_id')}; END;")


def _foreign_keys(on: bool):
    op.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade():
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _foreign_keys(False)
        _claim_act_triggers(create=False)
    with op.batch_alter_table('claim_act', schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.add_column(sa.Column('outage', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_claim_act_claimant_account_id'), ['claimant_account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_claim_act_deadline'), ['deadline'], unique=False)
        batch_op.create_foreign_key('fk_claim_act_claimant_account_id_account', 'account',
                                    ['claimant_account_id'], ['id'])
        batch_op.drop_constraint('ck_claim_act_status', type_='check')
        batch_op.create_check_constraint('ck_claim_act_status', STATUS_NEW)
        batch_op.create_check_constraint('ck_claim_act_visit', VISIT)
    if sqlite:
        _claim_act_triggers(create=True)
        _foreign_keys(True)

    # in place (no batch copy of network_node: its triggers and the buildings' references stay)
    if sqlite:  # SQLite adds a column with its REFERENCES in place (Alembic would want a batch copy)
        op.execute("ALTER TABLE network_node ADD COLUMN meter_id INTEGER "
                   "CONSTRAINT fk_network_node_meter_id_meter REFERENCES meter (id)")
    else:
        op.add_column('network_node', sa.Column('meter_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_network_node_meter_id_meter', 'network_node', 'meter', ['meter_id'], ['id'])
    op.create_index('uq_network_node_meter_id', 'network_node', ['meter_id'], unique=True)
    for sql in _node_meter_triggers(op.get_bind().dialect.name):
        op.execute(sql)

    op.create_table('public_holiday',
                    sa.Column('id', sa.Integer(), nullable=False),
                    sa.Column('day', sa.Date(), nullable=False),
                    sa.Column('name', sa.String(length=250), nullable=False),
                    sa.PrimaryKeyConstraint('id'),
                    sa.UniqueConstraint('day'))


def downgrade():
    op.drop_table('public_holiday')
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS billing_change_node_meter ON network_node")
        op.execute("DROP FUNCTION IF EXISTS billing_change_node_meter()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS billing_change_node_meter_{event}")
    op.drop_index('uq_network_node_meter_id', table_name='network_node')
    if dialect == "postgresql":
        op.drop_constraint('fk_network_node_meter_id_meter', 'network_node', type_='foreignkey')
        op.drop_column('network_node', 'meter_id')
    else:  # SQLite drops a column in place unless a constraint names it: the copy, keys off
        _foreign_keys(False)
        with op.batch_alter_table('network_node', schema=None) as batch_op:
            batch_op.drop_column('meter_id')
        for sql in _load_0003()._sqlite_triggers():
            if " ON network_node WHEN " in sql:
                op.execute(sql)
        _foreign_keys(True)

    sqlite = op.get_bind().dialect.name == "sqlite"
    # a cancelled act goes back to an approved one's opposite: a draft (it changes no money)
    op.execute("UPDATE claim_act SET status = 'draft' WHERE status = 'cancelled'")
    if sqlite:
        _foreign_keys(False)
        _claim_act_triggers(create=False)
    with op.batch_alter_table('claim_act', schema=None) as batch_op:
        batch_op.drop_constraint('ck_claim_act_visit', type_='check')
        batch_op.drop_constraint('ck_claim_act_status', type_='check')
        batch_op.create_check_constraint('ck_claim_act_status', STATUS_OLD)
        batch_op.drop_constraint('fk_claim_act_claimant_account_id_account', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_claim_act_claimant_account_id'))
        batch_op.drop_index(batch_op.f('ix_claim_act_deadline'))
        batch_op.drop_column('outage')
        for name, _type in reversed(COLUMNS):
            batch_op.drop_column(name)
    if sqlite:
        _claim_act_triggers(create=True)
        _foreign_keys(True)
