"""the inspector's scope follows the data: meters' building from their premise (issue 8 item 1)

A flat meter's ``building_id`` is its premise's building, kept so by the database itself — so
that every path (screens, API, imports, the command line, bulk writes of
``app/services/sql.py``) sees one rule, and the inspector's scope (``app/views/scope.py``) and
the billing engine, which both read ``meter.building_id``, follow a premise that moves:

* moving a premise to another building moves its meters with it (same statement, same
  transaction); the change log of migration 0003 notices both (``premise`` and ``meter`` rows);
* a flat meter whose ``building_id`` is not its premise's is refused;
* a group-meter link (``group_meter_premise``) joins a house meter and a premise of the same
  building only: a cross-building link is refused, and so is moving a premise away from the
  house meter that serves it, or moving such a house meter away from its premises.

The validators (``app/validation/rules.py``) refuse the same with a message naming the field;
these triggers are the guarantee below them. Existing data is repaired first: meters get their
premise's building, and links across buildings (which the engine could never use, and which
showed a foreign address to the house meter's inspector) are removed.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 00:00:00
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# (trigger name, table, timing and events, condition on NEW/OLD, message) — the refusals
PREMISE_BUILDING = "(SELECT building_id FROM premise WHERE id = NEW.premise_id)"
REFUSALS = [
    ("scope_meter_premise_building_insert", "meter", "BEFORE INSERT",
     f"NEW.premise_id IS NOT NULL AND NEW.building_id {{ne}} {PREMISE_BUILDING}",
     "meter.building_id: a flat meter is in the building of its premise"),
    ("scope_meter_premise_building_update", "meter", "BEFORE UPDATE OF building_id, premise_id",
     f"NEW.premise_id IS NOT NULL AND NEW.building_id {{ne}} {PREMISE_BUILDING}",
     "meter.building_id: a flat meter is in the building of its premise"),
    ("scope_house_meter_keeps_group", "meter", "BEFORE UPDATE OF building_id",
     "OLD.building_id {ne} NEW.building_id AND EXISTS (SELECT 1 FROM group_meter_premise g "
     "JOIN premise p ON p.id = g.premise_id WHERE g.meter_id = NEW.id AND p.building_id {ne} NEW.building_id)",
     "meter.building_id: the house meter serves premises of its building (group_meter_premise)"),
    ("scope_premise_keeps_group", "premise", "BEFORE UPDATE OF building_id",
     "OLD.building_id {ne} NEW.building_id AND EXISTS (SELECT 1 FROM group_meter_premise g "
     "JOIN meter m ON m.id = g.meter_id WHERE g.premise_id = NEW.id AND m.building_id {ne} NEW.building_id)",
     "premise.building_id: the premise is served by a house meter of its building (group_meter_premise)"),
    ("scope_group_same_building_insert", "group_meter_premise", "BEFORE INSERT",
     f"(SELECT building_id FROM meter WHERE id = NEW.meter_id) {{ne}} {PREMISE_BUILDING}",
     "group_meter_premise.premise_id: the house meter and the premise are in one building"),
    ("scope_group_same_building_update", "group_meter_premise", "BEFORE UPDATE OF meter_id, premise_id",
     f"(SELECT building_id FROM meter WHERE id = NEW.meter_id) {{ne}} {PREMISE_BUILDING}",
     "group_meter_premise.premise_id: the house meter and the premise are in one building"),
]
MOVE = "UPDATE meter SET building_id = NEW.building_id WHERE premise_id = NEW.id AND building_id {ne} NEW.building_id"
MOVE_WHEN = "OLD.building_id {ne} NEW.building_id"

REPAIR = [
    "UPDATE meter SET building_id = (SELECT p.building_id FROM premise p WHERE p.id = meter.premise_id) "
    "WHERE premise_id IS NOT NULL AND building_id <> (SELECT p.building_id FROM premise p WHERE p.id = meter.premise_id)",
    "DELETE FROM group_meter_premise WHERE (SELECT building_id FROM meter WHERE id = group_meter_premise.meter_id) "
    "<> (SELECT building_id FROM premise WHERE id = group_meter_premise.premise_id)",
]


def _sqlite():
    ne = "IS NOT"
    for name, table, timing, condition, message in REFUSALS:
        yield (f"CREATE TRIGGER {name} {timing} ON {table} WHEN {condition.format(ne=ne)} "
               f"BEGIN SELECT RAISE(ABORT, '{message}'); END;")
    yield (f"CREATE TRIGGER scope_premise_moves_meters AFTER UPDATE OF building_id ON premise "
           f"WHEN {MOVE_WHEN.format(ne=ne)} BEGIN {MOVE.format(ne=ne)}; END;")


def _postgresql():
    ne = "IS DISTINCT FROM"
    for name, table, timing, condition, message in REFUSALS:
        yield f"""
            CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$
            BEGIN
                IF {condition.format(ne=ne)} THEN
                    RAISE EXCEPTION '{message}' USING ERRCODE = 'check_violation';
                END IF;
                RETURN NEW;
            END;
            $$ LANGUAGE plpgsql;
        """
        yield f"CREATE TRIGGER {name} {timing} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}();"
    yield f"""
        CREATE OR REPLACE FUNCTION scope_premise_moves_meters() RETURNS trigger AS $$
        BEGIN
            {MOVE.format(ne=ne)};
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql;
    """
    yield (f"CREATE TRIGGER scope_premise_moves_meters AFTER UPDATE OF building_id ON premise FOR EACH ROW "
           f"WHEN ({MOVE_WHEN.format(ne=ne)}) EXECUTE FUNCTION scope_premise_moves_meters();")


def create_scope_triggers():
    """Also for a later migration that rebuilds ``meter``, ``premise`` or
    ``group_meter_premise`` on SQLite (``batch_alter_table`` drops a table's triggers)."""
    statements = _postgresql() if op.get_bind().dialect.name == "postgresql" else _sqlite()
    for statement in statements:
        op.execute(statement)


def drop_scope_triggers():
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, table in [(r[0], r[1]) for r in REFUSALS] + [("scope_premise_moves_meters", "premise")]:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade():
    for statement in REPAIR:
        op.execute(statement)
    create_scope_triggers()


def downgrade():
    drop_scope_triggers()  # the repaired data stays repaired
