"""The meter history of imported meters. ``app.services.meter_history`` writes it on every ORM
flush; the import writes meters with bulk statements, so it adds the same events itself, by
the same table of tracked fields (``TRACKED``): every dated field of a new meter, and each
dated field an update changes."""
from sqlalchemy import insert, select

from ...models import Meter, MeterEvent
from ..meter_history import TRACKED
from .refs import chunks


def _events(meter_id, values, changed_only=None):
    for date_field, kind, reading_field in TRACKED:
        day = values.get(date_field)
        if day is None:
            continue
        if changed_only is not None and date_field not in changed_only:
            continue
        yield {"meter_id": meter_id, "date": day, "kind": kind,
               "reading": values.get(reading_field) if reading_field else None,
               "document": values.get("seal_number") if kind == "seal" else None}


def write_meter_events(session, created, updated):
    events = []
    if created:
        ids = {}
        for chunk in chunks([row.values["serial"] for row in created]):
            ids.update(session.execute(select(Meter.serial, Meter.id).where(Meter.serial.in_(chunk))).all())
        for row in created:
            events.extend(_events(ids[row.values["serial"]], row.values))
    for row in updated:
        changed = {f for f, _kind, _reading in TRACKED
                   if row.values.get(f) is not None and row.values.get(f) != row.existing.get(f)}
        if "sealed_on" in row.values and row.values.get("seal_number") != row.existing.get("seal_number"):
            changed.add("sealed_on")
        events.extend(_events(row.existing["id"], row.values, changed))
    for chunk in chunks(events, 5000):
        session.execute(insert(MeterEvent.__table__), chunk)
